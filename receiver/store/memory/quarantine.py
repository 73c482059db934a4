"""The quarantine (`receiver.store.quarantine`) in one process: an ordered map of JSON texts under one lock.

Reads skip messages past `quarantine_days` (`receiver.store.retention`); `_sweep_quarantine` frees them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from receiver.store.limits import StoreLimits
from receiver.store.quarantine import NewQuarantined, Quarantined, size_of


class MemoryQuarantine:
    """The store contract's `quarantine_*` methods, for `MemoryStore` to inherit (its `limits` bound them)."""

    limits: StoreLimits

    def _fresh(self) -> Callable[[Quarantined], bool]:
        """Whether retention still keeps a quarantined message now."""
        cutoff = self.limits.retention.quarantine_cutoff(self.limits.clock())
        return (lambda _kept: True) if cutoff is None else (lambda kept: kept.quarantined_at.timestamp() >= cutoff)

    def _sweep_quarantine(self) -> None:
        fresh = self._fresh()
        with self._held_lock:
            for message_id in [key for key, (kept, _) in self._held.items() if not fresh(kept)]:
                self._remove(message_id)

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
        fresh = self._fresh()
        with self._held_lock:
            return [kept for kept, _ in reversed(self._held.values()) if fresh(kept)][:limit]

    async def quarantine_count(self) -> int:
        fresh = self._fresh()
        with self._held_lock:
            return sum(1 for kept, _ in self._held.values() if fresh(kept))

    async def quarantine_get(self, message_id: str) -> Quarantined | None:
        fresh = self._fresh()
        with self._held_lock:
            found = self._held.get(message_id)
            return found[0] if found and fresh(found[0]) else None

    async def quarantine_take(self, message_id: str) -> Quarantined | None:
        fresh = self._fresh()
        with self._held_lock:
            found = self._remove(message_id)
            return found if found is not None and fresh(found) else None
