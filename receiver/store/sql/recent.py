"""`RecentMessages` on SQLite or PostgreSQL: one table every instance on the database writes and reads.

A batch of messages and the trim that keeps the table within its bounds commit together: the
trim deletes everything at or below the newest row that falls outside the count or the byte
total, counted newest first (a window sum over a table of a few hundred rows). Two instances
trimming at once may each miss the other's rows for a moment; readers apply the bounds again,
so what a page shows is always within them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from receiver.store.recent import RecentBounds, RecentMessage, encode, size_of, within
from receiver.store.sql.bounded import trim_beyond
from receiver.store.sql.config_tables import recent_messages as table


class SqlRecentMessages:
    """`RecentMessages` on one SQLAlchemy async engine (the store's)."""

    def __init__(self, engine: AsyncEngine, bounds: RecentBounds | None = None) -> None:
        self.engine = engine
        self.bounds = bounds or RecentBounds()

    async def remember(self, messages: Sequence[Mapping[str, Any]]) -> None:
        bounds = self.bounds
        sized = [(size_of(text), text) for text in map(encode, messages)]
        rows = [{"size": size, "message": text} for size, text in sized if size <= bounds.max_bytes][-bounds.count :]
        if not rows:
            return
        async with self.engine.begin() as conn:
            await conn.execute(insert(table), rows)
            await conn.execute(trim_beyond(table, max_bytes=bounds.max_bytes, count=bounds.count))

    async def recent(self) -> list[RecentMessage]:
        query = select(table.c.seq, table.c.message).order_by(table.c.seq.desc()).limit(self.bounds.count)
        async with self.engine.connect() as conn:
            rows = [(int(row.seq), str(row.message)) for row in await conn.execute(query)]
        return within(rows, self.bounds)

    async def usage(self) -> tuple[int, int]:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(func.count(), func.coalesce(func.sum(table.c.size), 0)))).one()
        return int(row[0]), int(row[1])
