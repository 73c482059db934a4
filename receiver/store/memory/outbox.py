"""The outbox in one process: an ordered map of rows under the store's lock, with leases, kept apart from `MemoryStore`."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from receiver.store.contract import OutboxItem, OutboxRow, OutboxSource
from receiver.store.limits import StoreLimits, check_outbox_room


@dataclass
class _Queued:
    row: OutboxRow
    claimed_until: float = 0.0


class MemoryOutbox:
    """The store contract's `outbox_*` methods, for `MemoryStore` to inherit (its lock; `apply` queues through `_put`)."""

    limits: StoreLimits
    _clock: Callable[[], float]
    _lock: threading.Lock

    def _open_outbox(self) -> None:
        self._outbox: OrderedDict[int, _Queued] = OrderedDict()
        self._outbox_seq = 0
        self._source: OutboxSource | None = None
        self._wake: Callable[[], None] | None = None

    def set_outbox_source(self, source: OutboxSource | None, wake: Callable[[], None] | None = None) -> None:
        with self._lock:
            self._source, self._wake = source, wake

    def _check_room(self, adding: int) -> None:
        size = self.limits.outbox_size
        check_outbox_room(len(self._outbox) >= size, adding, size)

    async def outbox_put(self, items: Sequence[OutboxItem]) -> None:
        with self._lock:
            self._check_room(len(items))
            self._put(items)
            wake = self._wake
        if items and wake is not None:
            wake()

    def _put(self, items: Sequence[OutboxItem]) -> None:
        for item in items:
            self._outbox_seq += 1
            self._outbox[self._outbox_seq] = _Queued(OutboxRow(self._outbox_seq, item, 0))

    async def outbox_claim(self, limit: int, *, lease: float) -> list[OutboxRow]:
        with self._lock:
            now = self._clock()
            claimed: list[OutboxRow] = []
            for queued in self._outbox.values():
                if len(claimed) >= limit:
                    break
                if queued.claimed_until <= now:
                    queued.row = replace(queued.row, attempts=queued.row.attempts + 1)
                    queued.claimed_until = now + lease
                    claimed.append(queued.row)
            return claimed

    async def outbox_extend(self, seqs: Sequence[int], *, lease: float) -> None:
        with self._lock:
            until = self._clock() + lease
            for seq in seqs:
                if seq in self._outbox:
                    self._outbox[seq].claimed_until = until

    async def outbox_done(self, seqs: Sequence[int]) -> None:
        with self._lock:
            for seq in seqs:
                self._outbox.pop(seq, None)

    async def outbox_release(self, seqs: Sequence[int]) -> None:
        with self._lock:
            for seq in seqs:
                if seq in self._outbox:
                    self._outbox[seq].claimed_until = 0.0

    async def outbox_pending(self) -> int:
        with self._lock:
            return len(self._outbox)
