"""The store contract, run unchanged on every backend (memory, SQLite, PostgreSQL): the ledger's rules."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime

import pytest

from receiver.errors import ApiError
from receiver.store.contract import Change, CustomerView, LoyaltyStore, StoredResponse


def add(points: int, account: str = "a", **extra: object):
    return lambda _view: Change(account=account, action="point_add", data={"points": points}, points=points, **extra)


def subtract(points: int, account: str = "a"):
    def decide(view: CustomerView) -> Change:
        if view.balance(account) < points:
            raise ApiError(422, "INSUFFICIENT_POINTS", "not enough points", field="data.points")
        return Change(account=account, action="point_subtract", data={"points": points}, points=-points)

    return decide


def checkout(transaction_id: str, earned: int = 5, account: str = "a"):
    def decide(view: CustomerView) -> Change:
        if view.transaction_seen(account, transaction_id):
            raise ApiError(409, "ERR_TX_ALREADY_EXISTS", "taken", field="data.transaction_id")
        data = {"transaction_id": transaction_id, "total": earned}
        return Change(account=account, action="checkout", data=data, points=earned, transaction_id=transaction_id)

    return decide


def test_an_event_is_written_with_its_effects_and_read_back(backend):
    async def body(store: LoyaltyStore) -> None:
        assert await store.customer("u1") is None and await store.events("u1", offset=0, limit=5) is None
        profile = {"first_name": "Ada"}
        event = await store.apply(
            "u1",
            lambda view: Change(
                "a", "profile", {"first_name": "Ada", "x": [1]}, profile=profile, attributes={"x": [1]}
            ),
        )
        await store.apply("u1", add(7))
        await store.apply("u1", lambda _v: Change("b", "opt_in", {}, opted_in=True))
        customer = await store.customer("u1")
        assert customer is not None
        assert (customer.profile, customer.attributes, customer.opted_in) == (profile, {"x": [1]}, True)
        assert customer.balances == {"a": 7} and customer.event_count == 3
        assert customer.created_at == event.received_at and customer.created_at.tzinfo is not None
        page, total = await store.events("u1", offset=1, limit=1) or ([], 0)
        assert total == 3 and [e.action for e in page] == ["point_add"] and page[0].points == 7
        first, _ = await store.events("u1", offset=0, limit=1) or ([], 0)
        assert first == [event] and event.data == {"first_name": "Ada", "x": [1]}
        assert (await store.customer_count(), await store.event_count()) == (1, 3)

    backend.run(body)


def test_a_refusing_decision_writes_nothing(backend):
    async def body(store: LoyaltyStore) -> None:
        with pytest.raises(ApiError) as refused:
            await store.apply("u1", subtract(1))
        assert refused.value.code == "INSUFFICIENT_POINTS"
        assert await store.customer("u1") is None and await store.event_count() == 0

    backend.run(body)


def test_concurrent_subtractions_never_overdraw_even_from_two_processes(backend):
    async def body(one: LoyaltyStore, two: LoyaltyStore) -> None:
        await one.apply("u", add(30))
        calls = [(one if n % 2 else two).apply("u", subtract(2)) for n in range(40)]
        results = await asyncio.gather(*calls, return_exceptions=True)
        outcome = Counter("ok" if not isinstance(r, BaseException) else r.code for r in results)  # type: ignore[attr-defined]
        assert outcome == Counter({"ok": 15, "INSUFFICIENT_POINTS": 25})
        customer = await two.customer("u")
        assert customer is not None and customer.balances == {"a": 0} and customer.event_count == 16

    backend.run(body, stores=2)


def test_concurrent_adds_are_all_counted(backend):
    async def body(one: LoyaltyStore, two: LoyaltyStore) -> None:
        await asyncio.gather(*((one if n % 2 else two).apply("u", add(1)) for n in range(100)))
        customer = await one.customer("u")
        assert customer is not None and customer.balances == {"a": 100} and customer.event_count == 100

    backend.run(body, stores=2)


def test_a_transaction_id_is_applied_once_per_account_across_customers_and_processes(backend):
    async def body(one: LoyaltyStore, two: LoyaltyStore) -> None:
        calls = [(one if n % 2 else two).apply(f"c{n}", checkout("tx")) for n in range(12)]
        results = await asyncio.gather(*calls, return_exceptions=True)
        codes = Counter("ok" if not isinstance(r, BaseException) else r.code for r in results)  # type: ignore[attr-defined]
        assert codes == Counter({"ok": 1, "ERR_TX_ALREADY_EXISTS": 11})
        await one.apply("c0", checkout("tx", account="other"))  # another account has its own IDs
        assert await one.event_count() == 2

    backend.run(body, stores=2)


def test_a_new_customers_first_events_from_two_processes_both_land(backend):
    async def body(one: LoyaltyStore, two: LoyaltyStore) -> None:
        await asyncio.gather(*((one if n % 2 else two).apply("new", add(1)) for n in range(10)))
        customer = await one.customer("new")
        assert customer is not None and customer.event_count == 10 and customer.balances == {"a": 10}

    backend.run(body, stores=2)


def test_idempotency_reserve_replay_mismatch_and_in_progress(backend):
    async def body(one: LoyaltyStore, two: LoyaltyStore) -> None:
        assert await one.idempotency_begin("k", "fp", ttl=60, lease=30) == "reserved"
        assert await two.idempotency_begin("k", "fp", ttl=60, lease=30) == "in_progress"
        assert await two.idempotency_begin("k", "other", ttl=60, lease=30) == ("mismatch", "fp")
        event = await one.apply("u", add(3), idempotency_key="k")
        assert await two.idempotency_begin("k", "fp", ttl=60, lease=30) == StoredResponse(
            202, {"id": event.id, "status": "accepted"}
        )
        assert await one.idempotency_begin("r", "fp", ttl=60, lease=30) == "reserved"
        await one.idempotency_finish("r", StoredResponse(422, {"error": {"code": "X"}}))
        assert await two.idempotency_begin("r", "fp", ttl=60, lease=30) == StoredResponse(422, {"error": {"code": "X"}})

    backend.run(body, stores=2)


def test_one_of_many_concurrent_reservations_wins(backend):
    async def body(one: LoyaltyStore, two: LoyaltyStore) -> None:
        claims = await asyncio.gather(
            *((one if n % 2 else two).idempotency_begin("k", "fp", ttl=60, lease=30) for n in range(20))
        )
        assert Counter(claims) == Counter({"reserved": 1, "in_progress": 19})

    backend.run(body, stores=2)


def test_idempotency_keys_expire_and_dead_reservations_are_taken_over(backend):
    async def body(store: LoyaltyStore) -> None:
        await store.idempotency_begin("done", "fp", ttl=60, lease=10)
        await store.idempotency_finish("done", StoredResponse(202, {}))
        await store.idempotency_begin("stuck", "fp", ttl=60, lease=10)
        await store.idempotency_begin("released", "fp", ttl=60, lease=10)
        await store.idempotency_release("released")
        assert await store.idempotency_begin("released", "fp", ttl=60, lease=10) == "reserved"
        backend.clock.now += 11
        assert await store.idempotency_begin("stuck", "fp", ttl=60, lease=10) == "reserved"
        assert isinstance(await store.idempotency_begin("done", "fp", ttl=60, lease=10), StoredResponse)
        backend.clock.now += 60
        assert await store.idempotency_begin("done", "fp2", ttl=60, lease=10) == "reserved"

    backend.run(body)


def test_a_message_id_is_first_once_per_window_across_processes(backend):
    async def body(one: LoyaltyStore, two: LoyaltyStore) -> None:
        firsts = await asyncio.gather(*((one if n % 2 else two).first_time("m1", window=100) for n in range(10)))
        assert firsts.count(True) == 1
        backend.clock.now += 99
        assert not await two.first_time("m1", window=100)
        backend.clock.now += 2
        assert await two.first_time("m1", window=100)
        assert await one.first_time("m2", window=100)

    backend.run(body, stores=2)


def test_sessions_live_until_they_expire_or_are_deleted(backend):
    from receiver.store.contract import StoredSession

    async def body(one: LoyaltyStore, two: LoyaltyStore) -> None:
        now = backend.clock.now
        await one.session_put(StoredSession("d1", "csrf1", now + 10))
        await one.session_put(StoredSession("d2", "csrf2", now + 10))
        assert await two.session_get("d1") == StoredSession("d1", "csrf1", now + 10)
        await two.session_delete("d1")
        assert await one.session_get("d1") is None and await one.session_get("nope") is None
        backend.clock.now += 10
        assert await one.session_get("d2") is None

    backend.run(body, stores=2)


def test_balances_and_the_event_history_agree(backend):
    async def body(store: LoyaltyStore) -> None:
        for n in range(1, 20):
            await store.apply(f"u{n % 3}", add(n))
            if n % 4 == 0:
                await store.apply(f"u{n % 3}", subtract(n // 2))
        for who in ("u0", "u1", "u2"):
            customer = await store.customer(who)
            events, total = await store.events(who, offset=0, limit=100) or ([], 0)
            assert customer is not None and total == customer.event_count == len(events)
            assert sum(e.points for e in events) == sum(customer.balances.values())
            assert all(e.received_at <= datetime.now(UTC) for e in events)

    backend.run(body)
