"""Retention per source and per kind, on every backend alike (`receiver.store.retention`): reads never
show an entry past its limit, bodies past theirs read as removed while the entry stays, and the sweep
really frees what is gone (rows deleted, bodies set to NULL on SQL; the ring's bytes in memory)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select
from test_store_records import entry

from receiver.store.contract import LogFilter, LoyaltyStore, NewQuarantined
from receiver.store.memory.store import MemoryStore
from receiver.store.retention import DAY, REMOVED, SWEEP_EVERY, Retention
from receiver.store.sql import tables as t
from receiver.store.sql.store import SqlStore

PER_SOURCE = Retention(
    default_seconds=3 * DAY,
    sources={"webhook": 1 * DAY, "segment:analytics.js": 10 * DAY},
    kinds={"duplicate": 2 * DAY},
)


def _ago(backend: Any, days: float) -> datetime:
    return datetime.fromtimestamp(backend.clock.now - days * DAY, UTC)


async def _ids(store: LoyaltyStore, kind: Any = "inbound") -> list[str]:
    return [e.id for e in (await store.log_query(kind, LogFilter(), limit=100, cursor=None)).entries]


async def _rows(store: LoyaltyStore) -> list[tuple[str, Any, Any]]:
    """The log's rows as the database holds them (id, request, response), whatever retention reads show."""
    assert isinstance(store, SqlStore)
    log = t.log_entries.c

    def rows(conn: Connection) -> list[tuple[str, Any, Any]]:
        query = select(log.id, log.request.is_(None), log.response.is_(None)).order_by(log.seq)
        return [tuple(row) for row in conn.execute(query)]

    return await store.read(rows)


def test_each_source_is_kept_for_its_own_days_and_unknown_sources_for_the_default(backend):
    async def body(store: LoyaltyStore) -> None:
        await store.log_add(
            "inbound",
            [
                entry(1, timestamp=_ago(backend, 2), source="webhook"),  # past webhook's 1 day
                entry(2, timestamp=_ago(backend, 2), source="segment:analytics.js"),
                entry(3, timestamp=_ago(backend, 2), source="segment:analytics-ios"),  # the default: 3 days
                entry(4, timestamp=_ago(backend, 5), source="segment:analytics.js"),  # its 10 days
                entry(5, timestamp=_ago(backend, 5), source="segment:analytics-ios"),  # past the default
                entry(6, timestamp=_ago(backend, 2.5), source=None),  # an entry from before sources: the default
                entry(7, timestamp=_ago(backend, 0.5), source="webhook"),
            ],
        )
        await store.log_add(
            "duplicate",
            [
                entry(11, timestamp=_ago(backend, 2.5), source="segment:analytics-ios"),  # past duplicates' 2 days
                entry(12, timestamp=_ago(backend, 5), source="segment:analytics.js"),  # its source's days win
                entry(13, timestamp=_ago(backend, 1.5), source="segment"),
            ],
        )
        assert await _ids(store) == ["m-7", "m-6", "m-4", "m-3", "m-2"]
        assert await store.log_count("inbound", LogFilter()) == 5
        assert await store.log_count("inbound", LogFilter(customer_id="c1")) == 2  # m-4 and m-7; m-1 is gone
        assert set(await store.log_sources("inbound")) == {"webhook", "segment:analytics.js", "segment:analytics-ios"}
        assert await _ids(store, "duplicate") == ["m-13", "m-12"]
        backend.clock.now += 1.5 * DAY  # m-3 and m-6 pass the default, m-7 webhook's day
        assert await _ids(store) == ["m-4", "m-2"]
        assert await store.log_sources("inbound") == {"segment:analytics.js": _ago(backend, 3.5)}
        assert await _ids(store, "duplicate") == ["m-12"]
        assert await store.log_forget("inbound", LogFilter(customer_id="c1")) == 1  # m-4; m-1 and m-7 were gone
        assert await _ids(store) == ["m-2"]

    backend.run(body, retention=PER_SOURCE)


def test_the_older_max_age_setting_caps_every_source(backend):
    async def body(store: LoyaltyStore) -> None:
        await store.log_add(
            "inbound",
            [
                entry(1, timestamp=_ago(backend, 1.5), source="segment:analytics.js"),  # 10 days, capped at 1
                entry(2, timestamp=_ago(backend, 0.5), source="segment:analytics.js"),
            ],
        )
        assert await _ids(store) == ["m-2"]

    backend.run(body, retention=PER_SOURCE, log_max_age_seconds=DAY)


def test_bodies_go_after_their_days_while_the_entry_stays(backend):
    retention = Retention(default_seconds=30 * DAY, body_seconds=7 * DAY)

    async def body(store: LoyaltyStore) -> None:
        await store.log_add(
            "inbound",
            [
                entry(4, timestamp=_ago(backend, 8), source="webhook", request={"big": "x" * 2000}),
                entry(5, timestamp=_ago(backend, 6), source="webhook"),
            ],
        )
        old, young = reversed((await store.log_query("inbound", LogFilter(), limit=10, cursor=None)).entries)
        assert old.request == REMOVED and old.response == REMOVED
        assert (old.id, old.status, old.error, old.error_code, old.customer_id) == (
            "m-4",
            422,
            "refused",
            "INVALID_POINTS",
            "c1",
        )
        assert old.timestamp == _ago(backend, 8) and old.source == "webhook"
        assert young.request == {"n": 5, "nested": {"é": [1, None]}} and young.response == {"status": "accepted"}
        assert await store.log_count("inbound", LogFilter(error=True)) == 1  # the refused m-4 is still found

        backend.clock.now += 1.5 * DAY  # m-5's bodies go too
        if isinstance(store, SqlStore):
            assert await _rows(store) == [("m-4", False, False), ("m-5", False, False)]  # not swept yet
        before = store.log_bytes("inbound") if isinstance(store, MemoryStore) else 0
        await store.retention_sweep()
        if isinstance(store, SqlStore):
            assert await _rows(store) == [("m-4", True, True), ("m-5", True, True)]  # NULL in the database
        else:
            assert (
                isinstance(store, MemoryStore) and store.log_bytes("inbound") < before - 1900
            )  # the 2000-byte body is freed
        found = (await store.log_query("inbound", LogFilter(), limit=10, cursor=None)).entries
        assert [(e.id, e.request, e.response, e.status) for e in found] == [
            ("m-5", REMOVED, REMOVED, 202),
            ("m-4", REMOVED, REMOVED, 422),
        ]
        backend.clock.now -= (
            3 * DAY
        )  # a clock set back (or a longer raw_body_days after a restart): removed stays removed
        found = (await store.log_query("inbound", LogFilter(), limit=10, cursor=None)).entries
        assert [(e.id, e.request, e.response) for e in found] == [("m-5", REMOVED, REMOVED), ("m-4", REMOVED, REMOVED)]

    backend.run(body, retention=retention)


def test_the_sweep_deletes_what_retention_says_is_gone(backend):
    async def body(store: LoyaltyStore) -> None:
        await store.log_add(
            "inbound",
            [
                entry(1, timestamp=_ago(backend, 2), source="webhook"),
                entry(2, timestamp=_ago(backend, 2), source="segment:analytics.js"),
                entry(3, timestamp=_ago(backend, 4), source="segment:analytics-ios"),
            ],
        )
        await store.log_add("duplicate", [entry(4, timestamp=_ago(backend, 2.5), source="segment")])
        if isinstance(store, SqlStore):
            assert [row[0] for row in await _rows(store)] == ["m-1", "m-2", "m-3", "m-4"]  # hidden, still held
        held = store.log_bytes("inbound") if isinstance(store, MemoryStore) else 0
        await store.retention_sweep()
        assert await _ids(store) == ["m-2"] and await _ids(store, "duplicate") == []
        if isinstance(store, SqlStore):
            assert [row[0] for row in await _rows(store)] == ["m-2"]
        else:
            assert isinstance(store, MemoryStore)
            assert store.log_bytes("inbound") < held and store.log_bytes("duplicate") == 0
        backend.clock.now += 9 * DAY  # m-2 passes analytics.js' 10 days
        await store.retention_sweep()
        assert await _ids(store) == []
        if isinstance(store, SqlStore):
            assert await _rows(store) == []
        else:
            assert isinstance(store, MemoryStore) and store.log_bytes("inbound") == 0

    backend.run(body, retention=PER_SOURCE)


def test_blocked_messages_go_after_quarantine_days(backend):
    def blocked(message_id: str, days_ago: float) -> NewQuarantined:
        message = {"type": "track", "event": "Order Completed", "messageId": message_id}
        return NewQuarantined(message_id, _ago(backend, days_ago), "track", "Order Completed", message, [])

    async def held(store: LoyaltyStore) -> list[str]:
        return [kept.message_id for kept in await store.quarantine_list(limit=10)]

    async def body(store: LoyaltyStore) -> None:
        for message_id, days_ago in (("q-old", 6), ("q-mid", 3), ("q-new", 1)):
            await store.quarantine_put(blocked(message_id, days_ago))
        assert await held(store) == ["q-new", "q-mid"] and await store.quarantine_count() == 2
        assert await store.quarantine_get("q-old") is None and await store.quarantine_take("q-old") is None
        backend.clock.now += 2.5 * DAY  # q-mid passes the 5 days
        assert await store.quarantine_get("q-mid") is None and await store.quarantine_take("q-mid") is None
        assert await held(store) == ["q-new"]
        await store.quarantine_put(blocked("q-mid-2", 4.5))
        await store.retention_sweep()
        assert await held(store) == ["q-mid-2", "q-new"]  # newest kept first
        if isinstance(store, SqlStore):
            ids = await store.read(lambda conn: conn.execute(select(t.quarantine.c.message_id)).scalars().all())
            assert sorted(ids) == ["q-mid-2", "q-new"]  # the sweep deleted what was past retention
        backend.clock.now += DAY
        await store.retention_sweep()
        assert await held(store) == ["q-new"] and await store.quarantine_count() == 1
        taken = await store.quarantine_take("q-new")
        assert taken is not None and taken.message_id == "q-new"

    backend.run(body, retention=Retention(quarantine_seconds=5 * DAY))


def test_writes_bring_the_sweep_round_without_being_asked(backend):
    """Every `SWEEP_EVERY` log writes a store sweeps by itself (SQL queues it beside the writes, memory runs it)."""

    def held(store: LoyaltyStore) -> int:
        return store.log_bytes("inbound") if isinstance(store, MemoryStore) else 0

    async def body(store: LoyaltyStore) -> None:
        await store.log_add("inbound", [entry(0, timestamp=_ago(backend, 2), source="webhook", request="x" * 9000)])
        old = held(store)
        fresh = entry(1, timestamp=_ago(backend, 0), source="webhook")
        for _ in range(SWEEP_EVERY):
            [written] = await store.log_add("inbound", [fresh])
        await store.log_add("outbound", [fresh])  # on SQL, after the queued sweep
        if isinstance(store, SqlStore):
            assert [row[0] for row in await _rows(store)] == ["m-1"] * (SWEEP_EVERY + 1)  # m-0's row is deleted
        else:
            assert isinstance(store, MemoryStore) and old > 9000
            assert held(store) == SWEEP_EVERY * written.size  # the fresh entries only: the old one is freed

    backend.run(body, retention=PER_SOURCE)
