"""Recent messages ("Load event from source"), run unchanged on every backend (memory, SQLite, PostgreSQL).

The rule each backend keeps: what a reader gets is the longest run of the newest messages that
fits both bounds (count and bytes of JSON), newest first; a message larger than the byte bound
alone is never kept. Two stores on one database (two instances) share the list.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from receiver.store import recent_messages_for
from receiver.store.contract import LoyaltyStore
from receiver.store.recent import RecentBounds, encode, size_of

_ids = itertools.count()


def _message(tag: str, pad: int) -> dict[str, Any]:
    return {"type": "track", "messageId": f"{tag}-{next(_ids)}", "properties": {"pad": "é" * pad, "n": [1, None]}}


def _newest_fitting(messages: list[dict[str, Any]], bounds: RecentBounds) -> list[dict[str, Any]]:
    """The model: newest first, as many as fit both bounds together (oversized ones never kept)."""
    kept, total = [], 0
    for message in reversed([m for m in messages if size_of(encode(m)) <= bounds.max_bytes]):
        size = size_of(encode(message))
        if len(kept) == bounds.count or total + size > bounds.max_bytes:
            break
        kept.append(message)
        total += size
    return kept


def test_the_newest_messages_are_kept_within_the_count_newest_first(backend):
    async def body(store: LoyaltyStore) -> None:
        recent = recent_messages_for(store, RecentBounds(count=3, max_bytes=64 * 1024))
        sent = [_message("count", 1) for _ in range(5)]
        await recent.remember(sent[:2])
        await recent.remember(sent[2:])
        kept = await recent.recent()
        assert [k.message for k in kept] == sent[:1:-1]
        assert [k.seq for k in kept] == sorted((k.seq for k in kept), reverse=True)
        assert await recent.usage() == (3, sum(size_of(encode(m)) for m in sent[2:]))

    backend.run(body)


@settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pads=st.lists(st.integers(min_value=0, max_value=700), min_size=1, max_size=12),
    split=st.integers(min_value=0, max_value=12),
    count=st.integers(min_value=1, max_value=8),
)
def test_the_byte_bound_keeps_the_newest_that_fit_and_never_an_oversized_one(backend, pads, split, count):
    """Whatever was kept before (older), the newest messages come first and the bounds hold."""
    bounds = RecentBounds(count=count, max_bytes=2000)

    async def body(store: LoyaltyStore) -> None:
        recent = recent_messages_for(store, bounds)
        sent = [_message("bytes", pad) for pad in pads]
        await recent.remember(sent[:split])
        await recent.remember(sent[split:])
        kept = [k.message for k in await recent.recent()]
        expected = _newest_fitting(sent, bounds)
        assert kept[: len(expected)] == expected
        if len(expected) < len([m for m in sent if size_of(encode(m)) <= bounds.max_bytes]):
            assert kept == expected  # trimmed inside this batch: nothing older may follow
        assert len(kept) <= bounds.count and sum(size_of(encode(m)) for m in kept) <= bounds.max_bytes
        assert await recent.usage() == (len(kept), sum(size_of(encode(m)) for m in kept))

    backend.run(body)


def test_two_instances_share_one_list_and_concurrent_writers_keep_it_within_bounds(backend):
    bounds = RecentBounds(count=10, max_bytes=5000)

    async def body(one: LoyaltyStore, two: LoyaltyStore) -> None:
        first, second = recent_messages_for(one, bounds), recent_messages_for(two, bounds)
        message = _message("shared", 3)
        await first.remember([message])
        assert [k.message for k in await second.recent()] == [message]
        batches = [[_message(f"w{i}", 40) for _ in range(3)] for i in range(8)]
        await asyncio.gather(*((first if i % 2 else second).remember(b) for i, b in enumerate(batches)))
        for reader in (first, second):
            kept = await reader.recent()
            sizes = [size_of(encode(k.message)) for k in kept]
            assert len(kept) == bounds.count or sum(sizes) + max(sizes) > bounds.max_bytes
            assert sum(sizes) <= bounds.max_bytes and len(kept) <= bounds.count
            assert all(k.message["messageId"].startswith("w") for k in kept)
        assert [k.seq for k in await first.recent()] == [k.seq for k in await second.recent()]
        await second.remember([_message("last", 40)])
        held, held_bytes = await first.usage()
        assert held <= bounds.count and held_bytes <= bounds.max_bytes

    backend.run(body, stores=2)
