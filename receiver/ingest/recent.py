"""The ingest's feed of accepted messages into the store's `RecentMessages`, written behind, in batches.

Writing each accepted message to a database would add a transaction to every Tracking API
call, so `append` only queues it (a deque bounded by the count, so a stalled database costs
no more memory than the list itself) and one background write takes the whole queue at most
every `FLUSH_SECONDS`. What a page reads is the store's list after this instance's own queue
is written, so an instance sees its own messages at once and another instance's within
`FLUSH_SECONDS`. The list is a convenience for building mappings: a write that fails is
logged and dropped, never retried at the cost of the ingest.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Mapping
from typing import Any

from receiver.store.memory.recent import MemoryRecentMessages
from receiver.store.recent import RecentMessage, RecentMessages

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 0.2
"""Longest a message waits before it is written (and offered on every instance's page)."""


class RecentFeed:
    """Accepted messages on their way to the store's recent list."""

    def __init__(self, store: RecentMessages | None = None, *, flush_seconds: float = FLUSH_SECONDS) -> None:
        self.store: RecentMessages = store if store is not None else MemoryRecentMessages()
        self._pending: deque[Mapping[str, Any]] = deque(maxlen=self.store.bounds.count)
        self._flush_seconds = flush_seconds
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def append(self, message: Mapping[str, Any]) -> None:
        """Queue a message the ingest accepted; it is written within `flush_seconds`."""
        self._pending.append(message)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        await asyncio.sleep(self._flush_seconds)
        await self.flush()

    async def flush(self) -> None:
        """Write what is queued (one transaction); a store that fails loses this batch only."""
        async with self._lock:
            batch = list(self._pending)
            self._pending.clear()
            if not batch:
                return
            try:
                await self.store.remember(batch)
            except Exception as exc:  # any driver's database error: the ingest goes on, the batch is dropped
                # The driver's own error (`orig`), not SQLAlchemy's: that one would print the messages' values.
                reason = getattr(exc, "orig", None) or exc
                logger.warning(
                    "%d recent message(s) not kept for the Mappings page: %s: %s",
                    len(batch),
                    type(reason).__name__,
                    str(reason)[:200],
                )

    async def recent(self) -> list[RecentMessage]:
        """Every kept message, newest first, this instance's queue included."""
        await self.flush()
        return await self.store.recent()

    async def stop(self) -> None:
        """Write what is queued before the store closes."""
        if self._task is not None:
            await self._task
        await self.flush()
