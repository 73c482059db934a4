"""The saved versions of `SqlConfigState` (table `config_history`): recorded inside the save's own transaction.

The next number is read after the save bumped its kind's counter (`config_versions`), whose row
lock (PostgreSQL) or the write lock (SQLite) serialises the saves, so two instances never pick
the same number; the primary key `(subject, number)` would refuse it if they did. Each subject keeps
its newest `VERSIONS_KEPT_PER_SUBJECT` versions, as the memory backend does (the numbers go on).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from receiver.store.config_state import AuditEntry, version_from
from receiver.store.config_versions import VERSIONS_KEPT_PER_SUBJECT, ConfigVersion, history_size
from receiver.store.sql.config_tables import config_history
from receiver.store.times import from_micros, micros

table = config_history


async def record(conn: AsyncConnection, subject: str, entry: AuditEntry, text: str | None) -> None:
    """Append the subject's next version, on the save's connection (its transaction)."""
    last = await conn.scalar(select(func.max(table.c.number)).where(table.c.subject == subject))
    version = version_from(subject, int(last or 0) + 1, entry, text)
    row = {
        "subject": subject,
        "number": version.number,
        "at": micros(version.at),
        "who": version.who,
        "what": version.what,
        "text": text,
    }
    await conn.execute(insert(table).values(**row))
    oldest_kept = version.number - VERSIONS_KEPT_PER_SUBJECT
    if oldest_kept > 0:
        await conn.execute(delete(table).where(table.c.subject == subject, table.c.number <= oldest_kept))


def _version(row: Any) -> ConfigVersion:
    return ConfigVersion(row.subject, int(row.number), from_micros(row.at), row.who, row.what, row.text)


async def history(engine: AsyncEngine, subject: str, limit: int, before: int | None) -> list[ConfigVersion]:
    query = select(table).where(table.c.subject == subject)
    if before is not None:
        query = query.where(table.c.number < before)
    query = query.order_by(table.c.number.desc()).limit(history_size(limit))
    async with engine.connect() as conn:
        return [_version(row) for row in await conn.execute(query)]


async def version_of(engine: AsyncEngine, subject: str, number: int) -> ConfigVersion | None:
    query = select(table).where(table.c.subject == subject, table.c.number == number)
    async with engine.connect() as conn:
        row = (await conn.execute(query)).first()
    return None if row is None else _version(row)
