"""The store contract's records, on every backend: logs (filters, pages, retention), the transactional outbox."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from receiver.store.contract import (
    Change,
    CustomerSnapshot,
    LogFilter,
    LoyaltyStore,
    NewLogEntry,
    OutboxItem,
    StoredEvent,
)
from receiver.store.entries import unstored_entry

T0 = datetime(2024, 11, 26, 15, 0, tzinfo=UTC)


def entry(n: int, **overrides: Any) -> NewLogEntry:
    fields: dict[str, Any] = {
        "id": f"m-{n}",
        "timestamp": T0 + timedelta(seconds=n, microseconds=n),
        "customer_id": f"c{n % 3}",
        "event_type": "track" if n % 2 else "identify",
        "status": 202 if n % 4 else 422,
        "response_time": n / 1000,
        "error": None if n % 4 else "refused",
        "error_code": None if n % 4 else "INVALID_POINTS",
        "request": {"n": n, "nested": {"é": [1, None]}},
        "response": {"status": "accepted"},
    }
    return NewLogEntry(**{**fields, **overrides})


def test_log_entries_come_back_newest_first_with_every_filter(backend):
    async def body(store: LoyaltyStore) -> None:
        written = await store.log_add("inbound", [entry(n) for n in range(1, 21)])
        assert [e.id for e in written] == [f"m-{n}" for n in range(1, 21)]
        assert written[0].timestamp == T0 + timedelta(seconds=1, microseconds=1)
        await store.log_add("outbound", [entry(99)])
        everything = await store.log_query("inbound", LogFilter(), limit=100, cursor=None)
        assert [e.id for e in everything.entries] == [f"m-{n}" for n in range(20, 0, -1)]
        assert everything.entries[0].request == {"n": 20, "nested": {"é": [1, None]}}
        cases = {
            LogFilter(id="m-5"): [5],
            LogFilter(customer_id="c1"): [n for n in range(20, 0, -1) if n % 3 == 1],
            LogFilter(event_type="identify"): [n for n in range(20, 0, -1) if n % 2 == 0],
            LogFilter(error=True): [20, 16, 12, 8, 4],
            LogFilter(error=False, status=202): [n for n in range(20, 0, -1) if n % 4],
            LogFilter(error_code="INVALID_POINTS"): [20, 16, 12, 8, 4],
            LogFilter(since=T0 + timedelta(seconds=5), until=T0 + timedelta(seconds=8)): [7, 6, 5],
            LogFilter(min_response_time=0.018): [20, 19, 18],
        }
        for where, expected in cases.items():
            found = await store.log_query("inbound", where, limit=100, cursor=None)
            assert [e.id for e in found.entries] == [f"m-{n}" for n in expected], where
            assert await store.log_count("inbound", where) == len(expected)
        first = await store.log_query("inbound", LogFilter(), limit=7, cursor=None)
        assert first.next_cursor is not None
        second = await store.log_query("inbound", LogFilter(), limit=100, cursor=first.next_cursor)
        assert [e.id for e in first.entries + second.entries] == [e.id for e in everything.entries]
        assert second.next_cursor is None
        assert [e.id for e in (await store.log_query("outbound", LogFilter(), limit=5, cursor=None)).entries] == [
            "m-99"
        ]

    backend.run(body)


def test_an_entry_the_store_could_not_take_reads_as_a_stored_one(backend):
    """With the database down the answer still names its entry (`unstored_entry`): every field of the entry to
    write, those added later included, must come back as the store gives it back."""
    full = entry(
        7,
        subscription="Order Completed → checkout",
        mapping_version="b87b3879265105e4",
        test_run="ci-1",
        plan_check={"policy": "omit", "violations": [], "omitted": ["/properties/extra"]},
    )

    async def body(store: LoyaltyStore) -> None:
        (stored,) = await store.log_add("inbound", [full])
        unstored = unstored_entry(**vars(full), seq=stored.seq)
        assert unstored.public() == stored.public()

    backend.run(body)


def test_logs_keep_the_newest_entries_by_count_and_by_age(backend):
    async def body(store: LoyaltyStore) -> None:
        now = datetime.fromtimestamp(backend.clock.now, UTC)
        await store.log_add("inbound", [entry(n, timestamp=now - timedelta(seconds=100 - n)) for n in range(10)])
        kept = await store.log_query("inbound", LogFilter(), limit=100, cursor=None)
        assert [e.id for e in kept.entries] == ["m-9", "m-8", "m-7", "m-6", "m-5"]
        assert await store.log_count("inbound", LogFilter()) == 5
        backend.clock.now += 8.5  # m-5 .. m-8 are now older than 100 s
        assert [e.id for e in (await store.log_query("inbound", LogFilter(), limit=9, cursor=None)).entries] == ["m-9"]

    backend.run(body, log_size=5, log_max_age_seconds=100)


class Source:
    """An outbox source: one message per event, about the event it came from."""

    def items(self, customer: CustomerSnapshot, event: StoredEvent, changed: Any) -> list[OutboxItem]:
        message = {"type": "track", "event": event.action, "messageId": f"{event.id}-track", "userId": customer.id}
        return [OutboxItem(customer.id, message["messageId"], "track", message)]


def test_outbox_rows_are_written_with_their_commit_and_not_without_it(backend):
    async def body(store: LoyaltyStore) -> None:
        woken: list[int] = []
        store.set_outbox_source(Source(), lambda: woken.append(1))
        event = await store.apply("u1", lambda _v: Change("a", "point_add", {"points": 1}, points=1))
        with pytest.raises(RuntimeError):
            await store.apply("u1", lambda _v: (_ for _ in ()).throw(RuntimeError("decision failed")))
        assert await store.outbox_pending() == 1 and woken == [1]
        [row] = await store.outbox_claim(10, lease=30)
        assert row.item.message_id == f"{event.id}-track" and row.item.message["userId"] == "u1"
        assert row.attempts == 1 and row.item.refusal is None

    backend.run(body)


def test_a_claimed_row_is_nobody_elses_until_its_lease_ends_and_it_keeps_its_message_id(backend):
    async def body(one: LoyaltyStore, two: LoyaltyStore) -> None:
        items = [OutboxItem("u", f"m-{n}", "track", {"messageId": f"m-{n}"}) for n in range(30)]
        await one.outbox_put(items)
        await one.outbox_put([OutboxItem("u", "r", None, {"messageId": "r"}, refusal=("NO_USER_ID", "none"))])
        claims = await asyncio.gather(*((one if n % 2 else two).outbox_claim(4, lease=10) for n in range(10)))
        seqs = [row.seq for claim in claims for row in claim]
        assert len(seqs) == len(set(seqs)) == 31, "every row claimed exactly once"
        assert await one.outbox_claim(10, lease=10) == []
        # Each claim takes its rows oldest first; on PostgreSQL (SKIP LOCKED) two racing claims may
        # interleave, so which rows fall to which claim is not fixed, only their order within one.
        assert all([row.seq for row in claim] == sorted(row.seq for row in claim) for claim in claims)
        first = min(claims, key=lambda rows: rows[0].seq if rows else 1 << 62)
        assert first[0].item.message_id == "m-0"
        refused = [row for claim in claims for row in claim if row.item.refusal]
        assert [row.item.refusal for row in refused] == [("NO_USER_ID", "none")]
        await one.outbox_done(seqs[:10])
        await one.outbox_release(seqs[10:12])
        again = await two.outbox_claim(100, lease=10)
        assert sorted(row.seq for row in again) == sorted(seqs[10:12])
        assert {row.attempts for row in again} == {2}
        await two.outbox_extend(seqs[12:14], lease=100)
        backend.clock.now += 11  # the other leases ran out: a dead sender's rows come back
        back = await one.outbox_claim(100, lease=10)
        assert {row.seq for row in back} == set(seqs[10:]) - set(seqs[12:14])
        assert await one.outbox_pending() == 31 - 10

    backend.run(body, stores=2)
