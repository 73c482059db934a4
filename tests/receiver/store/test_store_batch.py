"""`write_batch`, run unchanged on every backend: a call's messages as one unit, each with its own outcome."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_store_contract import add, checkout, subtract

from receiver.errors import ApiError
from receiver.store.contract import (
    BatchMessage,
    BatchRequest,
    BatchWindows,
    Change,
    LogFilter,
    LoyaltyStore,
    NewLogEntry,
    RequestOutcome,
    StoredResponse,
)

WINDOWS = BatchWindows(dedup=600, ttl=600, lease=30)


def log_entry(identifier: str, status: int, customer: str | None = None) -> NewLogEntry:
    return NewLogEntry(
        id=identifier,
        timestamp=datetime.now(UTC),
        customer_id=customer,
        event_type="track",
        status=status,
        response_time=0.0,
        error=None,
        error_code=None,
        request=None,
        response={"status": status},
    )


def status_of(outcome: RequestOutcome) -> int:
    if outcome.event is not None:
        return 202
    if outcome.refusal is not None:
        return outcome.refusal.status
    if isinstance(outcome.claim, StoredResponse):
        return outcome.claim.status
    return 422 if isinstance(outcome.claim, tuple) else 200


def request(message_id: str, customer: str, decide, key: str | None = None, fingerprint: str = "fp") -> BatchRequest:
    def entry(outcome: RequestOutcome) -> NewLogEntry | None:
        return None if outcome.deferred else log_entry(message_id, status_of(outcome), customer)

    return BatchRequest(entry, customer, decide, key, fingerprint)


def message(message_id: str, *requests: BatchRequest) -> BatchMessage:
    return BatchMessage(message_id, lambda: log_entry(message_id, 200), tuple(requests))


def note(message_id: str) -> BatchRequest:
    return BatchRequest(lambda _outcome: log_entry(message_id, 200))


def statuses(results) -> list[object]:
    return ["dup" if r.duplicate else [status_of(o) for o in r.outcomes] for r in results]


def test_each_message_keeps_its_own_outcome_and_a_refusal_refuses_only_its_own(backend):
    async def body(store: LoyaltyStore) -> None:
        assert await store.first_time("seen-before", window=600)
        assert await store.idempotency_begin("answered", "fp", ttl=600, lease=30) == "reserved"
        await store.apply("u", add(1), idempotency_key="answered")
        assert await store.idempotency_begin("refused-key", "fp", ttl=600, lease=30) == "reserved"
        await store.idempotency_finish("refused-key", StoredResponse(422, {"error": {"code": "X"}}))
        batch = [
            message("m1", request("m1", "u", add(5))),
            message("m2", request("m2", "u", subtract(100))),  # overdraws: refused alone
            message("m3", request("m3", "u", subtract(6))),  # 1 + 5 - 6 = 0: accepted, after m1
            message("m1", request("m1", "u", add(5))),  # the same messageId again in the call: a duplicate
            message("seen-before", request("seen-before", "u", add(50))),  # claimed before: a duplicate
            message("m4", request("m4", "v", checkout("tx"))),
            message("m5", request("m5", "w", checkout("tx"))),  # the transaction ID m4 took
            message("m6", note("m6")),
            message("m7", request("m7", "u", add(9), key="answered")),  # replays its first answer
            message("m8", request("m8", "u", add(9), key="answered", fingerprint="other")),  # key reused
            message("m9", request("m9", "v", add(2), key="new-key"), request("m9", "v", subtract(99), key="k2")),
            message("m10", request("m10", "v", add(4), key="new-key")),  # held by m9 in this call: deferred
        ]
        results = await store.write_batch(batch, WINDOWS)
        assert statuses(results)[:11] == [
            [202],
            [422],
            [202],
            "dup",
            "dup",
            [202],
            [409],
            [200],
            [202],
            [422],
            [202, 422],
        ]
        # The key m9 took in this call: m10 replays its answer, or (still held inside the unit) is deferred,
        # writing nothing, for the caller to run again on its own; never applied twice.
        [later] = results[11].outcomes
        if later.deferred:
            assert results[11].entries == (None,)
        else:
            assert isinstance(later.claim, StoredResponse) and later.claim.status == 202 and later.event is None
        assert results[8].outcomes[0].event is None  # a replay writes no event
        u = await store.customer("u")
        assert u is not None and u.balances == {"a": 0} and u.event_count == 3  # the first apply, m1, m3
        v = await store.customer("v")
        assert v is not None and v.balances == {"a": 7} and v.event_count == 2  # m4's checkout, m9's add
        assert await store.customer("w") is None
        assert await store.event_count() == 5
        # Every non-duplicate request's entry once, the deferred one's not at all; the duplicates in their own log.
        entries = [e for r in results for e in r.entries if e is not None]
        logged = 10 if later.deferred else 11
        assert len(entries) == logged and len({e.seq for e in entries}) == logged
        assert await store.log_count("inbound", LogFilter()) == logged
        assert await store.log_count("duplicate", LogFilter()) == 2
        # The keys' answers: the accepted one's event, the refused one's refusal, both replayed from now on.
        accepted = results[10].outcomes[0].event
        assert accepted is not None
        assert await store.idempotency_begin("new-key", "fp", ttl=600, lease=30) == StoredResponse(
            202, {"id": accepted.id, "status": "accepted"}
        )
        refused = await store.idempotency_begin("k2", "fp", ttl=600, lease=30)
        assert isinstance(refused, StoredResponse) and refused.status == 422
        assert not await store.first_time("m10", window=600)  # a deferred message is still claimed

    backend.run(body)


def test_a_unit_that_fails_writes_nothing_at_all(backend):
    def broken(_view):
        raise RuntimeError("not a refusal: the unit fails")

    async def body(store: LoyaltyStore) -> None:
        batch = [message("a", request("a", "u", add(5), key="ka")), message("b", request("b", "u", broken))]
        with pytest.raises(RuntimeError):
            await store.write_batch(batch, WINDOWS)
        if store.durable:  # one transaction: nothing of it stands, the claims included
            assert await store.event_count() == 0 and await store.customer("u") is None
            assert await store.first_time("a", window=600) and await store.first_time("b", window=600)
            assert await store.log_count("inbound", LogFilter()) == 0
        # On every backend, the failed request's key is free for a retry and nothing is doubled.
        assert await store.idempotency_begin("kb", "fp", ttl=600, lease=30) == "reserved"
        assert await store.event_count() <= 1

    backend.run(body)


def test_concurrent_calls_from_two_processes_never_overdraw_or_double(backend):
    async def body(one: LoyaltyStore, two: LoyaltyStore) -> None:
        await one.apply("u", add(30))

        def call(n: int) -> list[BatchMessage]:
            # Every call sends the same 10 messageIds (a retried call) and 10 of its own, and one checkout.
            shared = [message(f"s{k}", request(f"s{k}", "u", subtract(1))) for k in range(10)]
            own = [message(f"o{n}-{k}", request(f"o{n}-{k}", "u", subtract(2))) for k in range(10)]
            return [*shared, *own, message(f"t{n}", request(f"t{n}", f"c{n}", checkout("tx")))]

        results = await asyncio.gather(*((one if n % 2 else two).write_batch(call(n), WINDOWS) for n in range(6)))

        def answered(part: slice) -> Counter[int]:
            return Counter(status_of(m.outcomes[0]) for r in results for m in r[part] if not m.duplicate)

        assert sum(not m.duplicate for r in results for m in r[:10]) == 10  # each shared messageId once
        assert Counter(status_of(r[20].outcomes[0]) for r in results) == Counter({202: 1, 409: 5})
        shared, own = answered(slice(0, 10)), answered(slice(10, 20))
        customer = await two.customer("u")
        assert customer is not None
        assert customer.balances["a"] == 30 - shared[202] - 2 * own[202] >= 0
        assert customer.event_count == 1 + shared[202] + own[202]
        # A refusal only for want of points (balances only fall here): none refused while enough was left.
        assert customer.balances["a"] < (1 if shared[422] else 30) and customer.balances["a"] < (2 if own[422] else 30)
        assert await one.event_count() == 1 + shared[202] + own[202] + 1
        assert await one.log_count("inbound", LogFilter()) == 10 + 60 + 6

    backend.run(body, stores=2)


OPS = st.lists(
    st.tuples(st.sampled_from("abc"), st.sampled_from(["u", "v"]), st.integers(-4, 4)), min_size=1, max_size=12
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_a_unit_agrees_with_the_same_messages_one_by_one(backend, ops):
    """The batch gives what the single calls give in order: the same outcomes, balances and counts."""

    def decide(points: int):
        return add(points) if points >= 0 else subtract(-points)

    async def body(store: LoyaltyStore) -> None:
        if store.durable:  # the same database for every example: start empty
            await store.drop_all_for_tests()  # type: ignore[attr-defined]
        batch = [message(mid, request(mid, cust, decide(points))) for mid, cust, points in ops]
        got = statuses(await store.write_batch(batch, WINDOWS))
        expected: list[object] = []
        seen: set[str] = set()
        balances: dict[str, int] = {}
        for mid, cust, points in ops:
            if mid in seen:
                expected.append("dup")
                continue
            seen.add(mid)
            ok = balances.get(cust, 0) + points >= 0
            expected.append([202 if ok else 422])
            if ok:
                balances[cust] = balances.get(cust, 0) + points
        assert got == expected
        for cust, points in balances.items():
            found = await store.customer(cust)
            assert found is not None and found.balances.get("a", 0) == points

    backend.run(body)


def test_a_change_with_a_profile_lands_through_the_unit(backend):
    async def body(store: LoyaltyStore) -> None:
        profile = request(
            "p", "u", lambda _view: Change("a", "profile", {"first_name": "Ada"}, profile={"first_name": "Ada"})
        )
        [result] = await store.write_batch([message("p", profile)], WINDOWS)
        customer = await store.customer("u")
        assert customer is not None and customer.profile == {"first_name": "Ada"}
        assert result.entries[0] is not None and result.entries[0].customer_id == "u"

    backend.run(body)


def test_an_empty_call_writes_nothing(backend):
    async def body(store: LoyaltyStore) -> None:
        assert await store.write_batch([], WINDOWS) == []
        assert await store.log_count("inbound", LogFilter()) == 0

    backend.run(body)


def test_refusal_errors_keep_their_code(backend):
    async def body(store: LoyaltyStore) -> None:
        [result] = await store.write_batch([message("x", request("x", "u", subtract(1)))], WINDOWS)
        refusal = result.outcomes[0].refusal
        assert isinstance(refusal, ApiError) and refusal.code == "INSUFFICIENT_POINTS"

    backend.run(body)


def test_expired_keys_are_taken_over_inside_a_unit_and_answer_anew(backend):
    async def body(store: LoyaltyStore) -> None:
        assert await store.idempotency_begin("old-ok", "fp", ttl=60, lease=30) == "reserved"
        await store.idempotency_finish("old-ok", StoredResponse(202, {"id": "evt_old", "status": "accepted"}))
        assert await store.idempotency_begin("old-no", "fp", ttl=60, lease=30) == "reserved"  # abandoned
        backend.clock.now += 120  # both past their TTL and lease
        batch = [
            message("e1", request("e1", "u", add(3), key="old-ok")),
            message("e2", request("e2", "u", subtract(10), key="old-no")),
        ]
        results = await store.write_batch(batch, WINDOWS)
        assert statuses(results) == [[202], [422]]
        event = results[0].outcomes[0].event
        assert event is not None
        assert await store.idempotency_begin("old-ok", "fp", ttl=60, lease=30) == StoredResponse(
            202, {"id": event.id, "status": "accepted"}
        )
        refused = await store.idempotency_begin("old-no", "fp", ttl=60, lease=30)
        assert isinstance(refused, StoredResponse) and refused.status == 422

    backend.run(body)


def test_a_full_outbound_queue_refuses_the_unit_whole_and_it_runs_again_later(backend):
    from test_store_records import Source

    from receiver.store.contract import OutboxItem
    from receiver.store.limits import OutboxFull

    async def body(store: LoyaltyStore) -> None:
        store.set_outbox_source(Source())
        await store.outbox_put([OutboxItem("u", f"q-{n}", "track", {"messageId": f"q-{n}"}) for n in range(3)])
        batch = [message("f1", request("f1", "u", add(5), key="kf")), message("f2", request("f2", "v", add(1)))]
        with pytest.raises(OutboxFull):
            await store.write_batch(batch, WINDOWS)
        assert await store.event_count() == 0 and await store.customer("u") is None  # the first message failed
        assert await store.log_count("inbound", LogFilter()) == 0 and await store.outbox_pending() == 3
        if store.durable:  # one transaction: not even the claims stand
            assert await store.first_time("f2", window=600) and await store.forget_message("f2") is None
        # Room again: the retry runs afresh (the key was released, not answered with the 503).
        claimed = await store.outbox_claim(3, lease=30)
        await store.outbox_done([row.seq for row in claimed])
        assert statuses(await store.write_batch(batch, WINDOWS)) == [[202], [202]]
        assert await store.event_count() == 2

    backend.run(body, outbox_size=3)
