"""`SqlStore`: the contract on SQLite or PostgreSQL (SQLAlchemy 2 async Core).

`apply` is one transaction: the customer's row is locked (`SELECT … FOR UPDATE` on
PostgreSQL; SQLite's `BEGIN IMMEDIATE` holds the database's write lock), the decision runs
on what the row says, and the event, balance, transaction ID, idempotency answer and outbox
rows are written together. The database has the last word: a transaction ID already taken
for the account (primary key) or a balance that would go below zero (CHECK) aborts the
transaction, which is then run again so the decision sees the row that won and refuses with
its own error. Logs, sessions and the outbox live in `records`.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from receiver.store.contract import (
    Change,
    CustomerSnapshot,
    Decision,
    IdempotencyClaim,
    OutboxSource,
    SeenTransaction,
    StoredEvent,
    StoredResponse,
)
from receiver.store.limits import StoreLimits
from receiver.store.memory import changed_keys
from receiver.store.sql import tables as t
from receiver.store.sql.convert import event_of, from_micros, guarded, micros
from receiver.store.sql.engine import READ_ONLY, EngineSettings, is_postgres, make_engine
from receiver.store.sql.records import Records

MAX_CONFLICT_RETRIES = 5


class _Unknown(Exception):
    """The decision asked about a transaction ID the view has not loaded yet."""

    def __init__(self, account: str, transaction_id: str) -> None:
        self.key = (account, transaction_id)


class _View:
    """What a decision reads: the locked customer's balances, and the transaction IDs looked up so far."""

    def __init__(
        self, exists: bool, balances: dict[str, int], seen: dict[tuple[str, str], SeenTransaction | bool]
    ) -> None:
        self._exists, self._balances, self._seen = exists, balances, seen

    @property
    def exists(self) -> bool:
        return self._exists

    def balance(self, account: str) -> int:
        return self._balances.get(account, 0)

    def transaction_seen(self, account: str, transaction_id: str) -> SeenTransaction | bool:
        known = self._seen.get((account, transaction_id))
        if known is None:
            raise _Unknown(account, transaction_id)
        return known


class SqlStore(Records):
    """One engine (and its pool) per process; many processes may share the database."""

    durable = True

    def __init__(self, url: str, limits: StoreLimits | None = None, engine: EngineSettings | None = None) -> None:
        self.url = url
        self.engine: AsyncEngine = make_engine(url, engine)
        self.name = "postgresql" if is_postgres(self.engine) else "sqlite"
        self._reads = self.engine.execution_options(**{READ_ONLY: True})
        super().__init__(self.engine, self._reads, limits or StoreLimits())
        self._source: OutboxSource | None = None
        self._wake: Callable[[], None] | None = None

    def warnings(self) -> list[str]:
        """None: a database keeps every key and messageId for its whole window."""
        return []

    async def open(self) -> None:
        from receiver.store.sql.migrate import check_current

        async with guarded():
            await check_current(self.engine, self.url)

    async def close(self) -> None:
        await self.engine.dispose()

    def set_outbox_source(self, source: OutboxSource | None, wake: Callable[[], None] | None = None) -> None:
        self._source, self._wake = source, wake

    def _insert(self) -> Any:
        return postgresql.insert if self.name == "postgresql" else sqlite.insert

    # --- customers ---------------------------------------------------------------------------

    async def apply(self, customer_id: str, decide: Decision, *, idempotency_key: str | None = None) -> StoredEvent:
        async with guarded():
            for attempt in range(MAX_CONFLICT_RETRIES):
                try:
                    async with self._begin() as conn:
                        event, queued = await self._apply(conn, customer_id, decide, idempotency_key)
                except IntegrityError:
                    if attempt == MAX_CONFLICT_RETRIES - 1:
                        raise
                    continue
                if queued and self._wake is not None:
                    self._wake()
                return event
        raise AssertionError("unreachable")

    async def _apply(
        self, conn: AsyncConnection, customer_id: str, decide: Decision, idempotency_key: str | None
    ) -> tuple[StoredEvent, bool]:
        now = self._limits.clock()
        now_us = int(now * 1_000_000)
        row = (await conn.execute(select(t.customers).where(t.customers.c.id == customer_id).with_for_update())).first()
        held = await conn.execute(
            select(t.balances.c.account, t.balances.c.points).where(t.balances.c.customer_id == customer_id)
        )
        balances = {account: points for account, points in held}
        seen: dict[tuple[str, str], SeenTransaction | bool] = {}
        while True:
            try:
                change = decide(_View(row is not None, balances, seen))
                break
            except _Unknown as unknown:
                account, transaction_id = unknown.key
                found = (
                    await conn.execute(
                        select(t.transactions.c.customer_id, t.transactions.c.recorded_at).where(
                            t.transactions.c.account == account, t.transactions.c.transaction_id == transaction_id
                        )
                    )
                ).first()
                seen[unknown.key] = SeenTransaction(found[0], from_micros(found[1])) if found else False
        profile = dict(row.profile) if row is not None else {}
        attributes = dict(row.attributes) if row is not None else {}
        changed = changed_keys(profile, attributes, change) if self._source else []
        profile.update(change.profile)
        attributes.update(copy.deepcopy(dict(change.attributes)))
        opted_in = change.opted_in if change.opted_in is not None else (row.opted_in if row is not None else None)
        created = row.created_at if row is not None else now_us
        count = (row.event_count if row is not None else 0) + 1
        values = {"profile": profile, "attributes": attributes, "opted_in": opted_in, "event_count": count}
        if row is None:
            # A concurrent first event for the same customer makes this insert fail: the retry locks its row.
            await conn.execute(insert(t.customers).values(id=customer_id, created_at=created, **values))
        else:
            await conn.execute(update(t.customers).where(t.customers.c.id == customer_id).values(**values))
        event = StoredEvent(
            id=f"evt_{uuid.uuid4().hex}",
            customer=customer_id,
            account=change.account,
            action=change.action,
            data=copy.deepcopy(dict(change.data)),
            points=change.points,
            received_at=from_micros(now_us),
        )
        await conn.execute(
            insert(t.events).values(
                id=event.id,
                customer_id=customer_id,
                account=event.account,
                action=event.action,
                data=event.data,
                points=event.points,
                received_at=now_us,
            )
        )
        await self._write_effects(conn, customer_id, change, event)
        if idempotency_key is not None:
            await conn.execute(
                update(t.idempotency_keys)
                .where(t.idempotency_keys.c.key == idempotency_key)
                .values(status=202, body={"id": event.id, "status": "accepted"})
            )
        queued = False
        if self._source is not None:
            snapshot = CustomerSnapshot(
                id=customer_id,
                created_at=from_micros(created),
                profile=profile,
                attributes=attributes,
                opted_in=opted_in,
                balances={**balances, change.account: balances.get(change.account, 0) + change.points},
                event_count=count,
            )
            merged = {**profile, **attributes}
            items = self._source.items(snapshot, event, {key: merged[key] for key in changed})
            queued = await self.outbox_write(conn, items)
        return event, queued

    async def _write_effects(self, conn: AsyncConnection, customer_id: str, change: Change, event: StoredEvent) -> None:
        if change.points < 0:
            # A conditional update: the database itself refuses to take a balance below zero.
            spent = await conn.execute(
                update(t.balances)
                .where(
                    t.balances.c.customer_id == customer_id,
                    t.balances.c.account == change.account,
                    t.balances.c.points + change.points >= 0,
                )
                .values(points=t.balances.c.points + change.points)
            )
            if spent.rowcount != 1:
                raise IntegrityError("balance would go below zero", None, ValueError(customer_id))
        elif change.points:
            upsert = self._insert()(t.balances).values(
                customer_id=customer_id, account=change.account, points=change.points
            )
            await conn.execute(
                upsert.on_conflict_do_update(
                    index_elements=[t.balances.c.customer_id, t.balances.c.account],
                    set_={"points": t.balances.c.points + upsert.excluded.points},
                )
            )
        if change.transaction_id is not None:
            await conn.execute(
                insert(t.transactions).values(
                    account=change.account,
                    transaction_id=change.transaction_id,
                    event_id=event.id,
                    customer_id=customer_id,
                    recorded_at=micros(event.received_at),
                )
            )

    async def customer(self, customer_id: str) -> CustomerSnapshot | None:
        async with guarded(), self._reads.connect() as conn:
            row = (await conn.execute(select(t.customers).where(t.customers.c.id == customer_id))).first()
            if row is None:
                return None
            held = await conn.execute(
                select(t.balances.c.account, t.balances.c.points).where(t.balances.c.customer_id == customer_id)
            )
            return CustomerSnapshot(
                id=row.id,
                created_at=from_micros(row.created_at),
                profile=dict(row.profile),
                attributes=dict(row.attributes),
                opted_in=row.opted_in,
                balances={account: points for account, points in held},
                event_count=row.event_count,
            )

    async def events(self, customer_id: str, *, offset: int, limit: int) -> tuple[list[StoredEvent], int] | None:
        async with guarded(), self._reads.connect() as conn:
            total = (
                await conn.execute(select(t.customers.c.event_count).where(t.customers.c.id == customer_id))
            ).scalar()
            if total is None:
                return None
            rows = await conn.execute(
                select(t.events)
                .where(t.events.c.customer_id == customer_id)
                .order_by(t.events.c.seq)
                .offset(offset)
                .limit(limit)
            )
            return [event_of(row) for row in rows], int(total)

    async def customer_count(self) -> int:
        return await self._scalar(select(func.count()).select_from(t.customers))

    async def event_count(self) -> int:
        return await self._scalar(select(func.count()).select_from(t.events))

    async def holding(self, name: str) -> list[tuple[str, Any]]:
        """Read once when the Customer ID mapping is set (see `core.customer_ids`), so a scan is fine."""
        c = t.customers.c
        query = select(c.id, c.profile, c.attributes).order_by(c.created_at, c.id)
        async with guarded(), self._reads.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            (row.id, row.attributes[name] if name in row.attributes else row.profile[name])
            for row in rows
            if name in row.attributes or name in row.profile
        ]

    # --- idempotency and dedup ---------------------------------------------------------------

    async def idempotency_begin(self, key: str, fingerprint: str, *, ttl: float, lease: float) -> IdempotencyClaim:
        table = t.idempotency_keys
        async with guarded():
            while True:
                now = self._limits.clock()
                async with self._begin() as conn:
                    claim = self._insert()(table).values(
                        key=key, fingerprint=fingerprint, locked_until=now + lease, expires_at=now + ttl
                    )
                    taken = await conn.execute(
                        claim.on_conflict_do_update(
                            index_elements=[table.c.key],
                            set_={
                                "fingerprint": claim.excluded.fingerprint,
                                "status": None,
                                "body": None,
                                "locked_until": claim.excluded.locked_until,
                                "expires_at": claim.excluded.expires_at,
                            },
                            where=(table.c.expires_at <= now)
                            | (table.c.status.is_(None) & (table.c.locked_until <= now)),
                        ).returning(table.c.key)
                    )
                    if taken.first() is not None:
                        return "reserved"
                    row = (await conn.execute(select(table).where(table.c.key == key))).first()
                if row is None:
                    continue
                if row.fingerprint != fingerprint:
                    return ("mismatch", row.fingerprint)
                return "in_progress" if row.status is None else StoredResponse(row.status, row.body)

    async def idempotency_finish(self, key: str, response: StoredResponse) -> None:
        table = t.idempotency_keys
        async with guarded(), self._begin() as conn:
            await conn.execute(
                update(table).where(table.c.key == key).values(status=response.status, body=response.body)
            )

    async def idempotency_release(self, key: str) -> None:
        table = t.idempotency_keys
        async with guarded(), self._begin() as conn:
            await conn.execute(delete(table).where(table.c.key == key, table.c.status.is_(None)))

    async def first_time(self, message_id: str, *, window: float) -> bool:
        table = t.seen_messages
        now = self._limits.clock()
        async with guarded(), self._begin() as conn:
            claim = self._insert()(table).values(message_id=message_id, expires_at=now + window)
            taken = await conn.execute(
                claim.on_conflict_do_update(
                    index_elements=[table.c.message_id],
                    set_={"expires_at": claim.excluded.expires_at},
                    where=table.c.expires_at <= now,
                ).returning(table.c.message_id)
            )
            first = taken.first() is not None
        await self.maintain()
        return first

    async def drop_all_for_tests(self, tables: Sequence[str] = ()) -> None:
        """Empty every table (the contract suite's fresh database per test)."""
        async with self._begin() as conn:
            for table in reversed(t.metadata.sorted_tables):
                if not tables or table.name in tables:
                    await conn.execute(delete(table))
