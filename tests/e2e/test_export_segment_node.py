"""Proof with Segment's own toolchain that the exported TypeScript is the destination.

The export is laid out as in segmentio/action-destinations and compiled and run with the harness's
pinned packages, from npm alone: `tsc --noEmit --strict` against @segment/actions-core; the
declarations tsc emits for it byte-equal to the `.d.ts` files the published
@segment/action-destinations ships for Antavo; one jest run of the export's tests from examples/
and a replay of every recorded `action` case through `createTestIntegration`. Segment's own tests
for this destination (unchanged, with their snapshots) need its TypeScript source, which this
repository does not hold: that one proof runs when `$SEGMENT_TYPESCRIPT` names it (see segment_node).
Needs `npm ci --prefix harness/segment` (the README's test command).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cases import load_cases
from segment_node import (
    PUBLISHED,
    REFERENCE,
    conformance_results,
    jest,
    lay_out,
    reference_tests,
    require_node,
    require_segment_source,
    tsc,
)

from destination.conformance.runner import same
from destination.export import export_files, load_project

ACTION_CASES = load_cases("action")


@pytest.fixture(scope="module")
def exported() -> dict[str, str]:
    return export_files(load_project())


def test_the_export_type_checks_strictly_against_actions_core(tmp_path: Path, exported: dict[str, str]) -> None:
    require_node()
    lay_out(tmp_path, exported)
    done = tsc(tmp_path)
    assert done.returncode == 0, f"tsc --noEmit --strict failed:\n{done.stdout}\n{done.stderr}"


def _by_file(report: dict[str, Any], destination: Path) -> dict[str, dict[str, Any]]:
    out = {}
    for result in report["testResults"]:
        path = Path(result["name"]).resolve()
        key = path.relative_to(destination.resolve()).as_posix() if destination.resolve() in path.parents else path.name
        out[key] = result
    return out


def _failures(report: dict[str, Any]) -> str:
    lines = []
    for result in report["testResults"]:
        for test in result["assertionResults"]:
            if test["status"] != "passed":
                lines.append(
                    f"{result['name']}: {test['fullName']}: {test['status']}\n" + "\n".join(test["failureMessages"])
                )
        if result["status"] != "passed" and not result["assertionResults"]:
            lines.append(f"{result['name']}: {result['message']}")
    return "\n\n".join(lines)


def test_the_exported_declarations_are_byte_for_byte_what_segment_publishes(
    tmp_path: Path, exported: dict[str, str]
) -> None:
    require_node()
    lay_out(tmp_path, exported)
    out = tmp_path / "out"
    emitted = tsc(
        tmp_path,
        "--noEmit",
        "false",
        "--declaration",
        "--emitDeclarationOnly",
        "--removeComments",
        "--outDir",
        str(out),
    )
    assert emitted.returncode == 0, f"tsc --declaration failed:\n{emitted.stdout}\n{emitted.stderr}"
    published = sorted(p.relative_to(PUBLISHED) for p in PUBLISHED.rglob("*.d.ts"))
    assert len(published) == 6, published  # index and generated-types, for the destination and each action
    ours = out / "src" / "destinations" / "antavo"
    for relative in published:
        assert (ours / relative).read_bytes() == (PUBLISHED / relative).read_bytes(), relative


def test_the_examples_and_every_recorded_action_case_pass_on_the_export(
    tmp_path: Path, exported: dict[str, str]
) -> None:
    require_node()
    destination = lay_out(tmp_path, exported)
    report, output = jest(tmp_path, destination, ACTION_CASES)
    files = _by_file(report, destination)
    assert report["success"], f"jest failed:\n{_failures(report)}\n{output[-3000:]}"

    # The tests generated from examples/ ran and passed: one per (example, matching preset).
    generated = [name for name in exported if name.endswith(".test.ts")]
    assert generated
    for name in generated:
        statuses = [t["status"] for t in files[name]["assertionResults"]]
        assert statuses and set(statuses) == {"passed"}, (name, statuses)
        assert len(statuses) == exported[name].count("\n    it(")

    # 100 % of the public `action` cases get Segment's recorded request or error.
    answers = conformance_results(tmp_path)
    wrong = [
        (c["id"], answers.get(c["id"]), c["expect"])
        for c in ACTION_CASES
        if not same(answers.get(c["id"]), c["expect"])
    ]
    assert len(ACTION_CASES) > 0 and len(answers) == len(ACTION_CASES)
    assert not wrong, f"{len(wrong)} of {len(ACTION_CASES)} action cases disagree, e.g. {wrong[:3]}"


def test_segments_own_tests_and_snapshots_pass_unchanged_on_the_export(
    tmp_path: Path, exported: dict[str, str]
) -> None:
    require_node()
    require_segment_source()
    destination = lay_out(tmp_path, exported, with_segment_tests=True)
    report, output = jest(tmp_path, destination, ACTION_CASES)
    files = _by_file(report, destination)
    assert report["success"], f"jest failed:\n{_failures(report)}\n{output[-3000:]}"

    # Segment's own tests for this destination ran, unchanged, and passed.
    for relative in (r.as_posix() for r in reference_tests() if r.suffix == ".ts"):
        result = files.get(relative)
        assert result is not None, f"Segment's {relative} did not run"
        statuses = [t["status"] for t in result["assertionResults"]]
        assert statuses and set(statuses) == {"passed"}, (relative, statuses)

    # Every snapshot in Segment's .snap files was compared, and matched.
    snapshots = sum(
        (REFERENCE / r).read_text(encoding="utf-8").count("\nexports[")
        for r in reference_tests()
        if r.suffix == ".snap"
    )
    summary = report["snapshot"]
    assert (summary["matched"], summary["unmatched"], summary["added"], summary["unchecked"]) == (snapshots, 0, 0, 0)


def test_a_missing_toolchain_fails_with_the_command_that_fixes_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import segment_node

    monkeypatch.setattr(segment_node, "HARNESS", tmp_path)
    with pytest.raises(pytest.fail.Exception, match=r"lacks typescript: .*npm ci --prefix harness/segment"):
        require_node()
    monkeypatch.setattr(segment_node.shutil, "which", lambda tool: None)
    with pytest.raises(pytest.fail.Exception, match=r"node and npm not found: .*apt-get install -y nodejs npm"):
        require_node()
