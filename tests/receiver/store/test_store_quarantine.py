"""Every backend keeps the messages the tracking plan blocked: one per messageId, newest first, within
its count and byte bounds; `take` hands a message to one caller only; and a log entry keeps the plan's
verdict on its message.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_store_records import entry

from receiver.store.contract import LogFilter, LoyaltyStore, NewQuarantined

WHEN = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
VIOLATION = {
    "type": "Required-Missing",
    "message": "'total' is required but missing",
    "meta": {"instancePath": "/properties/total"},
}


def held(message_id: str, padding: int = 0) -> NewQuarantined:
    message = {
        "type": "track",
        "event": "Order Completed",
        "messageId": message_id,
        "properties": {"pad": "x" * padding},
    }
    return NewQuarantined(message_id, WHEN, "track", "Order Completed", message, [VIOLATION])


def test_a_blocked_message_is_kept_listed_and_taken_once(backend):
    async def body(store: LoyaltyStore) -> None:
        kept = await store.quarantine_put(held("q-1"))
        await store.quarantine_put(held("q-2"))
        assert kept is not None and kept.message["messageId"] == "q-1"
        listed = await store.quarantine_list(limit=10)
        assert [q.message_id for q in listed] == ["q-2", "q-1"]
        assert listed[1].violations == [VIOLATION] and listed[1].quarantined_at == WHEN
        assert listed[1].event == "Order Completed" and listed[1].event_type == "track"
        assert await store.quarantine_count() == 2
        got = await store.quarantine_get("q-1")
        assert got is not None and got.public()["message"]["messageId"] == "q-1"
        taken = await store.quarantine_take("q-1")
        assert taken is not None and taken.message_id == "q-1"
        assert await store.quarantine_take("q-1") is None
        assert await store.quarantine_get("q-1") is None
        assert await store.quarantine_count() == 1

    backend.run(body)


def test_blocking_a_message_again_replaces_its_copy(backend):
    async def body(store: LoyaltyStore) -> None:
        await store.quarantine_put(held("q-1"))
        await store.quarantine_put(held("q-2"))
        again = NewQuarantined("q-1", WHEN, "track", "Order Completed", {"messageId": "q-1", "v": 2}, [])
        await store.quarantine_put(again)
        listed = await store.quarantine_list(limit=10)
        assert [q.message_id for q in listed] == ["q-1", "q-2"]
        assert listed[0].message == {"messageId": "q-1", "v": 2} and listed[0].violations == []

    backend.run(body)


def test_two_replays_racing_get_the_message_once(backend):
    async def body(first: LoyaltyStore, second: LoyaltyStore) -> None:
        await first.quarantine_put(held("q-1"))
        found = await asyncio.gather(first.quarantine_take("q-1"), second.quarantine_take("q-1"))
        assert sorted(x is not None for x in found) == [False, True]

    backend.run(body, stores=2)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(0, 600), min_size=1, max_size=12))
def test_the_quarantine_stays_within_its_count_and_bytes(backend, sizes):
    async def body(store: LoyaltyStore) -> None:
        for message_id in [q.message_id for q in await store.quarantine_list(limit=1000)]:
            await store.quarantine_take(message_id)
        for n, size in enumerate(sizes):
            await store.quarantine_put(held(f"b-{n}", size))
        listed = await store.quarantine_list(limit=1000)
        texts = sum(len(q.message_json.encode()) + len(q.violations_json.encode()) for q in listed)
        assert len(listed) <= 4 and texts <= 2000
        assert [q.message_id for q in listed] == sorted((q.message_id for q in listed), key=lambda m: -int(m[2:]))
        if sizes[-1] < 1000:  # the newest always stays when it fits on its own
            assert listed and listed[0].message_id == f"b-{len(sizes) - 1}"
        assert await store.quarantine_count() == len(listed)

    backend.run(body, quarantine_size=4, quarantine_max_bytes=2000)


def test_a_message_larger_than_the_bound_is_not_kept(backend):
    async def body(store: LoyaltyStore) -> None:
        assert await store.quarantine_put(held("big", 5000)) is None
        assert await store.quarantine_count() == 0

    backend.run(body, quarantine_max_bytes=2000)


def test_a_log_entry_keeps_the_plan_verdict(backend):
    async def body(store: LoyaltyStore) -> None:
        verdict = {"policy": "omit", "violations": [VIOLATION], "omitted": ["/properties/coupon"]}
        [written] = await store.log_add("inbound", [entry(1, plan_check=verdict)])
        [plain] = await store.log_add("inbound", [entry(2)])
        page = await store.log_query("inbound", LogFilter(), limit=10, cursor=None)
        back = {e.id: e for e in page.entries}
        assert written.plan_check == verdict and back["m-1"].plan_check == verdict
        assert back["m-1"].public()["plan"] == verdict
        assert plain.plan_check is None and back["m-2"].plan_check is None

    backend.run(body)
