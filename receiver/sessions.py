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
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

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
        return bool(given) and hmac.compare_digest(given.encode(), self.csrf.encode())


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
        self._max = max_sessions
        self._clock = clock
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            self._drop_expired(self._clock())
            return len(self._sessions)

    def create(self) -> tuple[str, Session]:
        """A new session and the token to hand to the browser (the only copy of it)."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        now = self._clock()
        session = Session(csrf=secrets.token_urlsafe(TOKEN_BYTES), expires_at=now + self.ttl_seconds)
        with self._lock:
            self._drop_expired(now)
            while len(self._sessions) >= self._max:
                self._sessions.popitem(last=False)
            self._sessions[_digest(token)] = session
        return token, session

    def get(self, token: str | None) -> Session | None:
        """The live session of a cookie's token, else None (unknown, revoked or expired)."""
        if not token:
            return None
        key = _digest(token)
        with self._lock:
            session = self._sessions.get(key)
            if session is None:
                return None
            if session.expires_at <= self._clock():
                del self._sessions[key]
                return None
            return session

    def revoke(self, token: str | None) -> None:
        if token:
            with self._lock:
                self._sessions.pop(_digest(token), None)

    def _drop_expired(self, now: float) -> None:
        """Sessions are kept in creation order with one lifetime, so the expired ones lead."""
        while self._sessions:
            key, session = next(iter(self._sessions.items()))
            if session.expires_at > now:
                return
            del self._sessions[key]
