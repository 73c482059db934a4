"""Signing in to the pages: with the brand API key while the store has no user (the bootstrap admin, so a
fresh receiver works at once), and only as a user once one exists (name, password, TOTP or recovery code).

Both ways go through the one failure guard (`receiver.ratelimit`): a wrong API key counts against the
address and the API key's budget, a failed user sign-in against the address and the name's budget, so
guessing one user's password from many addresses is held back too. A refusal never says which part
was wrong, and an unknown name costs as much as a wrong password (`core.users.verified_user`).
"""

from __future__ import annotations

import hashlib

from receiver.core.users import check_role, verified_user
from receiver.pages.sessions import Session, SessionStore
from receiver.security import KeyGate
from receiver.store.contract import LoyaltyStore

FAILED = "The name, password or code is wrong."
"""The one answer to a failed user sign-in, whichever part failed."""
NAME_BUDGET_DIGITS = 4
"""Names share 16**4 failure budgets (by digest), so a guesser spraying names keeps the guard's memory bounded."""


def name_budget(name: str) -> str:
    """The failure guard's key for sign-ins as `name` (two names may share one)."""
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()
    return f"user:{digest[:NAME_BUDGET_DIGITS]}"


class SignIn:
    """The sign-in form's checks, for one receiver: which way it signs in, and the session it makes."""

    def __init__(self, store: LoyaltyStore, sessions: SessionStore, api_gate: KeyGate) -> None:
        self._store, self._sessions, self._api_gate = store, sessions, api_gate

    async def with_users(self) -> bool:
        """Whether the page signs in users (the store has one) rather than the API key."""
        return await self._store.user_count() > 0

    async def session(self, token: str | None) -> Session | None:
        """The cookie's live session; the API key's (no user) only while the store has no user, so the
        first user added signs every API-key browser out."""
        found = await self._sessions.get(token)
        if found is not None and found.user is None and await self.with_users():
            return None
        return found

    async def as_api_key(self, address: str, given: str | None) -> tuple[str, Session] | None:
        """The bootstrap admin's new session (token, session) when `given` is the API key, else None;
        429 (`ApiError`) for an address that failed too often."""
        if not self._api_gate.admit(address, given):
            return None
        return await self._sessions.create()

    async def as_user(self, address: str, name: str, password: str, code: str) -> tuple[str, Session] | None:
        """The user's new session with its role and PII access when all three match, else None (counted
        as a failure of the address and the name); 429 (`ApiError`) before anything is checked when limited."""
        budget = name_budget(name)
        self._api_gate.guard.check(address, budget)
        user = await verified_user(self._store, name, password, code)
        if user is None:
            self._api_gate.guard.failed(address, budget)
            return None
        return await self._sessions.create(name, check_role(user.role), pii_access=user.pii_access)
