"""The audit chain on SQLite or PostgreSQL: appends serialised on the one `audit_marks` row.

An append runs inside its caller's transaction (with the settings or mapping change it audits,
or alone): it takes the marks row first — SQLite's `BEGIN IMMEDIATE` already holds the write
lock, PostgreSQL's `SELECT … FOR UPDATE` makes a second writer wait — links the entry after the
head, inserts the record and moves the head. Two instances on one database therefore form one
chain, never two records with one seq. Reading the chain takes the row `FOR SHARE`, so no append
lands between reading the head and the records.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from receiver.store.audit import (
    START,
    AuditChain,
    AuditEntry,
    AuditFilter,
    AuditRecord,
    ChainMark,
    entry_fields,
    entry_from_fields,
    link,
    micros,
)
from receiver.store.sql.config_tables import audit_marks, audit_records

MARKS_ID = 1


def record_row(record: AuditRecord) -> dict[str, Any]:
    """A record as its `audit_records` row: `changes` as JSON text, so no database re-spells a value
    (PostgreSQL's JSONB would rewrite `1e16` as `10000000000000000`, and the hash would no longer match)."""
    fields = entry_fields(record.entry)
    changes = json.dumps(fields.pop("changes"), sort_keys=True, separators=(",", ":"))
    return {"seq": record.seq, **fields, "changes": changes, "prev_hash": record.prev_hash, "hash": record.hash}


def _record(row: Any) -> AuditRecord:
    return AuditRecord(int(row.seq), entry_from_fields(row), row.prev_hash, row.hash)


async def _marks(conn: AsyncConnection, insert: Any = None) -> tuple[ChainMark, ChainMark]:
    """Head and anchor. A writer (given its dialect's `insert`) makes the row on first use and locks it
    for update, so appends queue behind each other; a reader only shares the lock."""
    start = {"head_seq": 0, "head_hash": START.hash, "anchor_seq": 0, "anchor_hash": START.hash}
    if insert is not None:
        await conn.execute(insert(audit_marks).values(id=MARKS_ID, **start).on_conflict_do_nothing())
    query = select(audit_marks).where(audit_marks.c.id == MARKS_ID).with_for_update(read=insert is None)
    row = (await conn.execute(query)).first()
    if row is None:
        return START, START
    return ChainMark(int(row.head_seq), row.head_hash), ChainMark(int(row.anchor_seq), row.anchor_hash)


async def append(conn: AsyncConnection, insert: Any, entry: AuditEntry) -> AuditRecord:
    """Link `entry` after the head and store it, in the caller's transaction."""
    head, _ = await _marks(conn, insert)
    record = link(head, entry)
    await conn.execute(audit_records.insert().values(**record_row(record)))
    moved = {"head_seq": record.seq, "head_hash": record.hash}
    await conn.execute(update(audit_marks).where(audit_marks.c.id == MARKS_ID).values(**moved))
    return record


async def newest(conn: AsyncConnection, limit: int, wanted: AuditFilter) -> list[AuditRecord]:
    """The newest `limit` records `wanted` matches, filtered by the database."""
    if limit <= 0:
        return []
    c = audit_records.c
    query = select(audit_records).order_by(c.seq.desc()).limit(limit)
    if wanted.actor is not None:
        query = query.where(c.actor == wanted.actor)
    if wanted.action is not None:
        exact = not wanted.action.endswith(".")
        query = query.where(c.action == wanted.action if exact else c.action.startswith(wanted.action, autoescape=True))
    if wanted.since is not None:
        query = query.where(c.at >= micros(wanted.since))
    if wanted.until is not None:
        query = query.where(c.at < micros(wanted.until))
    if wanted.cursor is not None:
        query = query.where(c.seq < wanted.cursor)
    return [_record(row) for row in await conn.execute(query)]


async def chain(conn: AsyncConnection) -> AuditChain:
    head, anchor = await _marks(conn)
    rows = await conn.execute(select(audit_records).order_by(audit_records.c.seq))
    return AuditChain(tuple(_record(row) for row in rows), head, anchor)


async def prune(conn: AsyncConnection, insert: Any, older_than: datetime) -> int:
    """Remove the oldest run of records older than the cutoff and move the anchor to the newest removed."""
    await _marks(conn, insert)
    c = audit_records.c
    first_kept = await conn.scalar(select(c.seq).where(c.at >= micros(older_than)).order_by(c.seq).limit(1))
    cut = select(c.seq, c.hash).order_by(c.seq.desc()).limit(1)
    if first_kept is not None:
        cut = cut.where(c.seq < int(first_kept))
    last = (await conn.execute(cut)).first()
    if last is None:
        return 0
    gone = await conn.execute(delete(audit_records).where(c.seq <= int(last.seq)))
    moved = {"anchor_seq": int(last.seq), "anchor_hash": last.hash}
    await conn.execute(update(audit_marks).where(audit_marks.c.id == MARKS_ID).values(**moved))
    return int(gone.rowcount or 0)
