"""`verdict_of`: the outcome a message's entries tell, for any mix of deliveries (Hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from receiver.ingest.outcomes import MAPPING_FAILED, NO_TRIGGER_MATCHED, ignored
from receiver.ingest.verdicts import verdict_of
from receiver.store.entries import LogEntry, dump_json

T0 = datetime(2026, 12, 7, tzinfo=UTC)
ENDINGS = {"applied": (202, None), "refused": (422, "INVALID_POINTS"), "mapping": (400, MAPPING_FAILED)}


def entry(seq: int, ending: str, **fields) -> LogEntry:
    status, code = ENDINGS[ending]
    response = {"id": f"evt_{seq}", "status": "accepted"} if code is None else {"error": {"code": code, "field": "x"}}
    return LogEntry(
        seq=seq, id="m", timestamp=T0, customer_id="c", event_type="track", status=status, response_time=0.0,
        error=None if code is None else "no", error_code=code, request_json=dump_json({"n": seq}),
        response_json=dump_json(response), source="segment", subscription=f"s{seq}", mapping_version="0" * 16,
        **fields,
    )  # fmt: skip


@given(st.lists(st.sampled_from(sorted(ENDINGS)), min_size=1, max_size=6))
def test_the_outcome_follows_what_each_delivery_did(endings: list[str]) -> None:
    verdict = verdict_of("m", [entry(n, e) for n, e in enumerate(endings, 1)], [])
    applied = endings.count("applied")
    if applied == len(endings):
        assert verdict["outcome"] == "applied"
    elif applied:
        assert verdict["outcome"] == "partly_applied"
    elif set(endings) == {"mapping"}:
        assert verdict["outcome"] == "mapping_failed"
    else:
        assert verdict["outcome"] == "refused"
    assert [d["log_entry"] for d in verdict["deliveries"]] == list(range(1, len(endings) + 1))
    assert all((d["payload"] is None) == (d["stage"] == "mapping") for d in verdict["deliveries"])
    assert all(d["error"] is None or d["error"]["field"] == "x" for d in verdict["deliveries"])


def test_a_message_that_stopped_before_any_mapping_says_why() -> None:
    stopped = LogEntry(
        seq=3, id="m", timestamp=T0, customer_id=None, event_type="track", status=200, response_time=0.0,
        error=None, error_code=None, request_json="{}",
        response_json=dump_json(ignored(NO_TRIGGER_MATCHED, "nothing matches")), source="segment", test_run="r",
    )  # fmt: skip
    verdict = verdict_of("m", [stopped], [])
    assert verdict["outcome"] == "ignored" and verdict["deliveries"] == [] and verdict["test_run"] == "r"
    assert verdict["routing"] == {"status": "ignored", "code": NO_TRIGGER_MATCHED, "reason": "nothing matches"}
    copies_only = verdict_of("m", [], [stopped])
    assert copies_only["outcome"] == "duplicate" and copies_only["routing"]["status"] == "none"
