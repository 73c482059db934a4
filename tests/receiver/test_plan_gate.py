"""The live plan gate: each policy over any message (Hypothesis), the plan's setting, its reload, and
what a message's verdict says of the plan."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from plans import write_plan

from destination.plan.check import check_message, omit_unplanned
from destination.plan.model import parse_plan
from receiver.config import ReceiverConfig
from receiver.ingest.plan_gate import (
    UNPLANNED_LABEL,
    PlanGate,
    PlanSetupError,
    blocked_answer,
    gate_from_config,
    judge,
    plan_record,
)
from receiver.ingest.verdicts import verdict_of
from receiver.store.entries import LogEntry, dump_json

PLAN: dict[str, Any] = {
    "version": 1,
    "allow_unplanned": True,
    "events": [
        {
            "type": "track",
            "name": "Kept",
            "policy": "allow",
            "properties": {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}},
        },
        {
            "type": "track",
            "name": "Trimmed",
            "policy": "omit",
            "properties": {
                "type": "object",
                "properties": {"n": {"type": "integer"}, "box": {"type": "object", "properties": {"a": {}}}},
            },
        },
        {
            "type": "track",
            "name": "Guarded",
            "policy": "block",
            "properties": {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer", "minimum": 0}}},
        },
        {"type": "identify", "policy": "omit", "traits": {"type": "object", "properties": {"email": {}}}},
    ],
}
VALUES = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=3))
PROPERTIES = st.dictionaries(
    st.sampled_from(["n", "box", "extra", "a~b", "x/y"]),
    st.one_of(VALUES, st.dictionaries(st.sampled_from(["a", "b"]), VALUES, max_size=2)),
    max_size=4,
)
MESSAGES = st.one_of(
    st.builds(
        lambda name, props: {"type": "track", "event": name, "messageId": "m-1", "properties": props},
        st.sampled_from(["Kept", "Trimmed", "Guarded", "Stray"]),
        PROPERTIES,
    ),
    st.builds(lambda traits: {"type": "identify", "messageId": "m-2", "traits": traits}, PROPERTIES),
)


def plan(**changes: Any) -> Any:
    return parse_plan({**PLAN, **changes})


def resolve(document: Any, pointer: str) -> Any:
    for part in pointer.split("/")[1:]:
        document = document[part.replace("~1", "/").replace("~0", "~")]
    return document


@given(MESSAGES)
def test_each_policy_does_what_the_plan_says(message: dict[str, Any]) -> None:
    tracking = plan()
    verdict, passed = judge(tracking, message)
    event = tracking.find(message)
    if event is None:
        assert verdict.event == UNPLANNED_LABEL and verdict.violations == () and passed == message
        return
    assert list(verdict.violations) == check_message(tracking, message)
    assert verdict.policy == event.policy
    assert verdict.blocked == (event.policy == "block" and bool(verdict.violations))
    if event.policy != "omit":
        assert passed == message and verdict.omitted == ()
        return
    assert passed == omit_unplanned(tracking, message)
    section = event.section
    assert section is not None
    for pointer in verdict.omitted:
        resolve(message, pointer)  # every dropped member was in the message
        with pytest.raises(KeyError):
            resolve(passed, pointer)
    declared = set(event.schema["properties"])
    assert set(passed.get(section) or {}) == set(message.get(section) or {}) & declared


@given(MESSAGES, st.sampled_from(["allow", "omit", "block"]))
def test_an_unplanned_event_is_a_violation_only_when_the_plan_says_so(message: dict[str, Any], policy: str) -> None:
    strict = plan(allow_unplanned=False, policy=policy)
    verdict, passed = judge(strict, message)
    if strict.find(message) is None:
        assert [v.type for v in verdict.violations] == ["Unplanned-Event"]
        assert verdict.policy == policy and verdict.blocked == (policy == "block") and passed == message


def test_the_gate_counts_violations_and_marks_what_it_passed() -> None:
    gate = PlanGate(plan())
    verdict, passed = gate.check({"type": "track", "event": "Guarded", "messageId": "g", "properties": {"n": -1}})
    assert verdict is not None and verdict.blocked
    assert sum(gate.violations.values()) == len(verdict.violations) > 0
    assert plan_record(passed) == {
        "policy": "block",
        "event": "track 'Guarded'",
        "violations": [v.as_dict() for v in verdict.violations],
        "omitted": [],
    }
    assert blocked_answer(verdict)["code"] == "PLAN_BLOCKED"
    unchecked = {"type": "track", "event": "x", "messageId": "u"}
    assert PlanGate(None).check(unchecked) == (None, unchecked) and plan_record(unchecked) is None


def test_omit_names_what_it_dropped_as_pointers() -> None:
    message = {
        "type": "track",
        "event": "Trimmed",
        "messageId": "t",
        "properties": {"n": 1, "x/y": 2, "box": {"a": 1, "b": 2}},
    }
    verdict, passed = judge(plan(), message)
    assert verdict.omitted == ("/properties/x~1y", "/properties/box/b")
    assert passed["properties"] == {"n": 1, "box": {"a": 1}}


def test_the_setting_names_the_plan_none_turns_it_off_and_a_broken_file_is_named(tmp_path: Path) -> None:
    good = write_plan(tmp_path / "plan.yaml", PLAN)
    assert gate_from_config(ReceiverConfig(tracking_plan=str(good))).plan is not None
    assert gate_from_config(ReceiverConfig(tracking_plan="none")).plan is None
    broken = write_plan(tmp_path / "broken.yaml", "version: 1\nevents:\n  - type: track\n    policy: maybe\n")
    with pytest.raises(PlanSetupError) as refused:
        gate_from_config(ReceiverConfig(tracking_plan=str(broken)))
    text = str(refused.value)
    assert str(broken) in text and ":4:" in text and "policy" in text and "Traceback" not in text
    with pytest.raises(PlanSetupError, match="not a file"):
        gate_from_config(ReceiverConfig(tracking_plan=str(tmp_path / "missing.yaml")))


def test_the_gate_reads_the_file_again_when_it_changes_and_keeps_the_last_good_plan(tmp_path: Path) -> None:
    path = write_plan(tmp_path / "plan.yaml", PLAN)
    gate = gate_from_config(ReceiverConfig(tracking_plan=str(path)))
    message = {"type": "track", "event": "Guarded", "messageId": "g", "properties": {}}
    assert gate.check(message)[0].blocked  # type: ignore[union-attr]
    relaxed = {**PLAN, "events": [{**PLAN["events"][2], "policy": "allow"}]}
    write_plan(path, relaxed, stamp=1)  # a different stamp even within the clock's resolution
    assert gate.reload() is not None and not gate.check(message)[0].blocked  # type: ignore[union-attr]
    write_plan(path, "version: [", stamp=2)
    assert gate.reload() is not None and gate.plan is not None and gate.plan.events[0].policy == "allow"


def entry(seq: int, response: dict[str, Any], check: dict[str, Any] | None, **fields: Any) -> LogEntry:
    return LogEntry(
        seq=seq, id="m", timestamp=datetime(2026, 12, 7, tzinfo=UTC), customer_id=None, event_type="track",
        status=fields.pop("status", 200), response_time=0.0, error=None, error_code=None, request_json="{}",
        response_json=dump_json(response), source="segment:analytics-python",
        plan_json=dump_json(check) if check is not None else None, **fields,
    )  # fmt: skip


def test_a_verdict_says_blocked_until_a_replay_delivers_the_message() -> None:
    verdict, _ = judge(plan(), {"type": "track", "event": "Guarded", "messageId": "m", "properties": {}})
    blocked = entry(1, blocked_answer(verdict), verdict.record())
    first = verdict_of("m", [blocked], [])
    assert first["outcome"] == "blocked" and first["routing"]["code"] == "PLAN_BLOCKED"
    assert first["plan"] == {
        "policy": "block",
        "violations": [
            {
                "type": "Required-Missing",
                "message": "'n' is required but missing",
                "meta": {"instancePath": "/properties/n"},
            }
        ],
        "omitted": [],
    }
    passed = {"policy": "block", "event": "track 'Guarded'", "violations": [], "omitted": []}
    delivered = entry(
        2, {"id": "evt_1", "status": "accepted"}, passed, status=202, subscription="s", mapping_version="v"
    )
    after = verdict_of("m", [blocked, delivered], [])
    assert after["outcome"] == "applied" and after["routing"]["status"] == "routed"
    assert after["plan"] == {"policy": "block", "violations": [], "omitted": []}
    assert verdict_of("m", [entry(1, {"id": "e", "status": "accepted"}, None, status=202)], [])["plan"] is None
