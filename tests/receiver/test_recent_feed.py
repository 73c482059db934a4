"""The ingest's write-behind feed of recent messages: batched, bounded while waiting, never in the ingest's way."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from pydantic import ValidationError

from receiver.ingest.recent import RecentFeed
from receiver.store.memory.recent import MemoryRecentMessages
from receiver.store.recent import RecentBounds, RecentMessage


class CountingStore(MemoryRecentMessages):
    """The memory backend, counting the writes (batches) it was asked for; it can be made to fail."""

    def __init__(self, bounds: RecentBounds) -> None:
        super().__init__(bounds)
        self.batches: list[int] = []
        self.failing = False

    async def remember(self, messages: Sequence[Mapping[str, Any]]) -> None:
        if self.failing:
            raise ConnectionResetError("database went away")
        self.batches.append(len(messages))
        await super().remember(messages)


def _ids(kept: list[RecentMessage]) -> list[str]:
    return [k.message["messageId"] for k in kept]


def test_messages_are_written_in_one_batch_per_interval_and_the_wait_is_bounded_by_the_count():
    async def main() -> None:
        store = CountingStore(RecentBounds(count=5, max_bytes=64 * 1024))
        feed = RecentFeed(store, flush_seconds=0.05)
        for i in range(40):
            feed.append({"messageId": f"m{i}"})
        assert store.batches == []  # nothing written on the ingest's path
        await asyncio.sleep(0.3)
        assert store.batches == [5]  # only the newest `count` waited; one write took them
        assert _ids(await store.recent()) == ["m39", "m38", "m37", "m36", "m35"]
        feed.append({"messageId": "own"})
        assert _ids(await feed.recent())[0] == "own"  # an instance sees its own message at once
        await feed.stop()

    asyncio.run(main())


def test_a_failing_store_loses_one_batch_with_a_warning_and_the_next_one_is_kept(caplog):
    async def main() -> None:
        store = CountingStore(RecentBounds())
        feed = RecentFeed(store, flush_seconds=0.01)
        store.failing = True
        feed.append({"messageId": "lost"})
        await feed.flush()
        store.failing = False
        feed.append({"messageId": "kept"})
        await feed.stop()
        assert _ids(await store.recent()) == ["kept"]

    with caplog.at_level(logging.WARNING, logger="receiver.ingest.recent"):
        asyncio.run(main())
    assert "1 recent message(s) not kept" in caplog.text and "database went away" in caplog.text


@pytest.mark.parametrize(
    ("setting", "value", "field"),
    [("recent_messages", 0, "recent_messages"), ("recent_messages_max_bytes", 1000, "recent_messages_max_bytes")],
)
def test_the_bounds_are_settings_refused_below_their_floor(make_config, setting, value, field):
    assert make_config().limits.recent_messages_max_bytes == 1024 * 1024
    with pytest.raises(ValidationError) as refused:
        make_config(limits={setting: value})
    assert field in str(refused.value)
