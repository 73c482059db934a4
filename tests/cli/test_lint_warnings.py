"""`validate` warnings: what Segment accepts but does not mean what it says, one fixture per warning."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from destination.definition.model import load_definition
from destination.definition.subscriptions import load_mappings
from destination.errors import FQLSyntaxError
from destination.fql import parser as fql
from destination.lint.checks import check_file, check_paths
from destination.lint.explain import explain
from destination.lint.warnings import reads_as, trigger_warnings

ROOT = Path(__file__).resolve().parents[2]
WARNINGS = ROOT / "tests" / "fixtures" / "warnings"
FIXTURES = sorted(WARNINGS.glob("*.yaml"))
DEFINITION = load_definition()
RULES = {
    "fql-operator",
    "fql-unquoted",
    "fql-unknown-field",
    "fql-ignored",
    "contract-required",
    "contract-date",
    "liquid-template",
}


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "antavo_actions", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def expected_position(path: Path) -> tuple[int, int]:
    match = re.match(r"# expect: (\d+):(\d+)", path.read_text(encoding="utf-8"))
    assert match, f"{path.name} must start with '# expect: LINE:COLUMN'"
    return int(match.group(1)), int(match.group(2))


def test_one_fixture_per_warning() -> None:
    assert {p.stem for p in FIXTURES} == RULES


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_each_fixture_gives_exactly_its_warning_at_its_position(path: Path) -> None:
    [problem] = check_file(path, DEFINITION)
    assert (problem.rule, problem.severity) == (path.stem, "warning")
    assert (problem.line, problem.column) == expected_position(path)


def test_the_shipped_files_have_no_problems_and_no_warnings() -> None:
    targets = [ROOT / "destination" / "antavo.yaml", ROOT / "presets.yaml", ROOT / "mappings"]
    assert check_paths(targets, DEFINITION) == []
    result = cli("validate", "--strict")
    assert result.returncode == 0 and result.stdout == "", result.stdout


def test_warnings_exit_0_unless_strict() -> None:
    result = cli("validate", str(WARNINGS))
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == len(FIXTURES)
    assert all(": warning: " in line for line in result.stdout.splitlines())
    assert "no problems, 7 warning(s)" in result.stderr
    assert cli("validate", "--strict", str(WARNINGS)).returncode == 1
    assert cli("validate", "--strict", str(WARNINGS / "fql-operator.yaml")).returncode == 1


def test_json_and_github_carry_the_severity() -> None:
    as_json = json.loads(cli("validate", "--format", "json", str(WARNINGS)).stdout)
    assert {p["severity"] for p in as_json} == {"warning"} and {p["rule"] for p in as_json} == RULES
    errors = json.loads(cli("validate", "--format", "json", str(ROOT / "tests" / "fixtures" / "invalid")).stdout)
    assert {p["severity"] for p in errors} == {"error"}
    github = cli("validate", "--format", "github", str(WARNINGS / "fql-unquoted.yaml")).stdout
    assert github.startswith(f"::warning file={WARNINGS / 'fql-unquoted.yaml'},line=3,col=19,title=fql-unquoted::")


def test_the_issue_examples_say_what_segment_evaluates() -> None:
    [operator, field] = trigger_warnings('type == "track" and evnt = "Points Earned"')
    assert (operator.rule, operator.offset) == ("fql-operator", 5)
    assert operator.message.endswith('Segment reads this as: type = "="')
    assert (field.rule, field.offset) == ("fql-unknown-field", 20) and "did you mean 'event'?" in field.message
    [unquoted] = trigger_warnings("type = track")
    assert unquoted.rule == "fql-unquoted" and 'Segment reads this as: type = "track"' in unquoted.message
    [dotted] = trigger_warnings('type = "track" and propertes.x = 1')
    assert "did you mean 'properties.x'?" in dotted.message


@pytest.mark.parametrize(
    ("query", "rules"),
    [
        ('type = "track" and event = "A" or event = "B"', ["fql-operator"]),
        ('type = "track" OR event = "A"', ["fql-operator"]),
        ("event = 'A'", ["fql-unquoted"]),
        ("properties.total => 5", ["fql-operator"]),
        ('type is "track"', ["fql-operator"]),
        ('type = "track" "junk"', ["fql-ignored"]),
        ('type = "track" and (foo = 1)', ["fql-unknown-field"]),
        ('properties.name contains "a"', []),
        ('type = "track" and event = "Signed Up" and properties.loyalty_consent = true', []),
        ('userId != null and properties.points >= 10 and !match(context.page.url, "*/x")', []),
    ],
)
def test_trigger_warnings(query: str, rules: list[str]) -> None:
    assert [w.rule for w in trigger_warnings(query)] == rules


def test_reads_as_writes_segments_tree_back_as_fql() -> None:
    tree = fql.parse('type = "track" and (event = "A" or properties.n > 2) and !contains(userId, "x")').tree
    assert reads_as(tree) == 'type = "track" and (event = "A" or properties.n > 2) and !contains(userId, "x")'


def test_map_explains_a_trigger_that_never_matches() -> None:
    [sub] = load_mappings(DEFINITION, [WARNINGS / "fql-operator.yaml"])
    report = explain(DEFINITION, sub, {"type": "track", "userId": "u1"})
    assert not report.matched
    assert report.warnings and report.warnings[0].endswith('Segment reads this as: type = "="')
    assert explain(DEFINITION, sub, {"type": "="}).warnings == []


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "type",
                "event",
                "evnt",
                "properties.a",
                "propertes.b",
                "=",
                "==",
                "!=",
                ">",
                '"x"',
                "'y'",
                "z",
                "1",
                "and",
                "or",
                "AND",
                "(",
                ")",
                "contains(",
                "match(",
                ",",
                "true",
                "null",
                "!",
            ]
        ),
        max_size=12,
    ).map(" ".join)
)
def test_warnings_only_for_accepted_triggers_and_within_them(query: str) -> None:
    try:
        fql.parse(query)
    except FQLSyntaxError:
        assert trigger_warnings(query) == []
        return
    for warning in trigger_warnings(query):
        assert 0 <= warning.offset < len(query) and warning.message
