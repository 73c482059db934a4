"""A bounded, expiring, thread-safe map: what the receiver remembers for a while, never without limit.

Every entry lives the same fixed time after it is put, so entries expire in insertion order
and expiry is a cheap sweep from the oldest end; when the map is full, the oldest entry is
dropped first (full by entries, or by bytes when a `size` function is given). Message
deduplication and browser sessions are both this, with different keys.

An entry dropped for room before its time shortens the window the map really remembers;
`effective_window` is the age of the last one so dropped, so the owner can say so (the
memory store then remembers less than its configured window).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")
ENTRY_OVERHEAD = 200
"""Bytes an entry costs besides its key (the tuple, the float, the ordered dict's slot), roughly."""


class ExpiringMap(Generic[V]):
    """Entries that expire `ttl` seconds (of `clock`) after they are put; at most `max_entries` of them."""

    def __init__(
        self,
        ttl: float,
        max_entries: int,
        clock: Callable[[], float],
        *,
        max_bytes: int | None = None,
        size: Callable[[str, V], int] | None = None,
    ) -> None:
        self.ttl = ttl
        self.clock = clock
        self.effective_window: float | None = None
        self._max = max_entries
        self._max_bytes = max_bytes
        self._size = size or (lambda key, _value: ENTRY_OVERHEAD + len(key))
        self._bytes = 0
        self._entries: OrderedDict[str, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def bytes(self) -> int:
        """Bytes the live entries are counted as (`size` of each)."""
        return self._bytes

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
            cost = self._size(key, value)
            while self._entries and (
                len(self._entries) >= self._max
                or (self._max_bytes is not None and self._bytes + cost > self._max_bytes)
            ):
                dropped, (expires_at, old) = self._entries.popitem(last=False)
                self._bytes -= self._size(dropped, old)
                self.effective_window = now - (expires_at - self.ttl)
            self._entries[key] = (now + self.ttl, value)
            self._bytes += cost
            return True

    def get(self, key: str) -> V | None:
        """The live value under `key`, else None (an expired one is forgotten on the way)."""
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            if found[0] <= self.clock():
                del self._entries[key]
                self._bytes -= self._size(key, found[1])
                return None
            return found[1]

    def discard(self, key: str) -> None:
        with self._lock:
            found = self._entries.pop(key, None)
            if found is not None:
                self._bytes -= self._size(key, found[1])

    def _sweep(self, now: float) -> None:
        while self._entries:
            oldest, (expires_at, value) = next(iter(self._entries.items()))
            if expires_at > now:
                return
            del self._entries[oldest]
            self._bytes -= self._size(oldest, value)
