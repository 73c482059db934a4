"""The Users page's rules: who is listed, adding a user (its one-time setup), roles, PII access, removal.

An admin manages users here as `antavo-actions users` does on the command line. One rule the command
line does not need: the page never leaves the receiver without an admin (removing or demoting the last
one is refused), since then nobody could sign in to manage users again except on the database's host.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from receiver.core.roles import ROLES
from receiver.core.users import Setup, add_user, check_role
from receiver.errors import ApiError
from receiver.store.contract import LoyaltyStore, StoredUser


@dataclass(frozen=True)
class UserRow:
    """One user as the page lists it: never a hash or a seed."""

    name: str
    role: str
    pii_access: bool
    recovery_left: int
    created_at: datetime


def _row(user: StoredUser) -> UserRow:
    return UserRow(user.name, user.role, user.pii_access, user.recovery_left, user.created_at)


class UserAdmin:
    """What the Users page does to the store's users (every backend, through the contract)."""

    roles = ROLES

    def __init__(self, store: LoyaltyStore) -> None:
        self._store = store

    async def rows(self) -> list[UserRow]:
        return [_row(user) for user in await self._store.user_list()]

    async def add(self, name: str, role: str, *, pii_access: bool) -> Setup:
        """The new user's one-time setup; 400 for a bad name or role, 409 for a name taken."""
        return await add_user(self._store, name.strip(), role, pii_access=pii_access)

    async def set_role(self, name: str, role: str) -> StoredUser:
        """The user before the change; 404 unknown, 409 when it would demote the last admin."""
        check_role(role)
        user = await self._existing(name)
        if user.role == "admin" and role != "admin":
            await self._keep_an_admin(name)
        await self._store.user_set_role(name, role)
        return user

    async def set_pii(self, name: str, granted: bool) -> StoredUser:
        user = await self._existing(name)
        await self._store.user_set_pii(name, granted)
        return user

    async def remove(self, name: str) -> StoredUser:
        user = await self._existing(name)
        if user.role == "admin":
            await self._keep_an_admin(name)
        await self._store.user_remove(name)
        return user

    async def _existing(self, name: str) -> StoredUser:
        user = await self._store.user_get(name)
        if user is None:
            raise ApiError(404, "UNKNOWN_USER", f"There is no user named {name!r}.")
        return user

    async def _keep_an_admin(self, leaving: str) -> None:
        if not any(user.role == "admin" and user.name != leaving for user in await self._store.user_list()):
            raise ApiError(409, "LAST_ADMIN", f"{leaving!r} is the last admin: add another admin first.")
