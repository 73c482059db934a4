"""`Idempotency` above the store: replay, reuse, waiting for a concurrent first request, 409 in progress."""

from __future__ import annotations

import asyncio

import pytest

from receiver.core.idempotency import Idempotency, Reservation, StoredResponse, check_key, fingerprint
from receiver.errors import ApiError
from receiver.store.limits import StoreLimits
from receiver.store.memory.store import MemoryStore


def test_first_use_reserves_a_refusal_is_replayed_and_another_body_is_refused():
    async def main() -> None:
        keys = Idempotency(MemoryStore(), ttl=60)
        claim = await keys.begin("k", "fp")
        assert claim == Reservation("k")
        await keys.finish(claim, StoredResponse(422, {"error": {"code": "X"}}))
        assert await keys.begin("k", "fp") == StoredResponse(422, {"error": {"code": "X"}})
        with pytest.raises(ApiError) as caught:
            await keys.begin("k", "fp-2")
        assert (caught.value.status, caught.value.code) == (422, "IDEMPOTENCY_KEY_REUSED")

    asyncio.run(main())


def test_a_concurrent_duplicate_waits_for_the_first_answer():
    async def main() -> None:
        keys = Idempotency(MemoryStore(), ttl=60, wait_seconds=5)
        claim = await keys.begin("k", "fp")
        waiter = asyncio.create_task(keys.begin("k", "fp"))
        await asyncio.sleep(0.02)
        assert not waiter.done()
        await keys.finish(claim, StoredResponse(409, {"error": {}}))
        assert await asyncio.wait_for(waiter, 2) == StoredResponse(409, {"error": {}})

    asyncio.run(main())


def test_a_duplicate_still_in_progress_after_the_wait_gets_409_with_retry_after():
    async def main() -> None:
        keys = Idempotency(MemoryStore(), ttl=60, wait_seconds=0.05)
        await keys.begin("k", "fp")
        with pytest.raises(ApiError) as caught:
            await keys.begin("k", "fp")
        assert (caught.value.status, caught.value.code) == (409, "IDEMPOTENCY_KEY_IN_PROGRESS")
        assert caught.value.headers == {"Retry-After": "1"} and "retry" in caught.value.message

    asyncio.run(main())


def test_a_released_reservation_lets_the_duplicate_run_instead():
    async def main() -> None:
        keys = Idempotency(MemoryStore(), ttl=60)
        claim = await keys.begin("k", "fp")
        waiter = asyncio.create_task(keys.begin("k", "fp"))
        await asyncio.sleep(0.01)
        await keys.release(claim)
        assert isinstance(await asyncio.wait_for(waiter, 2), Reservation)

    asyncio.run(main())


@pytest.mark.parametrize("raw, ok", [(None, True), ("a", True), ("x" * 255, True), ("", False), ("x" * 256, False)])
def test_key_length_is_checked(raw, ok):
    if ok:
        assert check_key(raw) == raw
    else:
        with pytest.raises(ApiError) as caught:
            check_key(raw)
        assert (caught.value.status, caught.value.code) == (400, "INVALID_IDEMPOTENCY_KEY")


def test_fingerprint_ignores_key_order_but_not_values():
    assert fingerprint({"a": 1, "b": [1, 2]}) == fingerprint({"b": [1, 2], "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})


def test_the_memory_store_stays_bounded_dropping_the_oldest_answers():
    async def main() -> None:
        keys = Idempotency(MemoryStore(StoreLimits(max_keys=3)), ttl=3600)
        for n in range(5):
            await keys.finish(await keys.begin(f"k{n}", "fp"), StoredResponse(202, {"n": n}))
        assert await keys.begin("k4", "fp") == StoredResponse(202, {"n": 4})
        assert isinstance(await keys.begin("k0", "fp"), Reservation)

    asyncio.run(main())
