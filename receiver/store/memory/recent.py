"""`RecentMessages` in one process, for the memory store: JSON texts, newest kept within the bounds."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

from receiver.store.recent import RecentBounds, RecentMessage, encode, size_of, within


class MemoryRecentMessages:
    """`RecentMessages` in one process: a deque of JSON texts and their byte total, under one lock."""

    def __init__(self, bounds: RecentBounds | None = None) -> None:
        self.bounds = bounds or RecentBounds()
        self._lock = threading.Lock()
        self._kept: deque[tuple[int, str, int]] = deque()
        self._bytes = 0
        self._seq = 0

    async def remember(self, messages: Sequence[Mapping[str, Any]]) -> None:
        texts = [(text, size_of(text)) for text in map(encode, messages)]
        with self._lock:
            for text, size in texts:
                if size > self.bounds.max_bytes:
                    continue
                self._seq += 1
                self._kept.append((self._seq, text, size))
                self._bytes += size
                while len(self._kept) > self.bounds.count or self._bytes > self.bounds.max_bytes:
                    self._bytes -= self._kept.popleft()[2]

    async def recent(self) -> list[RecentMessage]:
        with self._lock:
            rows = [(seq, text) for seq, text, _ in reversed(self._kept)]
        return within(rows, self.bounds)

    async def usage(self) -> tuple[int, int]:
        with self._lock:
            return len(self._kept), self._bytes
