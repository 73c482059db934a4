"""Deduplication on `messageId`, as Segment does it: a message seen again within the window is dropped.

Libraries retry a batch whose answer they did not get, so the same messages can arrive
twice; Segment drops the copies it has seen in the last 24 hours. The IDs live in the store,
so every worker sharing it drops the same copies; the durable stores keep the whole window,
the memory store caps the count and the bytes too (see `StoreLimits.max_messages` and
`dedup_max_bytes`), and says so through `LoyaltyStore.warnings` when that shortens the window.
"""

from __future__ import annotations

from receiver.store.contract import LoyaltyStore


class MessageDeduplicator:
    """The messageIds of the last `window` seconds."""

    def __init__(self, store: LoyaltyStore, window: float) -> None:
        if window <= 0:
            raise ValueError("the deduplication window must be positive")
        self._store = store
        self._window = window

    @property
    def window(self) -> float:
        return self._window

    async def first_time(self, message_id: str) -> bool:
        """Remember `message_id`; True unless it was already seen within the window (check and claim in one step)."""
        return await self._store.first_time(message_id, window=self._window)

    async def forget(self, message_id: str) -> None:
        """Let a retry of `message_id` through: it was not (fully) applied because the store was down."""
        await self._store.forget_message(message_id)
