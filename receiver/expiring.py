"""A bounded, expiring, thread-safe map: what the receiver remembers for a while, never without limit.

Every entry lives the same fixed time after it is put, so entries expire in insertion order
and expiry is a cheap sweep from the oldest end; when the map is full, the oldest entry is
dropped first. Message deduplication and browser sessions are both this, with different keys.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")


class ExpiringMap(Generic[V]):
    """Entries that expire `ttl` seconds (of `clock`) after they are put; at most `max_entries` of them."""

    def __init__(self, ttl: float, max_entries: int, clock: Callable[[], float]) -> None:
        self.ttl = ttl
        self.clock = clock
        self._max = max_entries
        self._entries: OrderedDict[str, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            self._sweep(self.clock())
            return len(self._entries)

    def put_new(self, key: str, value: V, now: float | None = None) -> bool:
        """Put `value` unless `key` is live already (check and claim in one step); True when put.

        `now` is when the entry starts to live (the clock is read under the lock when None).
        """
        with self._lock:
            if now is None:
                now = self.clock()
            self._sweep(now)
            if key in self._entries:
                return False
            while len(self._entries) >= self._max:
                self._entries.popitem(last=False)
            self._entries[key] = (now + self.ttl, value)
            return True

    def get(self, key: str) -> V | None:
        """The live value under `key`, else None (an expired one is forgotten on the way)."""
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            if found[0] <= self.clock():
                del self._entries[key]
                return None
            return found[1]

    def discard(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def _sweep(self, now: float) -> None:
        while self._entries:
            oldest, (expires_at, _) = next(iter(self._entries.items()))
            if expires_at > now:
                return
            del self._entries[oldest]
