"""Browser sessions for the receiver's pages: random tokens, never the API key.

A login trades the API key for a random token (the cookie's value); the server keeps only a
SHA-256 digest of it, so a dump of this store cannot be replayed as a cookie. Each session
also carries its own CSRF token for the state-changing forms. They live in the loyalty store, so
every worker of a scaled-out receiver knows them (the memory store bounds them by count,
oldest first), and every session expires a fixed time after login: a forgotten browser does not stay signed
in forever.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from receiver.core.roles import ROLES, Permission, Role, allows, sees_pii
from receiver.store.contract import LoyaltyStore, StoredSession

COOKIE_PREFIX = "antavo_session_"
DEFAULT_TTL_SECONDS = 8 * 3600
TOKEN_BYTES = 32


@dataclass(frozen=True)
class Session:
    """One signed-in browser: its CSRF token, when it stops being valid (epoch seconds), and who it is:
    a user with a role, or (no `user`) the brand API key, which signs in as the bootstrap admin."""

    csrf: str
    expires_at: float
    user: str | None = None
    role: Role = "admin"
    pii_access: bool = True

    def may(self, permission: Permission) -> bool:
        return allows(self.role, permission)

    @property
    def sees_pii(self) -> bool:
        """Whether properties the tracking plan marks `pii` are shown unmasked to this session."""
        return sees_pii(self.role, self.pii_access)

    def csrf_matches(self, given: str | None) -> bool:
        """Constant-time check of a form's CSRF field."""
        return given is not None and bool(given) and hmac.compare_digest(given.encode(), self.csrf.encode())


def cookie_name(netloc: str) -> str:
    """The session cookie's name for the receiver at `host:port`.

    Browsers share cookies across the ports of one host, so two receivers on one machine
    would overwrite each other's session under one name; a short digest of the address
    keeps each instance's sign-in its own.
    """
    return COOKIE_PREFIX + hashlib.sha256(netloc.lower().encode("utf-8", "surrogatepass")).hexdigest()[:12]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class SessionStore:
    """Sessions kept by the loyalty store (so every worker knows them), keyed by the digest of their token."""

    def __init__(
        self,
        store: LoyaltyStore,
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if ttl_seconds <= 0:
            raise ValueError("sessions need a positive lifetime")
        self.ttl_seconds = ttl_seconds
        self._store = store
        self._clock = clock

    async def create(
        self, user: str | None = None, role: Role = "admin", *, pii_access: bool = False
    ) -> tuple[str, Session]:
        """A new session and the token to hand to the browser (the only copy of it): for `user` with
        `role`, or, without a user, the API key's bootstrap admin."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        expires = self._clock() + self.ttl_seconds
        session = Session(secrets.token_urlsafe(TOKEN_BYTES), expires, user, role, pii_access or user is None)
        stored = StoredSession(_digest(token), session.csrf, expires, user, role, session.pii_access)
        await self._store.session_put(stored)
        return token, session

    async def get(self, token: str | None) -> Session | None:
        """The live session of a cookie's token, else None (unknown, revoked or expired)."""
        if not token:
            return None
        found = await self._store.session_get(_digest(token))
        if found is None:
            return None
        if found.user_name is None:
            return Session(found.csrf, found.expires_at)
        role = next((role for role in ROLES if role == found.role), None)
        # A user's session with a role this receiver does not know grants nothing: it is signed out.
        return None if role is None else Session(found.csrf, found.expires_at, found.user_name, role, found.pii_access)

    async def revoke(self, token: str | None) -> None:
        if token:
            await self._store.session_delete(_digest(token))
