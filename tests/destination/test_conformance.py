"""The conformance runner over every recorded case: 100 % agreement, reported per kind."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cases import CONFORMANCE, CORPUS_FILES, load_cases

from destination.conformance.runner import agrees, run_case, same
from destination.definition.model import load_definition

ROOT = Path(__file__).resolve().parents[2]

DEFINITION = load_definition()


def test_there_are_cases() -> None:
    assert CONFORMANCE.is_dir(), f"the conformance cases are missing: expected them in {CONFORMANCE}"
    assert CORPUS_FILES, f"no conformance files in {CONFORMANCE}"
    assert any(path.parent.name == "liquid" for path in CORPUS_FILES), "the cases in subfolders are not read"
    assert len(load_cases(files=CORPUS_FILES)) >= 838, "the corpus covers at least what was first recorded"


def test_runner_agrees_on_every_case_and_reports_per_kind() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "destination.conformance.runner", *map(str, CORPUS_FILES)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    cases = load_cases(files=CORPUS_FILES)
    assert [r["id"] for r in lines] == [c["id"] for c in cases]
    wrong = [(c["id"], c["expect"], r) for c, r in zip(cases, lines) if not agrees(c, r)]
    assert not wrong, wrong[:5]
    kinds = {c["kind"] for c in cases}
    for kind in kinds:
        n = sum(c["kind"] == kind for c in cases)
        assert f"{kind}: {n}/{n} agree" in result.stderr
    assert result.returncode == 0


def test_runner_reads_stdin_and_needs_no_expect() -> None:
    case = {"id": "x", "kind": "fql", "query": 'type = "track"', "event": {"type": "track"}}
    result = subprocess.run(
        [sys.executable, "-m", "destination.conformance.runner"],
        input=json.dumps(case) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert json.loads(result.stdout) == {"id": "x", "match": True}
    assert result.returncode == 0


def test_a_disagreement_is_reported_and_fails() -> None:
    case = {
        "id": "y",
        "kind": "fql",
        "query": 'type = "track"',
        "event": {"type": "identify"},
        "expect": {"match": True},
    }
    result = subprocess.run(
        [sys.executable, "-m", "destination.conformance.runner"],
        input=json.dumps(case),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert "fql: 0/1 agree" in result.stderr and result.returncode == 1


def test_result_line_for_each_kind() -> None:
    assert run_case({"id": 1, "kind": "validate_mapping", "mapping": {"a": {"@path": 5}}}, DEFINITION) == {
        "id": 1,
        "errors": ["/a/@path should be a string or a mapping directive but it is a number."],
    }
    assert run_case(
        {"id": 2, "kind": "transform", "mapping": {"a": {"@path": "$.b"}}, "event": {"b": 1}}, DEFINITION
    ) == {
        "id": 2,
        "output": {"a": 1},
    }
    assert run_case({"id": 3, "kind": "fql", "query": 'type = "track', "event": {}}, DEFINITION) == {
        "id": 3,
        "error": "parse",
    }


def test_json_equality_is_by_value() -> None:
    assert same({"a": [1, 2.0]}, {"a": [1.0, 2]})
    assert not same(True, 1) and not same({"a": 1}, {"a": 1, "b": None}) and not same("1", 1)
