"""Browser sessions for the receiver's pages: random tokens held in memory, never the API key.

A login trades the API key for a random token (the cookie's value); the server keeps only a
SHA-256 digest of it, so a dump of this store cannot be replayed as a cookie. Each session
also carries its own CSRF token for the state-changing forms. The store is bounded (the
oldest session is dropped when it is full) and every session expires a fixed time after
login: a forgotten browser does not stay signed in forever, and a flood of logins cannot
grow memory without limit.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from receiver.expiring import ExpiringMap

COOKIE_PREFIX = "antavo_session_"
DEFAULT_TTL_SECONDS = 8 * 3600
DEFAULT_MAX_SESSIONS = 1024
TOKEN_BYTES = 32


@dataclass(frozen=True)
class Session:
    """One signed-in browser: its CSRF token and when it stops being valid (monotonic seconds)."""

    csrf: str
    expires_at: float

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
    """Thread-safe, bounded, expiring sessions keyed by the digest of their token."""

    def __init__(
        self,
        *,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl_seconds <= 0 or max_sessions < 1:
            raise ValueError("sessions need a positive lifetime and room for at least one")
        self.ttl_seconds = ttl_seconds
        self._sessions: ExpiringMap[Session] = ExpiringMap(ttl_seconds, max_sessions, clock)

    def __len__(self) -> int:
        return len(self._sessions)

    def create(self) -> tuple[str, Session]:
        """A new session and the token to hand to the browser (the only copy of it)."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        now = self._sessions.clock()
        session = Session(csrf=secrets.token_urlsafe(TOKEN_BYTES), expires_at=now + self.ttl_seconds)
        self._sessions.put_new(_digest(token), session, now)
        return token, session

    def get(self, token: str | None) -> Session | None:
        """The live session of a cookie's token, else None (unknown, revoked or expired)."""
        return self._sessions.get(_digest(token)) if token else None

    def revoke(self, token: str | None) -> None:
        if token:
            self._sessions.discard(_digest(token))
