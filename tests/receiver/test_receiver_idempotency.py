"""The Idempotency-Key cache on its own: replay, reuse, expiry, concurrent duplicates."""

from __future__ import annotations

import asyncio

import pytest

from receiver.core.idempotency import IdempotencyCache, Reservation, StoredResponse, check_key, fingerprint
from receiver.errors import ApiError


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_first_use_reserves_and_a_repeat_replays():
    async def main() -> None:
        cache = IdempotencyCache(ttl=60)
        claim = await cache.begin("k", "fp")
        assert isinstance(claim, Reservation)
        cache.complete(claim, StoredResponse(202, {"id": "e1"}))
        assert await cache.begin("k", "fp") == StoredResponse(202, {"id": "e1"})

    asyncio.run(main())


def test_same_key_with_another_body_is_refused():
    async def main() -> None:
        cache = IdempotencyCache(ttl=60)
        cache.complete(await cache.begin("k", "fp-1"), StoredResponse(202, {}))
        with pytest.raises(ApiError) as caught:
            await cache.begin("k", "fp-2")
        assert (caught.value.status, caught.value.code) == (422, "IDEMPOTENCY_KEY_REUSED")

    asyncio.run(main())


def test_keys_expire_after_the_ttl():
    clock = FakeClock()

    async def main() -> None:
        cache = IdempotencyCache(ttl=10, clock=clock)
        cache.complete(await cache.begin("k", "fp-1"), StoredResponse(202, {}))
        clock.now += 9.9
        assert isinstance(await cache.begin("k", "fp-1"), StoredResponse)
        clock.now += 0.2
        assert isinstance(await cache.begin("k", "fp-2"), Reservation)  # forgotten: a new first use
        clock.now += 100
        assert len(cache) == 1  # the pending reservation is kept while it is being processed

    asyncio.run(main())


def test_a_concurrent_duplicate_waits_for_the_first_answer():
    async def main() -> None:
        cache = IdempotencyCache(ttl=60)
        claim = await cache.begin("k", "fp")
        waiter = asyncio.create_task(cache.begin("k", "fp"))
        await asyncio.sleep(0)
        assert not waiter.done()
        cache.complete(claim, StoredResponse(409, {"error": {}}))
        assert await asyncio.wait_for(waiter, 1) == StoredResponse(409, {"error": {}})

    asyncio.run(main())


def test_a_released_reservation_lets_the_duplicate_run_instead():
    async def main() -> None:
        cache = IdempotencyCache(ttl=60)
        claim = await cache.begin("k", "fp")
        waiter = asyncio.create_task(cache.begin("k", "fp"))
        await asyncio.sleep(0)
        cache.release(claim)
        assert isinstance(await asyncio.wait_for(waiter, 1), Reservation)

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


def test_the_cache_stays_bounded_dropping_the_oldest_answers():
    async def main() -> None:
        cache = IdempotencyCache(ttl=3600, max_entries=3)
        for n in range(5):
            cache.complete(await cache.begin(f"k{n}", "fp"), StoredResponse(202, {"n": n}))
        assert len(cache) <= 3
        assert await cache.begin("k4", "fp") == StoredResponse(202, {"n": 4})
        assert isinstance(await cache.begin("k0", "fp"), Reservation)

    asyncio.run(main())
