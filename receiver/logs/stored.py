"""A log (inbound or outbound) as the routes and pages use it, kept by the store.

The store decides where entries live (a ring in memory, a table on SQLite or PostgreSQL) and
how long (by count and by age); this handle only names which of the two logs it is, so the
webhook, the outbox and the pages write and read it the same way on every backend.
"""

from __future__ import annotations

from datetime import datetime

from receiver.store.contract import LogKind, LoyaltyStore, NewLogEntry
from receiver.store.entries import LogEntry, LogFilter, LogPage


class StoredLog:
    """One of the store's two logs."""

    def __init__(self, store: LoyaltyStore, kind: LogKind) -> None:
        self.store = store
        self.kind: LogKind = kind

    async def add(self, entry: NewLogEntry) -> LogEntry:
        """Store the entry as it is (the store gives it its `seq` and cuts long bodies)."""
        [written] = await self.store.log_add(self.kind, [entry])
        return written

    async def query(self, where: LogFilter, *, limit: int, cursor: int | None = None) -> LogPage:
        return await self.store.log_query(self.kind, where, limit=limit, cursor=cursor)

    async def collect(self, where: LogFilter, *, at_most: int, page: int = 1000) -> tuple[list[LogEntry], bool]:
        """The matching entries, newest first, page by page up to `at_most`; and whether the log held more.

        Why here: the verdicts of a run and the Delivery Overview both read a bounded slice of one log.
        """
        found: list[LogEntry] = []
        cursor: int | None = None
        while len(found) < at_most:
            answer = await self.query(where, limit=min(page, at_most - len(found)), cursor=cursor)
            found.extend(answer.entries)
            if answer.next_cursor is None:
                return found, False
            cursor = answer.next_cursor
        return found, True

    async def count(self, where: LogFilter) -> int:
        return await self.store.log_count(self.kind, where)

    async def forget(self, where: LogFilter) -> int:
        """Delete the matching entries (a test run's reset); how many went."""
        return await self.store.log_forget(self.kind, where)

    async def sources(self) -> dict[str, datetime]:
        """When each source's newest entry was written (the dashboard's freshness)."""
        return await self.store.log_sources(self.kind)
