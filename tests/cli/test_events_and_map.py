"""Reading events (one, an array, JSON Lines) and the `map` command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from strategies import json_scalars, json_trees
from typer.testing import CliRunner

from antavo_actions.cli.app import build_app
from destination.delivery.events import EventsError, parse_events

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
RUNNER = CliRunner()
JSON = json_trees(json_scalars(), st.text(max_size=5), size=4, leaves=12)


def test_one_event_an_array_and_json_lines_read_alike() -> None:
    events = [{"type": "track", "event": "A"}, {"type": "identify", "userId": "u"}]
    assert parse_events(json.dumps(events[0])) == events[:1]
    assert parse_events(json.dumps(events)) == events
    assert parse_events("\n".join(json.dumps(e) for e in events) + "\n\n") == events


@given(st.text())
def test_any_text_gives_events_or_a_clear_error(text: str) -> None:
    try:
        events = parse_events(text, "in.jsonl")
    except EventsError as exc:
        assert str(exc).startswith("in.jsonl")
    else:
        assert events and all(isinstance(e, dict) for e in events)


@given(st.lists(st.dictionaries(st.text(max_size=5), JSON, max_size=4), min_size=1, max_size=5))
def test_json_lines_round_trip(events: list[dict[str, Any]]) -> None:
    assert parse_events("\n".join(json.dumps(e) for e in events)) == events


def test_errors_name_the_line_and_what_was_expected() -> None:
    for text, expected in [
        ("", "empty"),
        ('{"a": 1}\n[1]\n', "expected a JSON object"),
        ('{"a": 1}\n{nope}\n', "in:2:"),
        ("[1, {}]", "item 0"),
    ]:
        try:
            parse_events(text, "in")
        except EventsError as exc:
            assert expected in str(exc), (text, str(exc))
        else:
            raise AssertionError(f"{text!r} was accepted")


def run_map(*args: str) -> Any:
    return RUNNER.invoke(build_app(), ["map", *args])


def test_map_explains_matches_and_shows_payloads() -> None:
    result = run_map(str(EXAMPLES / "order-completed.json"), "--json")
    assert result.exit_code == 0, result.output
    reports = {r["name"]: r for r in json.loads(result.stdout)}
    checkout = reports["Order Completed → checkout"]
    assert checkout["matched"] is True
    assert checkout["payload"] == {
        "customer": "cust-1001",
        "action": "checkout",
        "data": {"transaction_id": "ORD-50314", "total": 129.9, "currency": "EUR"},
    }
    assert [c["result"] for c in checkout["checks"]] == [True, True]
    points = reports["Points Earned → point_add"]
    assert points["matched"] is False and points["payload"] is None
    assert {
        "condition": 'event = "Points Earned"',
        "value": "Order Completed",
        "missing": False,
        "result": False,
    } in points["checks"]


def test_map_with_an_action_shows_segments_validation_error(tmp_path: Path) -> None:
    result = run_map(str(EXAMPLES / "order-completed.json"), "--action", "event", "--json")
    assert result.exit_code == 1
    [report] = json.loads(result.stdout)
    assert report["error"] == "The root value is missing the required field 'action'."
    event = tmp_path / "e.json"
    event.write_text(json.dumps({"type": "identify", "userId": "u", "traits": {"first_name": {"a": 1}}}))
    [report] = json.loads(run_map(str(event), "--preset", "Profile updates", "--json").stdout)
    assert report["error"] == "First name must be a string but it was an object."
    assert report["field"] and "first_name" in report["field"]


def test_map_for_people_and_usage_errors(tmp_path: Path) -> None:
    text = run_map(str(EXAMPLES / "points-earned.json"), "--mapping", str(ROOT / "mappings" / "points-earned.yaml"))
    assert text.exit_code == 0 and "✔ matches" in text.output and "point_add" in text.output
    assert "survey: Completed the autumn survey" in text.output
    assert run_map(str(EXAMPLES / "events.jsonl")).exit_code == 2
    assert run_map(str(EXAMPLES / "identify.json"), "--preset", "Nope").exit_code == 2
    assert run_map(str(EXAMPLES / "identify.json"), "--action", "event", "--preset", "Signed Up").exit_code == 2
    broken = ROOT / "tests" / "fixtures" / "invalid" / "unknown-action.yaml"
    result = run_map(str(EXAMPLES / "identify.json"), "--mapping", str(broken))
    assert result.exit_code == 2 and "unknown-action" in result.output
