"""The audit chain in one process: bounded by count, the oldest records pruned and the anchor moved."""

from __future__ import annotations

from collections import deque
from datetime import datetime

from receiver.store.audit import (
    START,
    AuditChain,
    AuditEntry,
    AuditFilter,
    AuditRecord,
    ChainMark,
    link,
    mark,
    prune_point,
)


class MemoryAuditChain:
    """The records, head and anchor; the caller (`MemoryConfigState`) holds the lock around every call."""

    def __init__(self, keep: int) -> None:
        self._keep = keep
        self._records: deque[AuditRecord] = deque()
        self.head: ChainMark = START
        self.anchor: ChainMark = START

    def append(self, entry: AuditEntry) -> AuditRecord:
        record = link(self.head, entry)
        self._records.append(record)
        self.head = mark(record)
        while len(self._records) > self._keep:
            self.anchor = mark(self._records.popleft())
        return record

    def newest(self, limit: int, wanted: AuditFilter) -> list[AuditRecord]:
        """The newest `limit` records `wanted` matches: the records are in seq order, newest last."""
        found: list[AuditRecord] = []
        for record in reversed(self._records):
            if len(found) >= limit:
                break
            if wanted.matches(record):
                found.append(record)
        return found

    def chain(self) -> AuditChain:
        return AuditChain(tuple(self._records), self.head, self.anchor)

    def prune(self, older_than: datetime) -> int:
        count = prune_point(self._records, older_than)
        for _ in range(count):
            self.anchor = mark(self._records.popleft())
        return count
