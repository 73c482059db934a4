"""`SqlStore`: the store contract on SQLite or PostgreSQL.

The SQL lives in `ledger` (customers, events, balances, transaction IDs, idempotency keys,
messageIds) and `records` (logs, sessions, outbox) as functions of a connection; `runner`
takes each to the database in one call, and every write goes through `group`, which commits
the writes waiting at one moment as one transaction. Reads go straight to the runner.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from receiver.store.contract import (
    BatchMessage,
    BatchWindows,
    CustomerSnapshot,
    Decision,
    IdempotencyClaim,
    LogEntry,
    LogFilter,
    LogKind,
    LogPage,
    MessageResult,
    NewLogEntry,
    OutboxItem,
    OutboxRow,
    OutboxSource,
    StoredEvent,
    StoredResponse,
    StoredSession,
)
from receiver.store.limits import StoreLimits
from receiver.store.lineage import Lineage
from receiver.store.retention import SWEEP_EVERY
from receiver.store.sql import claims, ledger, records
from receiver.store.sql import tables as t
from receiver.store.sql.batch import UnitUndone, WriteBatch
from receiver.store.sql.convert import guarded
from receiver.store.sql.engine import EngineSettings, is_postgres, make_engine, make_sqlite_engine
from receiver.store.sql.group import GroupCommit
from receiver.store.sql.quarantine import SqlQuarantine
from receiver.store.sql.runner import AsyncRunner, Runner, ThreadRunner, Work
from receiver.store.sql.users import SqlUsers

T = TypeVar("T")
logger = logging.getLogger(__name__)


class SqlStore(SqlQuarantine, SqlUsers):
    """One engine (and its pool) per process; many processes may share the database."""

    durable = True
    groups_writes = True

    def __init__(self, url: str, limits: StoreLimits | None = None, engine: EngineSettings | None = None) -> None:
        self.url = url
        self.engine: AsyncEngine = make_engine(url, engine)
        """The async engine: migrations, and the configuration pages' state (`store/sql/config_state.py`)."""
        self.name = "postgresql" if is_postgres(self.engine) else "sqlite"
        self._limits = limits or StoreLimits()
        self._runner: Runner = (
            AsyncRunner(self.engine) if self.name == "postgresql" else ThreadRunner(make_sqlite_engine(url, engine))
        )
        self._group = GroupCommit(self._runner)
        self._logs = records.LogRules(self._limits)
        self._writes = itertools.count(1)
        self._source: OutboxSource | None = None
        self._wake: Callable[[], None] | None = None

    @property
    def transactions(self) -> int:
        """Write transactions run so far by this instance (grouping shows as fewer than writes)."""
        return self._group.groups

    def warnings(self) -> list[str]:
        """None: a database keeps every key and messageId for its whole window."""
        return []

    async def open(self) -> None:
        from receiver.store.sql.migrate import check_current

        await guarded(check_current(self.engine, self.url))

    async def close(self) -> None:
        await self._runner.dispose()
        await self.engine.dispose()

    def set_outbox_source(self, source: OutboxSource | None, wake: Callable[[], None] | None = None) -> None:
        self._source, self._wake = source, wake

    async def _write(self, work: Work[T]) -> T:
        return await guarded(self._group.write(work))

    async def read(self, work: Work[T]) -> T:
        """Run `work` (a function of a blocking connection) on this store's reader: its own reads, and
        the configuration state's per-call ones (see `receiver.store.sql.config_state`)."""
        return await guarded(self._runner.read(work))

    async def maintain(self, *, force: bool = False, writes: int = 1) -> None:
        """Every `SWEEP_EVERY` writes (a call of `writes` of them counts so many; `force`: now): delete what
        retention and expiry say is gone (six DELETEs and three UPDATEs, whatever they remove).

        Queued, not awaited (unless `force`): the write that triggers it must not wait longer than
        its neighbours (a call's messages keep pace, see `receiver.ingest.fanout`).
        """
        if force:
            await self._write(partial(self._logs.sweep, self._limits.clock()))
        elif any(not next(self._writes) % SWEEP_EVERY for _ in range(writes)):
            self._group.submit(partial(self._logs.sweep, self._limits.clock())).add_done_callback(_sweep_done)

    async def retention_sweep(self) -> None:
        await self.maintain(force=True)

    # --- customers ---------------------------------------------------------------------------

    async def apply(
        self, customer_id: str, decide: Decision, *, idempotency_key: str | None = None, lineage: Lineage | None = None
    ) -> StoredEvent:
        work = ledger.Apply(
            customer_id,
            decide,
            idempotency_key,
            self._limits.clock(),
            self._source,
            partial(records.write_outbox, limit=self._limits.outbox_size),
            lineage,
        )
        event, queued = await self._write(work)
        if queued and self._wake is not None:
            self._wake()
        return event

    async def write_batch(self, messages: Sequence[BatchMessage], windows: BatchWindows) -> list[MessageResult]:
        if not messages:
            return []
        work = WriteBatch(
            tuple(messages),
            windows,
            self._limits.clock(),
            self._source,
            partial(records.write_outbox, limit=self._limits.outbox_size),
            self._limits.log_body_bytes,
        )
        try:
            results, queued = await self._write(work)
        except UnitUndone as undone:
            raise undone.refusal from None  # e.g. the outbox is full: nothing of the unit was written
        if queued and self._wake is not None:
            self._wake()
        await self.maintain(writes=2 * len(messages))  # as many as the claims and log entries one by one
        return results

    async def customer(self, customer_id: str) -> CustomerSnapshot | None:
        return await self.read(partial(ledger.read_customer, customer_id))

    async def events(self, customer_id: str, *, offset: int, limit: int) -> tuple[list[StoredEvent], int] | None:
        return await self.read(partial(ledger.read_events, customer_id, offset, limit))

    async def customer_count(self) -> int:
        return await self.read(partial(records.count_rows, t.customers))

    async def event_count(self) -> int:
        return await self.read(partial(records.count_rows, t.events))

    async def holding(self, name: str) -> list[tuple[str, Any]]:
        return await self.read(partial(ledger.read_holding, name))

    # --- idempotency and dedup ---------------------------------------------------------------

    async def idempotency_begin(self, key: str, fingerprint: str, *, ttl: float, lease: float) -> IdempotencyClaim:
        return await self._write(claims.ClaimKey(key, fingerprint, self._limits.clock(), ttl, lease))

    async def idempotency_finish(self, key: str, response: StoredResponse) -> None:
        await self._write(partial(claims.finish_key, key, response))

    async def idempotency_release(self, key: str) -> None:
        await self._write(partial(claims.release_key, key))

    async def first_time(self, message_id: str, *, window: float) -> bool:
        first = await self._write(claims.ClaimMessage(message_id, self._limits.clock(), window))
        await self.maintain()
        return first

    async def forget_message(self, message_id: str) -> None:
        await self._write(partial(claims.forget_message, message_id))

    # --- logs --------------------------------------------------------------------------------

    async def log_add(self, kind: LogKind, entries: Sequence[NewLogEntry]) -> list[LogEntry]:
        if not entries:
            return []
        written = await self._write(records.AddLog(kind, tuple(entries), self._limits.log_body_bytes))
        await self.maintain()
        return written

    async def log_query(self, kind: LogKind, where: LogFilter, *, limit: int, cursor: int | None) -> LogPage:
        return await self.read(partial(self._logs.query, kind, where, limit, cursor))

    async def log_count(self, kind: LogKind, where: LogFilter) -> int:
        return await self.read(partial(self._logs.count, kind, where))

    async def log_forget(self, kind: LogKind, where: LogFilter) -> int:
        return await self._write(partial(self._logs.forget, kind, where))

    async def log_sources(self, kind: LogKind) -> dict[str, datetime]:
        return await self.read(partial(self._logs.sources, kind))

    # --- sessions ----------------------------------------------------------------------------

    async def session_put(self, session: StoredSession) -> None:
        await self._write(partial(records.put_session, session))
        await self.maintain()

    async def session_get(self, digest: str) -> StoredSession | None:
        return await self.read(partial(records.get_session, digest, self._limits.clock()))

    async def session_delete(self, digest: str) -> None:
        await self._write(partial(records.delete_session, digest))

    # --- outbox ------------------------------------------------------------------------------

    async def outbox_put(self, items: Sequence[OutboxItem]) -> None:
        await self._write(partial(records.write_outbox, items=items, limit=self._limits.outbox_size))

    async def outbox_claim(self, limit: int, *, lease: float) -> list[OutboxRow]:
        return await self._write(partial(records.claim_outbox, limit, self._limits.clock(), lease))

    async def _outbox_set(self, seqs: Sequence[int], **values: Any) -> None:
        if seqs:
            await self._write(partial(records.set_outbox, seqs, values))

    async def outbox_extend(self, seqs: Sequence[int], *, lease: float) -> None:
        await self._outbox_set(seqs, claimed_until=self._limits.clock() + lease)

    async def outbox_done(self, seqs: Sequence[int]) -> None:
        await self._outbox_set(seqs)

    async def outbox_release(self, seqs: Sequence[int]) -> None:
        await self._outbox_set(seqs, claimed_until=0.0)

    async def outbox_pending(self) -> int:
        return await self.read(partial(records.count_rows, t.outbox))

    async def drop_all_for_tests(self, tables: Sequence[str] = ()) -> None:
        """Empty every table (the contract suite's fresh database per test)."""
        await self._write(partial(_drop_all, tables))


def _sweep_done(future: asyncio.Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:
        logger.warning("retention sweep failed (it runs again later): %s", future.exception())


def _drop_all(tables: Sequence[str], conn: Connection) -> None:
    from sqlalchemy import delete

    for table in reversed(t.metadata.sorted_tables):
        if not tables or table.name in tables:
            conn.execute(delete(table))
