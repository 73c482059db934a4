"""`validate`: every rule, every problem in one run, with file, line, column and rule."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from installed_cli import run_cli

from destination.definition.model import load_definition
from destination.lint.checks import check_file, check_paths

ROOT = Path(__file__).resolve().parents[2]
INVALID = ROOT / "tests" / "fixtures" / "invalid"
FIXTURES = sorted(INVALID.glob("*.yaml"))
DEFINITION = load_definition()


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "antavo_actions", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_one_fixture_per_rule() -> None:
    rules = {
        "yaml-syntax",
        "schema",
        "unknown-action",
        "unknown-field",
        "missing-required",
        "fql",
        "mapping-directive",
        "missing-description",
        "multi-accounts",
    }
    assert {p.stem for p in FIXTURES} == rules


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_each_fixture_breaks_exactly_its_rule(path: Path) -> None:
    problems = check_file(path, DEFINITION)
    assert problems, f"{path.name} should have a problem"
    assert {p.rule for p in problems} == {path.stem}
    for p in problems:
        assert p.file == str(path) and p.line >= 1 and p.column >= 1 and p.message


def test_positions_point_at_the_offending_node() -> None:
    [p] = check_file(INVALID / "mapping-directive.yaml", DEFINITION)
    assert (p.line, p.column) == (7, 22)
    assert p.message == "/data/total/@path should be a string or a mapping directive but it is a number."
    [p] = check_file(INVALID / "unknown-field.yaml", DEFINITION)
    assert (p.line, p.column) == (6, 3)
    [p] = check_file(INVALID / "yaml-syntax.yaml", DEFINITION)
    assert p.line == 6


def test_fql_problem_points_into_the_trigger() -> None:
    [p] = check_file(INVALID / "fql.yaml", DEFINITION)
    assert p.line == 2 and p.column > len("subscribe: ")


def test_multi_accounts_from_the_command_line(tmp_path: Path) -> None:
    f = tmp_path / "m.yaml"
    f.write_text('name: n\nsubscribe: type = "track"\npartnerAction: event\nmapping: {action: x}\n')
    assert check_file(f, DEFINITION) == []
    [p] = check_file(f, DEFINITION, multi_accounts=True)
    assert p.rule == "multi-accounts"
    f.write_text('name: n\nsubscribe: type = "track"\npartnerAction: event\nmapping: {action: x, account: ""}\n')
    assert [p.rule for p in check_file(f, DEFINITION, multi_accounts=True)] == ["multi-accounts"]
    f.write_text(
        'name: n\nsubscribe: type = "track"\npartnerAction: event\n'
        'mapping: {action: x, account: {"@path": $.properties.store}}\n'
    )
    assert check_file(f, DEFINITION, multi_accounts=True) == []


def test_shipped_files_are_clean() -> None:
    targets = [ROOT / "destination" / "antavo.yaml", ROOT / "presets.yaml", ROOT / "mappings"]
    assert check_paths(targets, DEFINITION) == []


def test_cli_reports_every_fixture_in_one_run() -> None:
    result = cli("validate", str(INVALID))
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    for path in FIXTURES:
        assert any(line.startswith(f"{path}:") and f": {path.stem}: " in line for line in lines), path.stem


def test_cli_formats() -> None:
    as_json = json.loads(cli("validate", "--format", "json", str(INVALID)).stdout)
    assert {p["rule"] for p in as_json} == {p.stem for p in FIXTURES}
    assert all({"file", "line", "column", "rule", "message"} <= set(p) for p in as_json)
    github = cli("validate", "--format", "github", str(INVALID / "unknown-action.yaml")).stdout
    assert github.startswith(f"::error file={INVALID / 'unknown-action.yaml'},line=3,col=16,")


def test_cli_exit_codes(tmp_path: Path) -> None:
    assert cli("validate", cwd=tmp_path).returncode == 0
    assert cli("validate", str(tmp_path / "nope.yaml")).returncode == 2
    assert cli("validate", "--format", "xml").returncode == 2


def test_roles_must_name_declared_fields(tmp_path: Path) -> None:
    text = (
        (INVALID / "missing-description.yaml")
        .read_text()
        .replace("roles: {customer: customer}", "roles: {customer: client}")
    )
    f = tmp_path / "definition.yaml"
    f.write_text(text)
    problems = [p for p in check_file(f, DEFINITION) if p.rule == "unknown-field"]
    assert [(p.line, p.message) for p in problems] == [(9, "role 'customer' names 'client', which no action declares")]


def test_the_shipped_presets_only_warn_with_multi_accounts(tmp_path: Path) -> None:
    """A brand cannot change the destination's presets: with Multi-accounts they get a warning saying the
    brand sets the account when it adds them, and `validate` still passes (unless --strict)."""
    presets = str(Path(__file__).resolve().parents[2] / "presets.yaml")
    checked = run_cli("validate", presets, "--multi-accounts", cwd=tmp_path)
    lines = checked.stdout.splitlines()
    warned = [line for line in lines if ": warning: multi-accounts: " in line]
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert len(warned) == 6 and all("the brand sets 'account' when it adds the preset in Segment" in w for w in warned)
    assert checked.stderr.strip().endswith("no problems, 6 warning(s) in 1 path(s)")
    assert run_cli("validate", presets, "--multi-accounts", "--strict", cwd=tmp_path).returncode == 1
