"""The quarantine (`receiver.store.quarantine`) in one process: an ordered map of JSON texts under one lock."""

from __future__ import annotations

import threading
from collections import OrderedDict

from receiver.store.limits import StoreLimits
from receiver.store.quarantine import NewQuarantined, Quarantined, size_of


class MemoryQuarantine:
    """The store contract's `quarantine_*` methods, for `MemoryStore` to inherit (its `limits` bound them)."""

    limits: StoreLimits

    def _open_quarantine(self) -> None:
        self._held: OrderedDict[str, tuple[Quarantined, int]] = OrderedDict()
        self._held_bytes = 0
        self._held_seq = 0
        self._held_lock = threading.Lock()

    async def quarantine_put(self, item: NewQuarantined) -> Quarantined | None:
        message, violations = item.texts()
        size = size_of(message, violations)
        with self._held_lock:
            self._remove(item.message_id)
            if size > self.limits.quarantine_max_bytes:
                return None
            self._held_seq += 1
            kept = Quarantined(
                self._held_seq, item.message_id, item.quarantined_at, item.event_type, item.event, message, violations
            )
            self._held[item.message_id] = (kept, size)
            self._held_bytes += size
            while len(self._held) > self.limits.quarantine_size or self._held_bytes > self.limits.quarantine_max_bytes:
                self._held_bytes -= self._held.popitem(last=False)[1][1]
            return kept

    def _remove(self, message_id: str) -> Quarantined | None:
        found = self._held.pop(message_id, None)
        if found is None:
            return None
        self._held_bytes -= found[1]
        return found[0]

    async def quarantine_list(self, *, limit: int) -> list[Quarantined]:
        with self._held_lock:
            return [kept for kept, _ in reversed(self._held.values())][:limit]

    async def quarantine_count(self) -> int:
        with self._held_lock:
            return len(self._held)

    async def quarantine_get(self, message_id: str) -> Quarantined | None:
        with self._held_lock:
            found = self._held.get(message_id)
            return found[0] if found else None

    async def quarantine_take(self, message_id: str) -> Quarantined | None:
        with self._held_lock:
            return self._remove(message_id)
