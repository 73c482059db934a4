"""Logs, sessions and the outbox on SQL: the records beside the ledger.

Logs are kept by count and by age: reads only ever see the newest `log_size` entries of a
kind younger than the age limit, and a periodic sweep deletes what falls outside (with the
expired idempotency keys, messageIds and sessions). The outbox is claimed with a lease (a
claimed row is invisible to other senders until its lease ends); on PostgreSQL the claim
also takes the rows with `FOR UPDATE SKIP LOCKED`, so two workers claiming at once never
wait on or receive the same row. A sender that dies leaves its rows to be claimed again once
the lease runs out.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from receiver.logs.bodies import anonymous_entries, bounded
from receiver.store.contract import (
    LogEntry,
    LogFilter,
    LogKind,
    LogPage,
    NewLogEntry,
    OutboxItem,
    OutboxRow,
    StoredSession,
)
from receiver.store.limits import StoreLimits, check_outbox_room
from receiver.store.sql import tables as t
from receiver.store.sql.convert import guarded, log_entry_of, micros

SWEEP_EVERY = 256
"""Writes between two retention sweeps (per process)."""


def _log_row(kind: LogKind, entry: NewLogEntry, body_bytes: int) -> dict[str, Any]:
    """The row of a new entry, cut to the bounds every log keeps (`receiver.logs.bodies`)."""
    kept = bounded(
        id=entry.id,
        customer_id=entry.customer_id,
        error=entry.error,
        request=entry.request,
        response=entry.response,
        body_bytes=body_bytes,
    )
    return {
        **vars(entry),
        "kind": kind,
        "id": kept.id,
        "timestamp": micros(entry.timestamp),
        "customer_id": kept.customer_id,
        "error": kept.error,
        "request": kept.request.value,
        "response": kept.response.value,
        "truncated": kept.truncated,
    }


class Records:
    """The shared half of `SqlStore` (it sets up the engines and limits)."""

    def __init__(self, engine: AsyncEngine, reads: AsyncEngine, limits: StoreLimits) -> None:
        self.engine = engine
        self._reads = reads
        self._limits = limits
        self._writes = itertools.count(1)
        # SQLite has one writer at a time: this process's writers queue here, so only other
        # processes ever wait on the file lock (and its busy timeout).
        self._write_turn = asyncio.Lock() if engine.dialect.name == "sqlite" else None

    @asynccontextmanager
    async def _begin(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction (on SQLite, `BEGIN IMMEDIATE` after this process's earlier writers)."""
        if self._write_turn is None:
            async with self.engine.begin() as conn:
                yield conn
            return
        async with self._write_turn, self.engine.begin() as conn:
            yield conn

    async def _scalar(self, query: Select[Any]) -> int:
        async with guarded(), self._reads.connect() as conn:
            return int((await conn.execute(query)).scalar() or 0)

    async def maintain(self, *, force: bool = False) -> None:
        """Every `SWEEP_EVERY` writes: delete what retention and expiry say is gone."""
        if not force and next(self._writes) % SWEEP_EVERY:
            return
        now = self._limits.clock()
        async with guarded(), self._begin() as conn:
            await conn.execute(delete(t.idempotency_keys).where(t.idempotency_keys.c.expires_at <= now))
            await conn.execute(delete(t.seen_messages).where(t.seen_messages.c.expires_at <= now))
            await conn.execute(delete(t.sessions).where(t.sessions.c.expires_at <= now))
            for kind in ("inbound", "outbound", "duplicate"):
                await conn.execute(delete(t.log_entries).where(t.log_entries.c.kind == kind, ~self._kept(kind)))

    # --- logs ----------------------------------------------------------------------------------

    async def log_add(self, kind: LogKind, entries: Sequence[NewLogEntry]) -> list[LogEntry]:
        if not entries:
            return []
        rows = [_log_row(kind, entry, self._limits.log_body_bytes) for entry in entries]
        async with guarded(), self._begin() as conn:
            added = await conn.execute(insert(t.log_entries).returning(*t.log_entries.c), rows)
            written = sorted((log_entry_of(row) for row in added), key=lambda entry: entry.seq)
        await self.maintain()
        return written

    def _kept(self, kind: str) -> ColumnElement[bool]:
        """The retention rule: the newest `log_size` authenticated entries of the kind, and apart from
        them the newest `anonymous_share` of that many unauthenticated ones (as the memory store's
        lanes), so a flood from unknown senders only pushes out its own kind; all younger than the age limit.
        """
        log = t.log_entries.c

        def newest(authenticated: bool, count: int) -> ColumnElement[bool]:
            nth = (
                select(log.seq)
                .where(log.kind == kind, log.authenticated == authenticated)
                .order_by(log.seq.desc())
                .offset(count - 1)
                .limit(1)
                .scalar_subquery()
            )
            return and_(log.authenticated == authenticated, log.seq >= func.coalesce(nth, 0))

        anonymous = anonymous_entries(self._limits.log_size, self._limits.log_anonymous_share)
        kept: ColumnElement[bool] = or_(newest(True, self._limits.log_size), newest(False, anonymous))
        if self._limits.log_max_age_seconds is not None:
            oldest = int((self._limits.clock() - self._limits.log_max_age_seconds) * 1_000_000)
            kept = and_(kept, log.timestamp >= oldest)
        return kept

    def _where(self, kind: LogKind, where: LogFilter) -> list[ColumnElement[bool]]:
        log = t.log_entries.c
        clauses: list[ColumnElement[bool]] = [log.kind == kind, self._kept(kind)]
        for column, value in (
            (log.id, where.id),
            (log.event_type, where.event_type),
            (log.status, where.status),
            (log.error_code, where.error_code),
        ):
            if value is not None:
                clauses.append(column == value)
        if where.customer_id is not None:
            # An external ID's events are found by the store's own ID too (Customer ID mapping).
            clauses.append(or_(log.customer_id == where.customer_id, log.internal_customer_id == where.customer_id))
        if where.error is not None:
            clauses.append(log.error.is_not(None) if where.error else log.error.is_(None))
        if where.since is not None:
            clauses.append(log.timestamp >= micros(where.since))
        if where.until is not None:
            clauses.append(log.timestamp < micros(where.until))
        if where.min_response_time is not None:
            clauses.append(log.response_time >= where.min_response_time)
        return clauses

    async def log_query(self, kind: LogKind, where: LogFilter, *, limit: int, cursor: int | None) -> LogPage:
        clauses = self._where(kind, where)
        if cursor is not None:
            clauses.append(t.log_entries.c.seq < cursor)
        query = select(t.log_entries).where(*clauses).order_by(t.log_entries.c.seq.desc()).limit(limit + 1)
        async with guarded(), self._reads.connect() as conn:
            found = [log_entry_of(row) for row in await conn.execute(query)]
        page = found[:limit]
        return LogPage(entries=page, next_cursor=page[-1].seq if len(found) > limit and page else None)

    async def log_count(self, kind: LogKind, where: LogFilter) -> int:
        return await self._scalar(select(func.count()).select_from(t.log_entries).where(*self._where(kind, where)))

    # --- sessions --------------------------------------------------------------------------------

    async def session_put(self, session: StoredSession) -> None:
        async with guarded(), self._begin() as conn:
            await conn.execute(insert(t.sessions).values(**vars(session)))
        await self.maintain()

    async def session_get(self, digest: str) -> StoredSession | None:
        table = t.sessions
        async with guarded(), self._reads.connect() as conn:
            row = (
                await conn.execute(
                    select(table).where(table.c.digest == digest, table.c.expires_at > self._limits.clock())
                )
            ).first()
        return None if row is None else StoredSession(row.digest, row.csrf, row.expires_at)

    async def session_delete(self, digest: str) -> None:
        async with guarded(), self._begin() as conn:
            await conn.execute(delete(t.sessions).where(t.sessions.c.digest == digest))

    # --- outbox ----------------------------------------------------------------------------------

    async def outbox_write(self, conn: AsyncConnection, items: Sequence[OutboxItem]) -> bool:
        """Queue a commit's items inside its own transaction (the transactional outbox); `OutboxFull`
        (which aborts the transaction: nothing of the commit is written) while `outbox_size` rows wait."""
        if not items:
            return False
        size = self._limits.outbox_size
        # Is there a `size`-th waiting row? An index walk that stops early while the queue is short.
        at_limit = select(t.outbox.c.seq).order_by(t.outbox.c.seq).offset(size - 1).limit(1)
        check_outbox_room((await conn.execute(at_limit)).first() is not None, len(items), size)
        rows = [
            {
                "message_id": item.message_id,
                "customer_id": item.customer_id,
                "event_type": item.event_type,
                "message": item.message,
                "refusal_code": item.refusal[0] if item.refusal else None,
                "refusal_reason": item.refusal[1] if item.refusal else None,
            }
            for item in items
        ]
        await conn.execute(insert(t.outbox), rows)
        return True

    async def outbox_put(self, items: Sequence[OutboxItem]) -> None:
        async with guarded(), self._begin() as conn:
            await self.outbox_write(conn, items)

    async def outbox_claim(self, limit: int, *, lease: float) -> list[OutboxRow]:
        box = t.outbox.c
        now = self._limits.clock()
        free = (
            select(box.seq)
            .where(box.claimed_until <= now)
            .order_by(box.seq)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claim = (
            update(t.outbox)
            .where(box.seq.in_(free.scalar_subquery()))
            .values(claimed_until=now + lease, attempts=box.attempts + 1)
            .returning(*t.outbox.c)
        )
        async with guarded(), self._begin() as conn:
            rows = list(await conn.execute(claim))
        rows.sort(key=lambda row: row.seq)
        return [
            OutboxRow(
                seq=row.seq,
                item=OutboxItem(
                    customer_id=row.customer_id,
                    message_id=row.message_id,
                    event_type=row.event_type,
                    message=row.message,
                    refusal=(row.refusal_code, row.refusal_reason or "") if row.refusal_code else None,
                ),
                attempts=row.attempts,
            )
            for row in rows
        ]

    async def _outbox_set(self, seqs: Sequence[int], **values: Any) -> None:
        if not seqs:
            return
        async with guarded(), self._begin() as conn:
            if values:
                await conn.execute(update(t.outbox).where(t.outbox.c.seq.in_(list(seqs))).values(**values))
            else:
                await conn.execute(delete(t.outbox).where(t.outbox.c.seq.in_(list(seqs))))

    async def outbox_extend(self, seqs: Sequence[int], *, lease: float) -> None:
        await self._outbox_set(seqs, claimed_until=self._limits.clock() + lease)

    async def outbox_done(self, seqs: Sequence[int]) -> None:
        await self._outbox_set(seqs)

    async def outbox_release(self, seqs: Sequence[int]) -> None:
        await self._outbox_set(seqs, claimed_until=0.0)

    async def outbox_pending(self) -> int:
        return await self._scalar(select(func.count()).select_from(t.outbox))
