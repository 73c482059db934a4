"""The hot path's statements, built once.

Why: building a SQLAlchemy statement (`select(...).where(...)`, `insert(...).values(...)`)
costs several times what running the built one does — about 400 µs against 65 µs per
statement, measured on SQLite — so the statements every event runs are built here, at
import, with bind parameters, and each call only passes values. Upserts exist per dialect
(SQLite's and PostgreSQL's `INSERT … ON CONFLICT`); `for_dialect` picks the connection's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from receiver.store.sql import tables as t

_c, _b, _x, _k, _m = t.customers.c, t.balances.c, t.transactions.c, t.idempotency_keys.c, t.seen_messages.c

CUSTOMER_LOCKED = (
    select(t.customers, _b.account, _b.points)
    .select_from(t.customers.outerjoin(t.balances, _b.customer_id == _c.id))
    .where(_c.id == bindparam("customer"))
    .with_for_update(of=t.customers)
)
"""The customer's row (locked) with one row per account it holds points in: one round trip."""
TRANSACTION = select(_x.customer_id, _x.recorded_at).where(
    _x.account == bindparam("account"), _x.transaction_id == bindparam("transaction")
)
INSERT_CUSTOMER = insert(t.customers)
UPDATE_CUSTOMER = update(t.customers).where(_c.id == bindparam("customer"))
"""SET takes the columns the call passes (profile, attributes, opted_in, event_count)."""
INSERT_EVENT = insert(t.events)
INSERT_TRANSACTION = insert(t.transactions)
SPEND = (
    update(t.balances)
    .where(
        _b.customer_id == bindparam("customer"),
        _b.account == bindparam("account_"),
        _b.points + bindparam("delta") >= 0,
    )
    .values(points=_b.points + bindparam("delta"))
)
"""A conditional update: the database itself refuses to take a balance below zero."""
KEY_ANSWER = update(t.idempotency_keys).where(_k.key == bindparam("key_"))
"""SET takes status and body."""
INSERT_LOG = insert(t.log_entries).returning(*t.log_entries.c)
INSERT_OUTBOX = insert(t.outbox)


def _earn(dialect: Any) -> Any:
    upsert = dialect.insert(t.balances)
    return upsert.on_conflict_do_update(
        index_elements=[_b.customer_id, _b.account], set_={"points": _b.points + upsert.excluded.points}
    )


def _claim_message(dialect: Any) -> Any:
    claim = dialect.insert(t.seen_messages)
    return claim.on_conflict_do_update(
        index_elements=[_m.message_id],
        set_={"expires_at": claim.excluded.expires_at},
        where=_m.expires_at <= bindparam("now"),
    ).returning(_m.message_id)


def _claim_key(dialect: Any) -> Any:
    claim = dialect.insert(t.idempotency_keys)
    return claim.on_conflict_do_update(
        index_elements=[_k.key],
        set_={
            "fingerprint": claim.excluded.fingerprint,
            "status": None,
            "body": None,
            "locked_until": claim.excluded.locked_until,
            "expires_at": claim.excluded.expires_at,
        },
        where=(_k.expires_at <= bindparam("now")) | (_k.status.is_(None) & (_k.locked_until <= bindparam("now"))),
    ).returning(_k.key)


_UPSERTS = {
    name: {"sqlite": build(sqlite), "postgresql": build(postgresql)}
    for name, build in (("earn", _earn), ("claim_message", _claim_message), ("claim_key", _claim_key))
}


def for_dialect(conn: Connection, name: str) -> Any:
    """The upsert `name` (earn, claim_message, claim_key) in the connection's dialect."""
    return _UPSERTS[name][conn.dialect.name]
