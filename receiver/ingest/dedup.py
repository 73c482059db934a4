"""Deduplication on `messageId`, as Segment does it: a message seen again within the window is dropped.

Libraries retry a batch whose answer they did not get, so the same messages can arrive
twice; Segment drops the copies it has seen in the last 24 hours. Memory stays bounded: the
IDs are kept in arrival order, so expiry is a cheap sweep from the oldest end, and past
`max_entries` the oldest are forgotten first (a very old copy may then get through, which the
webhook's Idempotency-Key still catches).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from receiver.expiring import ExpiringMap


class MessageDeduplicator:
    """The messageIds of the last `window` seconds (at most `max_entries` of them)."""

    def __init__(
        self,
        window: float,
        max_entries: int,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_bytes: int | None = None,
    ) -> None:
        if window <= 0 or max_entries < 1:
            raise ValueError("the deduplication window and size must be positive")
        self.window = window
        self._seen: ExpiringMap[None] = ExpiringMap(window, max_entries, clock, max_bytes=max_bytes)

    def __len__(self) -> int:
        return len(self._seen)

    @property
    def effective_window(self) -> float | None:
        """How long IDs were really remembered, when room ran out before the window did (else None)."""
        return self._seen.effective_window

    @property
    def bytes(self) -> int:
        return self._seen.bytes

    def first_time(self, message_id: str) -> bool:
        """Remember `message_id`; True unless it was already seen within the window (check and claim in one step)."""
        return self._seen.put_new(message_id, None)
