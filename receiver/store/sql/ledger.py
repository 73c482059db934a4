"""The ledger's SQL, written once for SQLite and PostgreSQL as functions of a `Connection`.

`Apply` is one event's write, and `Apply.run_many` a group's: the customers' rows are read
locked (`FOR UPDATE`, in ID order, on PostgreSQL; on SQLite the transaction holds the
database's write lock from `BEGIN IMMEDIATE`), each decision runs on what the rows and the
group's earlier events say, and the events, balances, transaction IDs, idempotency answers
and outbox rows are written together, one statement per table. The database has the last
word: a transaction ID already taken for the account (primary key), a customer created
meanwhile by another process (primary key) or a balance below zero (CHECK) is an
`IntegrityError`, which `group` answers by running each write again alone, so that its
decision sees the row that won and refuses with its own error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from receiver.errors import ApiError
from receiver.ids import random_id
from receiver.jsontext import json_copy
from receiver.store.batch import accepted_answer
from receiver.store.contract import (
    Change,
    CustomerSnapshot,
    Decision,
    OutboxItem,
    OutboxSource,
    SeenTransaction,
    StoredEvent,
)
from receiver.store.lineage import Lineage
from receiver.store.memory.store import changed_keys
from receiver.store.sql import statements as sql
from receiver.store.sql import tables as t
from receiver.store.sql.convert import event_of
from receiver.store.sql.driver import EVENT_COLUMNS, insert_many
from receiver.store.sql.engine import json_text
from receiver.store.sql.group import Bulk
from receiver.store.times import from_micros


class _Unknown(Exception):
    """The decision asked about a transaction ID the view has not loaded yet."""

    def __init__(self, account: str, transaction_id: str) -> None:
        self.key = (account, transaction_id)


@dataclass
class _Customer:
    """A customer as a group of events leaves it (read once, changed in order, written once)."""

    id: str
    created_at: int
    profile: dict[str, Any]
    attributes: dict[str, Any]
    opted_in: bool | None
    event_count: int
    balances: dict[str, int]
    stored: bool
    """Read from the database (so updated), or new in this group (so inserted)."""

    def snapshot(self) -> CustomerSnapshot:
        return CustomerSnapshot(
            id=self.id,
            created_at=from_micros(self.created_at),
            profile=dict(self.profile),
            attributes=dict(self.attributes),
            opted_in=self.opted_in,
            balances=dict(self.balances),
            event_count=self.event_count,
        )

    def row(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "attributes": self.attributes,
            "opted_in": self.opted_in,
            "event_count": self.event_count,
        }


class _View:
    """What a decision reads: the customer's balances, and the transaction IDs looked up so far."""

    def __init__(self, customer: _Customer | None, seen: dict[tuple[str, str], SeenTransaction | bool]) -> None:
        self._customer, self._seen = customer, seen

    @property
    def exists(self) -> bool:
        return self._customer is not None

    def balance(self, account: str) -> int:
        return self._customer.balances.get(account, 0) if self._customer is not None else 0

    def transaction_seen(self, account: str, transaction_id: str) -> SeenTransaction | bool:
        known = self._seen.get((account, transaction_id))
        if known is None:
            raise _Unknown(account, transaction_id)
        return known


def _load(conn: Connection, ids: Sequence[str], *, lock: bool = True) -> dict[str, _Customer]:
    """The customers with their balances: to write, on PostgreSQL locked first (in ID order, so two
    processes never wait on each other in a circle), then read in a statement of its own (a fresh snapshot)."""
    if lock and conn.dialect.name == "postgresql":
        conn.execute(sql.LOCK_CUSTOMERS, {"customers": list(ids)})
    found: dict[str, _Customer] = {}
    for row in conn.execute(sql.CUSTOMERS, {"customers": list(ids)}):
        customer = found.get(row.id)
        if customer is None:
            customer = found[row.id] = _Customer(
                row.id,
                row.created_at,
                dict(row.profile),
                dict(row.attributes),
                row.opted_in,
                row.event_count,
                {},
                True,
            )
        if row.account is not None:
            customer.balances[row.account] = row.points
    return found


@dataclass
class _Writes:
    """What a group of events writes, collected so each table gets one statement."""

    events: list[tuple[Any, ...]] = field(default_factory=list)
    """Rows in `driver.EVENT_COLUMNS`' order."""
    transactions: list[dict[str, Any]] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[OutboxItem] = field(default_factory=list)
    customers: dict[str, _Customer] = field(default_factory=dict)
    balances: set[tuple[str, str]] = field(default_factory=set)

    def write(self, conn: Connection, outbox: Callable[[Connection, Sequence[OutboxItem]], bool]) -> None:
        changed = list(self.customers.values())
        # New customers first: one created meanwhile by another process fails here, before anything else.
        new = [{"id": c.id, "created_at": c.created_at, **c.row()} for c in changed if not c.stored]
        if new:
            conn.execute(sql.INSERT_CUSTOMER, new)
        old = [{"customer": c.id, **c.row()} for c in changed if c.stored]
        if old:
            conn.execute(sql.UPDATE_CUSTOMER, old)
        if self.balances:
            # Exact values: the rows are locked (or the database is), and the CHECK refuses a negative one.
            held = [
                {"customer_id": cid, "account": account, "points": self.customers[cid].balances[account]}
                for cid, account in sorted(self.balances)
            ]
            conn.execute(sql.set_balance(conn), held)
        insert_many(conn, t.events, EVENT_COLUMNS, self.events)
        if self.transactions:
            conn.execute(sql.INSERT_TRANSACTION, self.transactions)
        if self.answers:
            conn.execute(sql.KEY_ANSWER, self.answers)
        outbox(conn, self.outbox)


@dataclass(frozen=True)
class Apply(Bulk[tuple[StoredEvent, bool]]):
    """One event's write. Neighbouring ones in a group run together (`run_many`): the customers are
    read in one statement, the decisions run in order on what the earlier ones left, and each table
    gets one statement for the whole group."""

    customer_id: str
    decide: Decision
    idempotency_key: str | None
    now: float
    source: OutboxSource | None
    write_outbox: Callable[[Connection, Sequence[OutboxItem]], bool]
    lineage: Lineage | None = None

    @staticmethod
    def run_many(conn: Connection, works: Sequence[Apply]) -> list[tuple[bool, Any]]:
        customers = _load(conn, sorted({work.customer_id for work in works}))
        seen: dict[tuple[str, str], SeenTransaction | bool] = {}
        writes = _Writes()
        answers: list[tuple[bool, Any]] = []
        for work in works:
            try:
                answers.append((True, work._one(conn, customers, seen, writes)))
            except ApiError as refusal:
                answers.append((False, refusal))
        writes.write(conn, works[0].write_outbox)
        return answers

    def _one(
        self,
        conn: Connection,
        customers: dict[str, _Customer],
        seen: dict[tuple[str, str], SeenTransaction | bool],
        writes: _Writes,
    ) -> tuple[StoredEvent, bool]:
        now_us = int(self.now * 1_000_000)
        customer = customers.get(self.customer_id)
        change = self._decision(conn, customer, seen)
        if customer is None:
            customer = customers[self.customer_id] = _Customer(self.customer_id, now_us, {}, {}, None, 0, {}, False)
        changed = changed_keys(customer.profile, customer.attributes, change) if self.source else []
        customer.profile.update(change.profile)
        customer.attributes.update(json_copy(dict(change.attributes)))
        if change.opted_in is not None:
            customer.opted_in = change.opted_in
        customer.event_count += 1
        writes.customers[customer.id] = customer
        if change.points:
            customer.balances[change.account] = customer.balances.get(change.account, 0) + change.points
            writes.balances.add((customer.id, change.account))
        event = StoredEvent(
            id=random_id("evt_"),
            customer=customer.id,
            account=change.account,
            action=change.action,
            data=json_copy(dict(change.data)),
            points=change.points,
            received_at=from_micros(now_us),
            lineage=self.lineage,
        )
        lineage = json_text(self.lineage.as_json()) if self.lineage is not None else None
        writes.events.append(
            (event.id, customer.id, event.account, event.action, json_text(event.data), event.points, now_us, lineage)
        )
        if change.transaction_id is not None:
            seen[(change.account, change.transaction_id)] = SeenTransaction(customer.id, event.received_at)
            writes.transactions.append(
                {
                    "account": change.account,
                    "transaction_id": change.transaction_id,
                    "event_id": event.id,
                    "customer_id": customer.id,
                    "recorded_at": now_us,
                }
            )
        if self.idempotency_key is not None:
            answer = accepted_answer(event)
            writes.answers.append({"key_": self.idempotency_key, "status": answer.status, "body": answer.body})
        if self.source is None:
            return event, False
        merged = {**customer.profile, **customer.attributes}
        items = self.source.items(customer.snapshot(), event, {key: merged[key] for key in changed})
        writes.outbox.extend(items)
        return event, bool(items)

    def _decision(
        self, conn: Connection, customer: _Customer | None, seen: dict[tuple[str, str], SeenTransaction | bool]
    ) -> Change:
        """Run the decision, loading each transaction ID it asks about (it is pure, so it may run again)."""
        while True:
            try:
                return self.decide(_View(customer, seen))
            except _Unknown as unknown:
                account, transaction_id = unknown.key
                found = conn.execute(sql.TRANSACTION, {"account": account, "transaction": transaction_id}).first()
                seen[unknown.key] = SeenTransaction(found[0], from_micros(found[1])) if found else False


def read_customer(customer_id: str, conn: Connection) -> CustomerSnapshot | None:
    found = _load(conn, [customer_id], lock=False).get(customer_id)
    return found.snapshot() if found is not None else None


def read_events(customer_id: str, offset: int, limit: int, conn: Connection) -> tuple[list[StoredEvent], int] | None:
    total = conn.execute(select(t.customers.c.event_count).where(t.customers.c.id == customer_id)).scalar()
    if total is None:
        return None
    rows = conn.execute(
        select(t.events)
        .where(t.events.c.customer_id == customer_id)
        .order_by(t.events.c.seq)
        .offset(offset)
        .limit(limit)
    )
    return [event_of(row) for row in rows], int(total)


def read_holding(name: str, conn: Connection) -> list[tuple[str, Any]]:
    """Read once when the Customer ID mapping is set (see `core.customer_ids`), so a scan is fine."""
    c = t.customers.c
    rows = conn.execute(select(c.id, c.profile, c.attributes).order_by(c.created_at, c.id)).all()
    return [
        (row.id, row.attributes[name] if name in row.attributes else row.profile[name])
        for row in rows
        if name in row.attributes or name in row.profile
    ]
