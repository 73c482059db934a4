"""The tracking plan through the installed command: `validate` with and without a plan, and `plan docs`."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from installed_cli import run_cli

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "plan"
WARNED = sorted(p for p in (FIXTURES / "warnings").glob("plan-*.yaml"))
BAD = sorted((FIXTURES / "bad").glob("*.yaml"))


def expected(path: Path) -> tuple[int, int]:
    match = re.match(r"# expect: (\d+):(\d+)", path.read_text(encoding="utf-8"))
    assert match, f"{path.name} must start with '# expect: LINE:COLUMN'"
    return int(match.group(1)), int(match.group(2))


def test_the_shipped_files_and_plan_are_clean() -> None:
    checked = run_cli("validate", cwd=ROOT)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout == ""
    assert checked.stderr.strip().endswith("no problems in 4 path(s)")


def test_one_fixture_per_plan_warning() -> None:
    assert {p.stem for p in WARNED} == {"plan-undeclared", "plan-optional", "plan-unplanned"}


def test_each_plan_warning_at_its_file_line_and_column() -> None:
    checked = run_cli("validate", "tests/fixtures/plan/warnings", cwd=ROOT)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    lines = checked.stdout.splitlines()
    assert len(lines) == len(WARNED), lines
    for path, line in zip(WARNED, lines):
        row, column = expected(path)
        shown = path.relative_to(ROOT)
        assert line.startswith(f"{shown}:{row}:{column}: warning: {path.stem}: "), line
    assert checked.stderr.strip().endswith(f"no problems, {len(WARNED)} warning(s) in 1 path(s)")
    assert run_cli("validate", "--strict", "tests/fixtures/plan/warnings", cwd=ROOT).returncode == 1


def test_the_messages_say_what_the_plan_has() -> None:
    out = run_cli("validate", "tests/fixtures/plan/warnings", cwd=ROOT).stdout
    assert "'$.properties.address.citty' is not declared in the tracking plan for track 'Order Completed'" in out
    assert "(did you mean 'city'?)" in out
    assert "'customer' is required by action 'event', but it is fed from '$.properties.customer_ref'" in out
    assert "matches no event of the tracking plan" in out and "planned: track 'Order Completed', identify" in out


def test_a_plan_given_with_the_option() -> None:
    mapping = FIXTURES / "warnings" / "plan-unplanned.yaml"
    plan = FIXTURES / "warnings" / "tracking_plan.yaml"
    checked = run_cli("validate", "--plan", str(plan), str(mapping), cwd=ROOT)
    assert ": warning: plan-unplanned: " in checked.stdout, checked.stdout + checked.stderr
    assert checked.stderr.strip().endswith("1 warning(s) in 2 path(s)")
    assert run_cli("validate", str(mapping), cwd=ROOT).stdout == ""  # no plan among the paths: as ever
    assert run_cli("validate", "--plan", "nope.yaml", str(mapping), cwd=ROOT).returncode == 2
    not_a_plan = run_cli("validate", "--plan", str(mapping), str(mapping), cwd=ROOT)
    assert not_a_plan.returncode == 1 and f"{mapping}:1:1: plan: not a tracking plan" in not_a_plan.stdout


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_a_broken_plan_is_an_error_at_its_position(path: Path) -> None:
    row, column = expected(path)
    rule = path.read_text().split("\n", 1)[0].split()[-1]
    checked = run_cli("validate", str(path.relative_to(ROOT)), cwd=ROOT)
    assert checked.returncode == 1
    assert checked.stdout.startswith(f"{path.relative_to(ROOT)}:{row}:{column}: {rule}: "), checked.stdout


def test_without_a_plan_file_validate_is_as_before(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "mappings", tmp_path / "mappings")
    unplanned = (FIXTURES / "warnings" / "plan-unplanned.yaml").read_text()
    (tmp_path / "mappings" / "refund.yaml").write_text(unplanned.replace("action: refund", "action: opt_in"))
    checked = run_cli("validate", cwd=tmp_path)
    assert checked.returncode == 0 and "plan-" not in checked.stdout, checked.stdout
    assert checked.stderr.strip().endswith("no problems in 3 path(s)")
    shutil.copy(ROOT / "tracking_plan.yaml", tmp_path / "tracking_plan.yaml")
    checked = run_cli("validate", cwd=tmp_path)
    assert checked.stdout.startswith(f"{tmp_path / 'mappings' / 'refund.yaml'}:4:12: warning: plan-unplanned: ")


def test_plan_docs_prints_the_data_dictionary(tmp_path: Path) -> None:
    shown = run_cli("plan", "docs", cwd=ROOT)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("# Tracking plan (version 1)\n")
    assert "## Points Earned (track)" in shown.stdout and "Version 1, policy `omit`." in shown.stdout
    assert "| `birthday` | string | no | format date | yes | YYYY-MM-DD |" in shown.stdout
    page = run_cli("plan", "docs", "--format", "html", cwd=ROOT).stdout
    assert page.startswith("<!doctype html>") and "<td><code>loyalty_consent</code></td>" in page
    (tmp_path / "mappings").mkdir()  # a project folder of its own, without a plan
    missing = run_cli("plan", "docs", cwd=tmp_path)
    assert missing.returncode == 2 and "no tracking_plan.yaml" in missing.stderr
    broken = run_cli("plan", "docs", str(BAD[0]), cwd=ROOT)
    assert broken.returncode == 1 and broken.stderr.startswith(f"{BAD[0]}:")
