"""Logs, sessions and the outbox on SQL: the records beside the ledger, as functions of a `Connection`.

Logs are kept by count and by age: reads only ever see the newest `log_size` entries of a
kind within their age limit (`receiver.store.retention`: per source, per kind, a default), and
a periodic sweep deletes what falls outside (with the expired idempotency keys, messageIds and
sessions) and sets to NULL the bodies retention says are gone (read back as its marker). The outbox is claimed with a lease (a
claimed row is invisible to other senders until its lease ends); on PostgreSQL the claim
also takes the rows with `FOR UPDATE SKIP LOCKED`, so two workers claiming at once never
wait on or receive the same row. A sender that dies leaves its rows to be claimed again once
the lease runs out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, delete, func, insert, null, or_, select, true, update

from receiver.store.bodies import BoundedFields, anonymous_entries, bounded, plan_json
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
from receiver.store.sql import quarantine
from receiver.store.sql import statements as sql
from receiver.store.sql import tables as t
from receiver.store.sql.convert import log_entry_from, log_entry_of
from receiver.store.sql.driver import LOG_COLUMNS, insert_returning
from receiver.store.sql.group import Bulk
from receiver.store.times import from_micros, micros

LOG_KINDS: tuple[LogKind, ...] = ("inbound", "outbound", "duplicate")


class LogRules:
    """Which entries a log keeps (retention) and which a filter selects: the SQL of the log API."""

    def __init__(self, limits: StoreLimits) -> None:
        self._limits = limits
        self._retention = limits.log_retention

    def kept(self, kind: str, now: float | None = None) -> ColumnElement[bool]:
        """The retention rule: the newest `log_size` authenticated entries of the kind, and apart from
        them the newest `anonymous_share` of that many unauthenticated ones (as the memory store's
        lanes), so a flood from unknown senders only pushes out its own kind; all within their age limit.
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
        return and_(kept, self.young(kind, self._limits.clock() if now is None else now))

    def young(self, kind: str, now: float) -> ColumnElement[bool]:
        """The age part of retention (`receiver.store.retention`): each source with a limit of its own, then the rest."""
        log = t.log_entries.c
        by_source, other = self._retention.cutoffs(kind, now)

        def since(cutoff: float | None) -> ColumnElement[bool]:
            return true() if cutoff is None else log.timestamp >= int(cutoff * 1_000_000)

        if not by_source:
            return since(other)
        rest = or_(log.source.is_(None), log.source.not_in(list(by_source)))
        return or_(
            *(and_(log.source == source, since(cutoff)) for source, cutoff in by_source.items()),
            and_(rest, since(other)),
        )

    def where(self, kind: LogKind, where: LogFilter, now: float | None = None) -> list[ColumnElement[bool]]:
        log = t.log_entries.c
        clauses: list[ColumnElement[bool]] = [log.kind == kind, self.kept(kind, now)]
        for column, value in (
            (log.id, where.id),
            (log.event_type, where.event_type),
            (log.status, where.status),
            (log.error_code, where.error_code),
            (log.test_run, where.test_run),
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

    def sweep(self, now: float, conn: Connection) -> None:
        """Delete what retention and expiry say is gone (log entries, quarantined messages), and set to NULL
        the bodies retention says are."""
        conn.execute(delete(t.idempotency_keys).where(t.idempotency_keys.c.expires_at <= now))
        conn.execute(delete(t.seen_messages).where(t.seen_messages.c.expires_at <= now))
        conn.execute(delete(t.sessions).where(t.sessions.c.expires_at <= now))
        blocked = self._retention.quarantine_cutoff(now)
        if blocked is not None:
            conn.execute(delete(t.quarantine).where(~quarantine.fresh(blocked)))
        log = t.log_entries.c
        bodies = self._retention.body_cutoff(now)
        for kind in LOG_KINDS:
            conn.execute(delete(t.log_entries).where(log.kind == kind, ~self.kept(kind, now)))
            if bodies is not None:
                old = (log.kind == kind, log.timestamp < int(bodies * 1_000_000))
                held = or_(log.request.is_not(None), log.response.is_not(None))
                conn.execute(update(t.log_entries).where(*old, held).values(request=null(), response=null()))

    def query(self, kind: LogKind, where: LogFilter, limit: int, cursor: int | None, conn: Connection) -> LogPage:
        now = self._limits.clock()
        clauses = self.where(kind, where, now)
        if cursor is not None:
            clauses.append(t.log_entries.c.seq < cursor)
        log = t.log_entries
        removed = log.c.request.is_(None).label("bodies_removed")  # set NULL by the sweep (SQL NULL, not JSON null)
        query = select(log, removed).where(*clauses).order_by(log.c.seq.desc()).limit(limit + 1)
        # The age rule is in `clauses` (at the same `now`); the reader adds the bodies' (rows the sweep has not reached).
        read = self._retention.reader(kind, now)
        found = [shown for shown in (read(log_entry_of(row)) for row in conn.execute(query)) if shown is not None]
        page = found[:limit]
        return LogPage(entries=page, next_cursor=page[-1].seq if len(found) > limit and page else None)

    def count(self, kind: LogKind, where: LogFilter, conn: Connection) -> int:
        query = select(func.count()).select_from(t.log_entries).where(*self.where(kind, where))
        return int(conn.execute(query).scalar() or 0)

    def forget(self, kind: LogKind, where: LogFilter, conn: Connection) -> int:
        return int(conn.execute(delete(t.log_entries).where(*self.where(kind, where))).rowcount or 0)

    def sources(self, kind: LogKind, conn: Connection) -> dict[str, datetime]:
        """The newest kept entry's time per source (the dashboard's freshness)."""
        log = t.log_entries.c
        query = (
            select(log.source, func.max(log.timestamp))
            .where(*self.where(kind, LogFilter()), log.source.is_not(None))
            .group_by(log.source)
        )
        return {source: from_micros(newest) for source, newest in conn.execute(query)}


@dataclass(frozen=True)
class AddLog(Bulk[list[LogEntry]]):
    """Log entries to append; neighbouring ones in a group are written in one statement."""

    kind: LogKind
    entries: Sequence[NewLogEntry]
    body_bytes: int
    """Bodies longer than this are cut (`receiver.store.bodies`, the rule every store applies)."""

    @staticmethod
    def run_many(conn: Connection, works: Sequence[AddLog]) -> list[tuple[bool, Any]]:
        kept = [[_bounded(entry, work.body_bytes) for entry in work.entries] for work in works]
        rows = [
            _log_row(work.kind, entry, bounds)
            for work, cut in zip(works, kept, strict=True)
            for entry, bounds in zip(work.entries, cut, strict=True)
        ]
        # The `seq`s come back in no promised order, but one statement numbers its rows in the order
        # given (and so do its chunks, one after another in the transaction): sorted, they are the rows'.
        seqs = iter(sorted(insert_returning(conn, t.log_entries, LOG_COLUMNS, rows, "seq")))
        return [
            (True, [log_entry_from(entry, bounds, next(seqs)) for entry, bounds in zip(work.entries, cut, strict=True)])
            for work, cut in zip(works, kept, strict=True)
        ]


def _bounded(entry: NewLogEntry, body_bytes: int) -> BoundedFields:
    return bounded(
        id=entry.id,
        customer_id=entry.customer_id,
        error=entry.error,
        request=entry.request,
        response=entry.response,
        body_bytes=body_bytes,
    )


def _log_row(kind: LogKind, entry: NewLogEntry, kept: BoundedFields) -> tuple[Any, ...]:
    """The row of a new entry in `driver.LOG_COLUMNS`' order, cut to the bounds every log keeps (`receiver.store.bodies`)."""
    return (
        kind,
        kept.id,
        micros(entry.timestamp),
        kept.customer_id,
        entry.event_type,
        entry.status,
        float(entry.response_time),
        kept.error,
        entry.error_code,
        kept.request.text,
        kept.response.text,
        entry.internal_customer_id,
        entry.source,
        entry.subscription,
        entry.mapping_version,
        entry.test_run,
        plan_json(entry.plan_check),
        entry.authenticated,
        kept.truncated,
    )


def count_rows(table: Any, conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)


# --- sessions --------------------------------------------------------------------------------


def put_session(session: StoredSession, conn: Connection) -> None:
    conn.execute(insert(t.sessions).values(**vars(session)))


def get_session(digest: str, now: float, conn: Connection) -> StoredSession | None:
    table = t.sessions
    row = conn.execute(select(table).where(table.c.digest == digest, table.c.expires_at > now)).first()
    return (
        None
        if row is None
        else StoredSession(row.digest, row.csrf, row.expires_at, row.user_name, row.role, bool(row.pii_access))
    )


def delete_session(digest: str, conn: Connection) -> None:
    conn.execute(delete(t.sessions).where(t.sessions.c.digest == digest))


# --- outbox ----------------------------------------------------------------------------------


def write_outbox(conn: Connection, items: Sequence[OutboxItem], *, limit: int) -> bool:
    """Queue a commit's items inside its own transaction (the transactional outbox); `OutboxFull`
    (which undoes the transaction: nothing of the commit is written) while `limit` rows wait."""
    if not items:
        return False
    # Is there a `limit`-th waiting row? An index walk that stops early while the queue is short.
    at_limit = select(t.outbox.c.seq).order_by(t.outbox.c.seq).offset(limit - 1).limit(1)
    check_outbox_room(conn.execute(at_limit).first() is not None, len(items), limit)
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
    conn.execute(sql.INSERT_OUTBOX, rows)
    return True


def claim_outbox(limit: int, now: float, lease: float, conn: Connection) -> list[OutboxRow]:
    box = t.outbox.c
    free = (
        select(box.seq).where(box.claimed_until <= now).order_by(box.seq).limit(limit).with_for_update(skip_locked=True)
    )
    claim = (
        update(t.outbox)
        .where(box.seq.in_(free.scalar_subquery()))
        .values(claimed_until=now + lease, attempts=box.attempts + 1)
        .returning(*t.outbox.c)
    )
    rows = sorted(conn.execute(claim), key=lambda row: row.seq)
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


def set_outbox(seqs: Sequence[int], values: dict[str, Any], conn: Connection) -> None:
    """Update the rows (`values`), or delete them when `values` is empty."""
    if values:
        conn.execute(update(t.outbox).where(t.outbox.c.seq.in_(list(seqs))).values(**values))
    else:
        conn.execute(delete(t.outbox).where(t.outbox.c.seq.in_(list(seqs))))
