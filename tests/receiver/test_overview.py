"""The Delivery Overview's sums (Hypothesis over mixes of log entries and verdicts): every funnel's stages add
up to what it received, every drop has exactly one reason, samples are capped; the plan's stage read from
verdicts of the shape the tracking-plan gate gives them (`plan`: policy, violations, omitted)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from receiver.ingest import overview
from receiver.ingest.outcomes import DESTINATION_DISABLED, MAPPING_FAILED, NO_TRIGGER_MATCHED, TRIGGER_FAILED, ignored
from receiver.ingest.overview import Received, funnels, outbound_funnel, received_items
from receiver.logs.stored import StoredLog
from receiver.pages import overview as page
from receiver.store.entries import LogEntry, LogPage, dump_json

T0 = datetime(2026, 12, 7, 9, tzinfo=UTC)
MAPPINGS = ("A", "B", "C")
KINDS = {
    # kind: (status, error code, response, subscription?, source)
    "applied": (202, None, {"id": "evt", "status": "accepted"}, True, "segment"),
    "rules": (422, "INVALID_POINTS", {"error": {"code": "INVALID_POINTS"}}, True, "segment"),
    "payload": (422, "INVALID_PAYLOAD", {"error": {"code": "INVALID_PAYLOAD"}}, True, "segment"),
    "down": (503, "STORE_UNAVAILABLE", {"error": {"code": "STORE_UNAVAILABLE"}}, True, "segment"),
    "mapping": (400, MAPPING_FAILED, {"error": {"code": MAPPING_FAILED}}, True, "segment"),
    "unmatched": (200, None, ignored(NO_TRIGGER_MATCHED, "none"), False, "segment"),
    "off": (200, None, ignored(DESTINATION_DISABLED, "off"), False, "segment"),
    "trigger": (400, TRIGGER_FAILED, {"error": {"code": TRIGGER_FAILED}}, False, "segment"),
    "ingest": (400, "INVALID_MESSAGE", {"success": False, "code": "INVALID_MESSAGE"}, False, "segment"),
    "hook": (202, None, {"id": "evt", "status": "accepted"}, False, "webhook"),
    "hook_door": (400, "INVALID_JSON", {"error": {"code": "INVALID_JSON"}}, False, "webhook"),
    "hook_rules": (422, "INSUFFICIENT_POINTS", {"error": {"code": "INSUFFICIENT_POINTS"}}, False, "webhook"),
}
EXPECTED = {
    "applied": ("applied", None),
    "rules": ("refused_by_rules", "INVALID_POINTS"),
    "payload": ("payload_invalid", "INVALID_PAYLOAD"),
    "down": ("failed", "STORE_UNAVAILABLE"),
    "mapping": ("mapping_failed", MAPPING_FAILED),
    "unmatched": ("filtered", NO_TRIGGER_MATCHED),
    "off": ("filtered", DESTINATION_DISABLED),
    "trigger": ("routing_failed", TRIGGER_FAILED),
    "ingest": ("refused_at_ingest", "INVALID_MESSAGE"),
    "hook": ("applied", None),
    "hook_door": ("refused_at_ingest", "INVALID_JSON"),
    "hook_rules": ("refused_by_rules", "INSUFFICIENT_POINTS"),
}


def entry(seq: int, message_id: str, kind: str, subscription: str = "A") -> LogEntry:
    status, code, response, routed, source = KINDS[kind]
    return LogEntry(
        seq=seq, id=message_id, timestamp=T0 + timedelta(seconds=seq), customer_id="c", event_type="track",
        status=status, response_time=0.0, error=None if code is None else "no", error_code=code,
        request_json="{}", response_json=dump_json(response), source=source,
        subscription=subscription if routed else None, mapping_version="0" * 16 if routed else None,
    )  # fmt: skip


def copy(seq: int, message_id: str) -> LogEntry:
    return LogEntry(
        seq=seq, id=message_id, timestamp=T0, customer_id=None, event_type="track", status=200, response_time=0.0,
        error=None, error_code=None, request_json="null", response_json=dump_json({"status": "duplicate"}),
        source="segment",
    )  # fmt: skip


def plan_verdict(message_id: str, policy: str, outcome: str, deliveries: list[dict[str, Any]]) -> dict[str, Any]:
    """A verdict of the shape the tracking-plan gate adds: `plan` and the outcome `blocked`."""
    violations = [{"type": "Unplanned-Event", "message": "not planned", "meta": {"instancePath": ""}}]
    omitted = ["/properties/extra"] if policy == "omit" else []
    return {
        "message_id": message_id,
        "outcome": outcome,
        "routing": {"status": "none" if outcome == "blocked" else "routed", "code": None, "reason": None},
        "deliveries": deliveries,
        "plan": {"policy": policy, "violations": violations if policy != "allow" else [], "omitted": omitted},
    }


def applied_delivery(subscription: str) -> dict[str, Any]:
    return {"subscription": subscription, "status": 202, "applied": True, "error": None, "log_entry": 1}


message_kinds = st.sampled_from(sorted(k for k in KINDS if KINDS[k][3]))
single_kinds = st.sampled_from(sorted(k for k in KINDS if not KINDS[k][3]))
message = st.one_of(
    st.lists(st.tuples(message_kinds, st.sampled_from(MAPPINGS)), min_size=1, max_size=3, unique_by=lambda t: t[1]),
    single_kinds.map(lambda kind: [(kind, "")]),
)
plan_item = st.sampled_from(["block", "omit", "allow"])


def _check(funnel: dict[str, Any], received: int) -> None:
    assert funnel["received"] == received == sum(stage["count"] for stage in funnel["stages"])
    assert [stage["stage"] for stage in funnel["stages"]] == list(overview.STAGES)
    for stage in funnel["stages"]:
        if stage["stage"] == "applied":
            assert stage["reasons"] == [] and stage["count"] == funnel["applied"]
        else:
            assert sum(reason["count"] for reason in stage["reasons"]) == stage["count"], "exactly one reason each"
        for reason in stage["reasons"]:
            assert 1 <= len(reason["samples"]) <= min(reason["count"], overview.SAMPLES)
    assert funnel["stages"][-1]["remaining"] == funnel["applied"]
    remaining = [stage["remaining"] for stage in funnel["stages"]]
    assert remaining == sorted(remaining, reverse=True)


@given(
    st.lists(message, max_size=25),
    st.lists(st.integers(0, 30), max_size=5),
    st.lists(plan_item, max_size=4),
)
def test_every_funnel_adds_up_and_every_drop_has_one_reason(messages, duplicates, plans) -> None:
    entries: list[LogEntry] = []
    expected: list[tuple[str, str | None]] = []
    for n, parts in enumerate(messages):
        for kind, subscription in parts:
            entries.append(entry(len(entries) + 1, f"m{n}", kind, subscription))
        first = next((EXPECTED[k] for k, _ in parts if EXPECTED[k][0] != "applied"), ("applied", None))
        expected.append(first)
    copies = [copy(i + 1, f"m{n}") for i, n in enumerate(duplicates)]
    items = received_items(reversed(entries), copies)
    blocked = [
        Received(f"p{i}", 900 + i, T0, verdict=plan_verdict(f"p{i}", policy, "blocked" if policy == "block" else
                 "applied", [] if policy == "block" else [applied_delivery("A")]))
        for i, policy in enumerate(plans)
    ]  # fmt: skip
    answer = funnels([*items, *blocked], ["A", "B"])
    total = len(messages) + len(copies) + len(plans)
    _check(answer["overall"], total)
    hooks = sum(1 for parts in messages if parts[0][0].startswith("hook"))
    assert [f["subscription"] for f in answer["mappings"]] == ["A", "B", *(["C"] if any(
        s == "C" for parts in messages for k, s in parts if KINDS[k][3]) else [])]  # fmt: skip
    for funnel in answer["mappings"]:
        _check(funnel, total - hooks)
    if hooks:
        _check(answer["webhook"], hooks)
    else:
        assert answer["webhook"] is None
    overall = {stage["stage"]: stage for stage in answer["overall"]["stages"]}
    assert overall["deduplicated"]["count"] == len(copies)
    assert overall["blocked_by_plan"]["count"] == plans.count("block")
    if "block" in plans:
        assert [r["code"] for r in overall["blocked_by_plan"]["reasons"]] == ["Unplanned-Event"]
    assert answer["overall"]["plan_omitted"]["count"] == plans.count("omit")
    for stage_name in overview.STAGES:
        want = sum(1 for stage, _ in expected if stage == stage_name)
        if stage_name == "applied":
            want += plans.count("omit") + plans.count("allow")
        elif stage_name == "deduplicated":
            want += len(copies)
        elif stage_name == "blocked_by_plan":
            want += plans.count("block")
        assert overall[stage_name]["count"] == want, stage_name


def test_a_message_stops_overall_at_its_first_failed_delivery_and_each_mapping_sees_its_own() -> None:
    entries = [entry(1, "m", "applied", "A"), entry(2, "m", "rules", "B")]
    answer = funnels(received_items(entries, []), ["A", "B", "C"])
    overall = {s["stage"]: s for s in answer["overall"]["stages"]}
    [reason] = overall["refused_by_rules"]["reasons"]
    assert reason["code"] == "INVALID_POINTS" and reason["samples"][0]["subscription"] == "B"
    a, b, c = ({s["stage"]: s["count"] for s in f["stages"] if s["count"]} for f in answer["mappings"])
    assert (a, b, c) == ({"applied": 1}, {"refused_by_rules": 1}, {"filtered": 1})
    assert answer["mappings"][2]["stages"][3]["reasons"][0]["code"] == NO_TRIGGER_MATCHED
    only = funnels(received_items(entries, []), ["A", "B"], only="B")
    assert [f["subscription"] for f in only["mappings"]] == ["B"]


def test_a_verdict_before_the_plan_gate_has_no_plan_key_and_still_counts() -> None:
    verdict = {"message_id": "m", "outcome": "applied", "routing": {"status": "routed"}, "deliveries": []}
    verdict["deliveries"] = [applied_delivery("A")]
    answer = funnels([Received("m", 1, T0, verdict=verdict)], ["A"])
    assert answer["overall"]["applied"] == 1 and answer["overall"]["plan_omitted"]["count"] == 0
    assert overview.plan_reason(None) == overview.PLAN_BLOCKED
    assert overview.plan_reason({"violations": [{"code": "X"}]}) == "X"


def test_samples_are_capped_per_reason_but_every_drop_is_counted() -> None:
    entries = [entry(n, f"m{n}", "unmatched") for n in range(1, 16)]
    [stage] = [s for s in funnels(received_items(entries, []), [])["overall"]["stages"] if s["count"]]
    [reason] = stage["reasons"]
    assert (reason["count"], len(reason["samples"])) == (15, overview.SAMPLES)


def _outbound(seq: int, status: int, code: str | None, attempts: int) -> LogEntry:
    return LogEntry(
        seq=seq, id=f"o{seq}", timestamp=T0, customer_id="c", event_type="track", status=status, response_time=0.1,
        error=None if code is None else "failed", error_code=code, request_json="{}",
        response_json=dump_json({"attempts": attempts, "body": None}),
    )  # fmt: skip


def test_the_outbound_sync_counts_queued_retried_delivered_and_failed_by_code() -> None:
    sent = [_outbound(1, 200, None, 1), _outbound(2, 200, None, 3), _outbound(3, 503, "RETRIES_EXHAUSTED", 4)]
    sent.append(_outbound(4, 0, "MISSING_USER_ID", 0))
    found = outbound_funnel(sent, queued=7)
    assert (found["enabled"], found["queued"], found["sent"], found["delivered"]) == (True, 7, 4, 2)
    assert found["retried"]["count"] == 2 and found["retried"]["retries"] == 5
    assert {r["code"]: r["count"] for r in found["failed"]["reasons"]} == {"RETRIES_EXHAUSTED": 1, "MISSING_USER_ID": 1}
    assert outbound_funnel([], None)["enabled"] is False


class PagedLog:
    """A log's query interface over a list, newest first, paged by cursor (what `StoredLog.query` answers)."""

    def __init__(self, entries: list[LogEntry]) -> None:
        self.entries = sorted(entries, key=lambda e: e.seq, reverse=True)

    async def query(self, where: Any, *, limit: int, cursor: int | None = None) -> LogPage:
        kept = [e for e in self.entries if where(e) and (cursor is None or e.seq < cursor)]
        page = kept[:limit]
        return LogPage(page, page[-1].seq if len(kept) > limit else None)

    collect = StoredLog.collect  # the real paging over this query


def test_the_answer_reads_at_most_max_entries_and_says_truncated(monkeypatch) -> None:
    monkeypatch.setattr(page, "MAX_ENTRIES", 5)
    monkeypatch.setattr(page, "PAGE", 2)
    inbound = PagedLog([entry(n, f"m{n}", "applied") for n in range(1, 9)])
    sources = page.OverviewSources(inbound, PagedLog([]), PagedLog([]), None, lambda: ["A"])  # type: ignore[arg-type]
    answer = asyncio.run(page.delivery_overview(sources, "1h", now=T0 + timedelta(minutes=1)))
    assert answer["truncated"] is True and answer["overall"]["received"] == 5
    [sample] = [s for s in answer["overall"]["stages"] if s["stage"] == "applied"]
    assert sample["count"] == 5
    small = asyncio.run(page.delivery_overview(sources, "15m", now=T0 + timedelta(hours=2)))
    assert small["truncated"] is False and small["overall"]["received"] == 0
