"""The hot path's statements, built once.

Why: building a SQLAlchemy statement (`select(...).where(...)`, `insert(...).values(...)`)
costs several times what running the built one does — about 400 µs against 65 µs per
statement, measured on SQLite — so the statements every event runs are built here, at
import, with bind parameters, and each call only passes values. The one upsert exists per
dialect (SQLite's and PostgreSQL's `INSERT … ON CONFLICT`); `set_balance` picks the connection's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from receiver.store.sql import tables as t

_c, _b, _x, _k, _m = t.customers.c, t.balances.c, t.transactions.c, t.idempotency_keys.c, t.seen_messages.c

CUSTOMERS = (
    select(t.customers, _b.account, _b.points)
    .select_from(t.customers.outerjoin(t.balances, _b.customer_id == _c.id))
    .where(_c.id.in_(bindparam("customers", expanding=True)))
)
"""Customers with one row per account each holds points in. Read after `LOCK_CUSTOMERS`, never
with it: a `FOR UPDATE` that waited re-reads the locked rows only, the joined ones would be stale."""
LOCK_CUSTOMERS = (
    select(_c.id).where(_c.id.in_(bindparam("customers", expanding=True))).order_by(_c.id).with_for_update()
)
TRANSACTION = select(_x.customer_id, _x.recorded_at).where(
    _x.account == bindparam("account"), _x.transaction_id == bindparam("transaction")
)
INSERT_CUSTOMER = insert(t.customers)
UPDATE_CUSTOMER = update(t.customers).where(_c.id == bindparam("customer"))
"""SET takes the columns the call passes (profile, attributes, opted_in, event_count)."""
INSERT_TRANSACTION = insert(t.transactions)
KEY_ANSWER = update(t.idempotency_keys).where(_k.key == bindparam("key_"))
"""SET takes status and body."""
KEYS = select(t.idempotency_keys).where(_k.key.in_(bindparam("keys", expanding=True)))
RENEW_KEY = update(t.idempotency_keys).where(
    _k.key == bindparam("key_"),
    (_k.expires_at <= bindparam("now")) | (_k.status.is_(None) & (_k.locked_until <= bindparam("now"))),
)
"""SET takes fingerprint, status, body, locked_until and expires_at from the call."""
SEEN = select(_m.message_id, _m.expires_at).where(_m.message_id.in_(bindparam("ids", expanding=True)))
RENEW_SEEN = update(t.seen_messages).where(_m.message_id == bindparam("message_id_"), _m.expires_at <= bindparam("now"))
INSERT_OUTBOX = insert(t.outbox)


def _set_balance(dialect: Any) -> Any:
    upsert = dialect.insert(t.balances)
    return upsert.on_conflict_do_update(
        index_elements=[_b.customer_id, _b.account], set_={"points": upsert.excluded.points}
    )


_SET_BALANCE = {"sqlite": _set_balance(sqlite), "postgresql": _set_balance(postgresql)}


def set_balance(conn: Connection) -> Any:
    """Balances written as exact values (`INSERT … ON CONFLICT DO UPDATE`, in the connection's dialect)."""
    return _SET_BALANCE[conn.dialect.name]
