"""The ledger's SQL, written once for SQLite and PostgreSQL as functions of a `Connection`.

`Apply` is one event's write: the customer's row is read locked (`FOR UPDATE` on PostgreSQL;
on SQLite the transaction holds the database's write lock from `BEGIN IMMEDIATE`), the
decision runs on what the rows say, and the event, balance, transaction ID, idempotency
answer and outbox rows are written together. The database has the last word: a transaction
ID already taken for the account (primary key) or a balance that would go below zero (CHECK,
and a conditional update) is an `IntegrityError`, which `group` answers by running the write
again so that the decision sees the row that won and refuses with its own error.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.exc import IntegrityError

from receiver.store.contract import (
    Change,
    CustomerSnapshot,
    Decision,
    IdempotencyClaim,
    OutboxItem,
    OutboxSource,
    SeenTransaction,
    StoredEvent,
    StoredResponse,
)
from receiver.store.memory import changed_keys
from receiver.store.sql import statements as sql
from receiver.store.sql import tables as t
from receiver.store.sql.convert import event_of, from_micros, micros


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


def lock_customers(conn: Connection, ids: Sequence[str]) -> None:
    """PostgreSQL: lock these customers' rows in one sorted statement (a group's first step)."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            select(t.customers.c.id).where(t.customers.c.id.in_(ids)).order_by(t.customers.c.id).with_for_update()
        )


@dataclass(frozen=True)
class Apply:
    """One event's write; called with the transaction's connection, it returns the event and whether it queued."""

    customer_id: str
    decide: Decision
    idempotency_key: str | None
    now: float
    source: OutboxSource | None
    write_outbox: Callable[[Connection, Sequence[OutboxItem]], bool]

    def __call__(self, conn: Connection) -> tuple[StoredEvent, bool]:
        customer_id = self.customer_id
        now_us = int(self.now * 1_000_000)
        rows = conn.execute(sql.CUSTOMER_LOCKED, {"customer": customer_id}).all()
        row = rows[0] if rows else None
        balances = {held.account: held.points for held in rows if held.account is not None}
        change = self._decision(conn, row is not None, balances)
        profile = dict(row.profile) if row is not None else {}
        attributes = dict(row.attributes) if row is not None else {}
        changed = changed_keys(profile, attributes, change) if self.source else []
        profile.update(change.profile)
        attributes.update(copy.deepcopy(dict(change.attributes)))
        opted_in = change.opted_in if change.opted_in is not None else (row.opted_in if row is not None else None)
        created = row.created_at if row is not None else now_us
        count = (row.event_count if row is not None else 0) + 1
        values = {"profile": profile, "attributes": attributes, "opted_in": opted_in, "event_count": count}
        if row is None:
            # A concurrent first event for the same customer makes this insert fail: the retry locks its row.
            conn.execute(sql.INSERT_CUSTOMER, {"id": customer_id, "created_at": created, **values})
        else:
            conn.execute(sql.UPDATE_CUSTOMER, {"customer": customer_id, **values})
        event = StoredEvent(
            id=f"evt_{uuid.uuid4().hex}",
            customer=customer_id,
            account=change.account,
            action=change.action,
            data=copy.deepcopy(dict(change.data)),
            points=change.points,
            received_at=from_micros(now_us),
        )
        conn.execute(
            sql.INSERT_EVENT,
            {
                "id": event.id,
                "customer_id": customer_id,
                "account": event.account,
                "action": event.action,
                "data": event.data,
                "points": event.points,
                "received_at": now_us,
            },
        )
        _write_effects(conn, customer_id, change, event)
        if self.idempotency_key is not None:
            answer = {"key_": self.idempotency_key, "status": 202, "body": {"id": event.id, "status": "accepted"}}
            conn.execute(sql.KEY_ANSWER, answer)
        if self.source is None:
            return event, False
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
        items = self.source.items(snapshot, event, {key: merged[key] for key in changed})
        return event, self.write_outbox(conn, items)

    def _decision(self, conn: Connection, exists: bool, balances: dict[str, int]) -> Change:
        """Run the decision, loading each transaction ID it asks about (it is pure, so it may run again)."""
        seen: dict[tuple[str, str], SeenTransaction | bool] = {}
        while True:
            try:
                return self.decide(_View(exists, balances, seen))
            except _Unknown as unknown:
                account, transaction_id = unknown.key
                found = conn.execute(sql.TRANSACTION, {"account": account, "transaction": transaction_id}).first()
                seen[unknown.key] = SeenTransaction(found[0], from_micros(found[1])) if found else False


def _write_effects(conn: Connection, customer_id: str, change: Change, event: StoredEvent) -> None:
    if change.points < 0:
        spent = conn.execute(sql.SPEND, {"customer": customer_id, "account_": change.account, "delta": change.points})
        if spent.rowcount != 1:
            raise IntegrityError("balance would go below zero", None, ValueError(customer_id))
    elif change.points:
        earn = {"customer_id": customer_id, "account": change.account, "points": change.points}
        conn.execute(sql.for_dialect(conn, "earn"), earn)
    if change.transaction_id is not None:
        conn.execute(
            sql.INSERT_TRANSACTION,
            {
                "account": change.account,
                "transaction_id": change.transaction_id,
                "event_id": event.id,
                "customer_id": customer_id,
                "recorded_at": micros(event.received_at),
            },
        )


def read_customer(customer_id: str, conn: Connection) -> CustomerSnapshot | None:
    row = conn.execute(select(t.customers).where(t.customers.c.id == customer_id)).first()
    if row is None:
        return None
    held = conn.execute(
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


@dataclass(frozen=True)
class ClaimKey:
    """Reserve an Idempotency-Key, or read why not (None: it vanished between the two steps; ask again)."""

    key: str
    fingerprint: str
    now: float
    ttl: float
    lease: float

    def __call__(self, conn: Connection) -> IdempotencyClaim | None:
        now = self.now
        claim = {
            "key": self.key,
            "fingerprint": self.fingerprint,
            "locked_until": now + self.lease,
            "expires_at": now + self.ttl,
            "now": now,
        }
        taken = conn.execute(sql.for_dialect(conn, "claim_key"), claim)
        table = t.idempotency_keys
        if taken.first() is not None:
            return "reserved"
        row = conn.execute(select(table).where(table.c.key == self.key)).first()
        if row is None:
            return None
        if row.fingerprint != self.fingerprint:
            return ("mismatch", row.fingerprint)
        return "in_progress" if row.status is None else StoredResponse(row.status, row.body)


def finish_key(key: str, response: StoredResponse, conn: Connection) -> None:
    table = t.idempotency_keys
    conn.execute(update(table).where(table.c.key == key).values(status=response.status, body=response.body))


def release_key(key: str, conn: Connection) -> None:
    table = t.idempotency_keys
    conn.execute(delete(table).where(table.c.key == key, table.c.status.is_(None)))


def claim_message(message_id: str, now: float, window: float, conn: Connection) -> bool:
    """Tracking-API dedup: True when `message_id` was not claimed within its window."""
    claim = {"message_id": message_id, "expires_at": now + window, "now": now}
    return conn.execute(sql.for_dialect(conn, "claim_message"), claim).first() is not None
