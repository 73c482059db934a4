"""Managing users, audited: adding one (its one-time setup), its role, its PII access, its removal.

The Users page and `antavo-actions users` both change users through `UserAdmin`, so every change is
in the audit trail the same way (`user.add`, `user.role`, `user.pii`, `user.remove`, with its actor).
The page also keeps an admin (`keep_an_admin`: removing or demoting the last one is refused), since
then nobody could sign in to manage users again; the command line, on the database's host, may.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from receiver.core.audit import Actor
from receiver.core.roles import ROLES
from receiver.core.users import Setup, add_user, check_role
from receiver.errors import ApiError
from receiver.store.audit import FieldChange
from receiver.store.config_state import ConfigState
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
    """The store's users (every backend, through the contract), each change audited in `state`."""

    roles = ROLES

    def __init__(self, store: LoyaltyStore, state: ConfigState, *, keep_an_admin: bool = True) -> None:
        self._store, self._state, self._keep = store, state, keep_an_admin

    async def rows(self) -> list[UserRow]:
        return [_row(user) for user in await self._store.user_list()]

    async def add(
        self, name: str, role: str, actor: Actor, *, password: str | None = None, pii_access: bool = False
    ) -> Setup:
        """The new user's one-time setup; 400 for a bad name or role, 409 for a name taken."""
        setup = await add_user(self._store, name.strip(), role, password, pii_access=pii_access)
        changes = (FieldChange("role", None, role), FieldChange("pii_access", None, pii_access))
        await self._audit(actor, "user.add", setup.name, f"User {setup.name} added", *changes)
        return setup

    async def set_role(self, name: str, role: str, actor: Actor) -> StoredUser:
        """The user before the change; 404 unknown, 409 when it would demote the last admin."""
        check_role(role)
        user = await self._existing(name)
        if user.role == "admin" and role != "admin":
            await self._keep_an_admin(name)
        await self._store.user_set_role(name, role)
        await self._audit(actor, "user.role", name, f"User {name}: role changed", FieldChange("role", user.role, role))
        return user

    async def set_pii(self, name: str, granted: bool, actor: Actor) -> StoredUser:
        user = await self._existing(name)
        await self._store.user_set_pii(name, granted)
        change = FieldChange("pii_access", user.pii_access, granted)
        await self._audit(actor, "user.pii", name, f"User {name}: PII access {'on' if granted else 'off'}", change)
        return user

    async def remove(self, name: str, actor: Actor) -> StoredUser:
        user = await self._existing(name)
        if user.role == "admin":
            await self._keep_an_admin(name)
        await self._store.user_remove(name)
        await self._audit(actor, "user.remove", name, f"User {name} removed", FieldChange("role", user.role, None))
        return user

    async def _audit(self, actor: Actor, action: str, name: str, what: str, *changes: FieldChange) -> None:
        await self._state.append_audit(actor.entry(action, what, target=name, changes=changes))

    async def _existing(self, name: str) -> StoredUser:
        user = await self._store.user_get(name)
        if user is None:
            raise ApiError(404, "UNKNOWN_USER", f"There is no user named {name!r}.")
        return user

    async def _keep_an_admin(self, leaving: str) -> None:
        if not self._keep:
            return
        if not any(user.role == "admin" and user.name != leaving for user in await self._store.user_list()):
            raise ApiError(409, "LAST_ADMIN", f"{leaving!r} is the last admin: add another admin first.")
