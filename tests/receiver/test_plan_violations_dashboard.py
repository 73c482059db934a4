"""The dashboard's tracking-plan card: violations per event and kind, each message once however many
entries it made, at most five samples linking to the log; and the week window."""

from __future__ import annotations

from datetime import UTC, datetime

from receiver.pages.violations import SAMPLES, plan_violations
from receiver.store.entries import LogEntry, dump_json

T0 = datetime(2026, 12, 7, tzinfo=UTC)


def entry(seq: int, message_id: str, kinds: list[str], event: str = "track 'Order Completed'") -> LogEntry:
    check = {
        "policy": "allow",
        "event": event,
        "violations": [{"type": kind, "message": f"{kind} here", "meta": {"instancePath": "/x"}} for kind in kinds],
        "omitted": [],
    }
    return LogEntry(
        seq=seq, id=message_id, timestamp=T0, customer_id=None, event_type="track", status=202, response_time=0.0,
        error=None, error_code=None, request_json="{}", response_json="{}", plan_json=dump_json(check),
    )  # fmt: skip


def test_each_message_counts_once_per_kind_and_the_samples_are_the_newest_five() -> None:
    entries = [entry(n, f"m-{n}", ["Pattern-Mismatch"]) for n in range(1, 8)]
    entries += [entry(20, "m-7", ["Pattern-Mismatch", "Required-Missing"])]  # a second subscription's entry
    entries += [entry(21, "u-1", ["Unplanned-Event"], "(unplanned)")]
    entries += [LogEntry(**{**vars(entries[0]), "seq": 30, "id": "plain", "plan_json": None})]
    rows = plan_violations(entries, log_path="/logs")
    assert [(r["event"], r["kind"], r["count"]) for r in rows] == [
        ("track 'Order Completed'", "Pattern-Mismatch", 7),
        ("(unplanned)", "Unplanned-Event", 1),
        ("track 'Order Completed'", "Required-Missing", 1),
    ]
    samples = rows[0]["samples"]
    assert len(samples) == SAMPLES and [s["message_id"] for s in samples] == ["m-7", "m-6", "m-5", "m-4", "m-3"]
    assert samples[0] == {"message_id": "m-7", "message": "Pattern-Mismatch here", "url": "/logs?id=m-7"}


def test_the_week_window_is_offered(receiver_server) -> None:
    with receiver_server.client(headers=receiver_server.auth) as http:
        data = http.get("/dashboard/data", params={"window": "7d"}).json()
    assert data["inbound"]["window"] == "7d" and len(data["inbound"]["buckets"]) == 168
    assert data["windows"]["7d"] == "Last 7 days" and data["plan_violations"] == []
