"""Deduplication on `messageId`, as Segment does it: a message seen again within the window is dropped.

Libraries retry a batch whose answer they did not get, so the same messages can arrive
twice; Segment drops the copies it has seen in the last 24 hours. Memory stays bounded: the
IDs are kept in arrival order, so expiry is a cheap sweep from the oldest end, and past
`max_entries` the oldest are forgotten first (a very old copy may then get through, which the
webhook's Idempotency-Key still catches).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Callable


class MessageDeduplicator:
    """The messageIds of the last `window` seconds (at most `max_entries` of them)."""

    def __init__(self, window: float, max_entries: int, clock: Callable[[], float] = time.monotonic) -> None:
        if window <= 0 or max_entries < 1:
            raise ValueError("the deduplication window and size must be positive")
        self._window = window
        self._max_entries = max_entries
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            self._sweep(self._clock())
            return len(self._seen)

    def first_time(self, message_id: str) -> bool:
        """Remember `message_id`; True unless it was already seen within the window (check and claim in one step)."""
        with self._lock:
            now = self._clock()
            self._sweep(now)
            if message_id in self._seen:
                return False
            if len(self._seen) >= self._max_entries:
                self._seen.popitem(last=False)
            self._seen[message_id] = now + self._window
            return True

    def _sweep(self, now: float) -> None:
        while self._seen:
            oldest, expires_at = next(iter(self._seen.items()))
            if expires_at > now:
                return
            del self._seen[oldest]
