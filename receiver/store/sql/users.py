"""The users (`receiver.store.users`) on SQLite or PostgreSQL: two tables every instance shares.

The one-time parts are single statements, so two instances racing get one answer: a TOTP step is
accepted by `UPDATE … WHERE last_step < step`, a recovery code spent by `DELETE` of its row.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from receiver.store.sql import tables as t
from receiver.store.times import from_micros, micros
from receiver.store.users import NewUser, StoredUser

_left = (
    select(func.count())
    .select_from(t.recovery_codes)
    .where(t.recovery_codes.c.user_name == t.users.c.name)
    .scalar_subquery()
    .label("recovery_left")
)
_users = select(t.users, _left)


def _user(row: Any) -> StoredUser:
    return StoredUser(
        row.name,
        row.role,
        row.password_hash,
        row.totp_secret,
        int(row.last_step),
        int(row.recovery_left),
        from_micros(row.created_at),
        bool(row.pii_access),
    )


def _add(user: NewUser, conn: Connection) -> bool:
    if conn.execute(select(t.users.c.name).where(t.users.c.name == user.name)).first() is not None:
        return False
    values = {
        "name": user.name,
        "role": user.role,
        "password_hash": user.password_hash,
        "totp_secret": user.totp_secret,
        "last_step": 0,
        "created_at": micros(user.created_at),
        "pii_access": user.pii_access,
    }
    conn.execute(insert(t.users).values(**values))
    if user.recovery_digests:
        rows = [{"user_name": user.name, "digest": digest} for digest in user.recovery_digests]
        conn.execute(insert(t.recovery_codes), rows)
    return True


def _get(name: str, conn: Connection) -> StoredUser | None:
    row = conn.execute(_users.where(t.users.c.name == name)).first()
    return _user(row) if row is not None else None


def _list(conn: Connection) -> list[StoredUser]:
    return [_user(row) for row in conn.execute(_users.order_by(t.users.c.name))]


def _count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(t.users)).scalar() or 0)


def _change(name: str, values: dict[str, Any], conn: Connection) -> bool:
    """Change what the user may do (its role, its PII access): its sessions end with it."""
    changed = conn.execute(update(t.users).where(t.users.c.name == name).values(**values)).rowcount
    conn.execute(delete(t.sessions).where(t.sessions.c.user_name == name))
    return bool(changed)


def _remove(name: str, conn: Connection) -> bool:
    conn.execute(delete(t.recovery_codes).where(t.recovery_codes.c.user_name == name))
    conn.execute(delete(t.sessions).where(t.sessions.c.user_name == name))
    return bool(conn.execute(delete(t.users).where(t.users.c.name == name)).rowcount)


def _accept_step(name: str, step: int, conn: Connection) -> bool:
    statement = update(t.users).where(t.users.c.name == name, t.users.c.last_step < step).values(last_step=step)
    return bool(conn.execute(statement).rowcount)


def _use_recovery(name: str, digest: str, conn: Connection) -> bool:
    codes = t.recovery_codes
    return bool(conn.execute(delete(codes).where(codes.c.user_name == name, codes.c.digest == digest)).rowcount)


class SqlUsers:
    """The store contract's `user_*` methods, for `SqlStore` to inherit (its writer and reader)."""

    _write: Callable[[Callable[[Connection], Any]], Awaitable[Any]]
    read: Callable[[Callable[[Connection], Any]], Awaitable[Any]]

    async def user_add(self, user: NewUser) -> bool:
        return bool(await self._write(partial(_add, user)))

    async def user_get(self, name: str) -> StoredUser | None:
        found: StoredUser | None = await self.read(partial(_get, name))
        return found

    async def user_list(self) -> list[StoredUser]:
        found: list[StoredUser] = await self.read(_list)
        return found

    async def user_count(self) -> int:
        found: int = await self.read(_count)
        return found

    async def user_set_role(self, name: str, role: str) -> bool:
        return bool(await self._write(partial(_change, name, {"role": role})))

    async def user_set_pii(self, name: str, granted: bool) -> bool:
        return bool(await self._write(partial(_change, name, {"pii_access": granted})))

    async def user_remove(self, name: str) -> bool:
        return bool(await self._write(partial(_remove, name)))

    async def user_accept_step(self, name: str, step: int) -> bool:
        return bool(await self._write(partial(_accept_step, name, step)))

    async def user_use_recovery(self, name: str, digest: str) -> bool:
        return bool(await self._write(partial(_use_recovery, name, digest)))
