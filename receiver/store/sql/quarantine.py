"""The quarantine (`receiver.store.quarantine`) on SQLite or PostgreSQL: one table every instance shares.

A message is kept and the table trimmed to its bounds in one write (the trim deletes everything at
or below the newest row outside the count or the byte total, counted newest first, as
`recent_messages` does); `take` is one `DELETE … RETURNING`, so of two instances replaying the same
message only one gets it. Reads skip messages past `quarantine_days`; the store's sweep deletes them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Connection, delete, func, insert, select, true

from receiver.store.limits import StoreLimits
from receiver.store.quarantine import NewQuarantined, Quarantined, size_of
from receiver.store.sql.bounded import trim_beyond
from receiver.store.sql.tables import quarantine as table
from receiver.store.times import from_micros, micros

T = TypeVar("T")
_COLUMNS = (table.c.seq, table.c.message_id, table.c.quarantined_at, table.c.event_type, table.c.event)


def _kept(row: Any) -> Quarantined:
    return Quarantined(
        int(row.seq),
        row.message_id,
        from_micros(row.quarantined_at),
        row.event_type,
        row.event,
        row.message,
        row.violations,
    )


def _put(item: NewQuarantined, limits: StoreLimits, conn: Connection) -> Quarantined | None:
    message, violations = item.texts()
    size = size_of(message, violations)
    conn.execute(delete(table).where(table.c.message_id == item.message_id))
    if size > limits.quarantine_max_bytes:
        return None
    values = {
        "message_id": item.message_id,
        "quarantined_at": micros(item.quarantined_at),
        "event_type": item.event_type,
        "event": item.event,
        "message": message,
        "violations": violations,
        "size": size,
    }
    seq = conn.execute(insert(table).values(**values).returning(table.c.seq)).scalar_one()
    conn.execute(trim_beyond(table, max_bytes=limits.quarantine_max_bytes, count=limits.quarantine_size))
    return Quarantined(int(seq), item.message_id, item.quarantined_at, item.event_type, item.event, message, violations)


def fresh(cutoff: float | None) -> ColumnElement[bool]:
    """The messages retention still keeps (`quarantine_days`, see `receiver.store.retention`)."""
    return true() if cutoff is None else table.c.quarantined_at >= int(cutoff * 1_000_000)


def _list(limit: int, cutoff: float | None, conn: Connection) -> list[Quarantined]:
    query = select(*_COLUMNS, table.c.message, table.c.violations).where(fresh(cutoff))
    return [_kept(row) for row in conn.execute(query.order_by(table.c.seq.desc()).limit(limit))]


def _count(cutoff: float | None, conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(table).where(fresh(cutoff))).scalar() or 0)


def _get(message_id: str, cutoff: float | None, conn: Connection) -> Quarantined | None:
    query = select(*_COLUMNS, table.c.message, table.c.violations).where(table.c.message_id == message_id)
    row = conn.execute(query.where(fresh(cutoff))).first()
    return _kept(row) if row is not None else None


def _take(message_id: str, cutoff: float | None, conn: Connection) -> Quarantined | None:
    """Remove the message (kept or past retention) and return it if retention still kept it."""
    statement = (
        delete(table).where(table.c.message_id == message_id).returning(*_COLUMNS, table.c.message, table.c.violations)
    )
    row = conn.execute(statement).first()
    return _kept(row) if row is not None and (cutoff is None or row.quarantined_at >= int(cutoff * 1e6)) else None


class SqlQuarantine:
    """The store contract's `quarantine_*` methods, for `SqlStore` to inherit (its writer, reader and limits)."""

    _limits: StoreLimits
    _write: Callable[[Callable[[Connection], Any]], Awaitable[Any]]
    read: Callable[[Callable[[Connection], Any]], Awaitable[Any]]

    async def quarantine_put(self, item: NewQuarantined) -> Quarantined | None:
        found: Quarantined | None = await self._write(partial(_put, item, self._limits))
        return found

    def _cutoff(self) -> float | None:
        return self._limits.retention.quarantine_cutoff(self._limits.clock())

    async def quarantine_list(self, *, limit: int) -> list[Quarantined]:
        found: list[Quarantined] = await self.read(partial(_list, limit, self._cutoff()))
        return found

    async def quarantine_count(self) -> int:
        found: int = await self.read(partial(_count, self._cutoff()))
        return found

    async def quarantine_get(self, message_id: str) -> Quarantined | None:
        found: Quarantined | None = await self.read(partial(_get, message_id, self._cutoff()))
        return found

    async def quarantine_take(self, message_id: str) -> Quarantined | None:
        found: Quarantined | None = await self._write(partial(_take, message_id, self._cutoff()))
        return found
