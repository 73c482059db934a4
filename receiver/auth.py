"""The one key check every door uses: the client's address, the failure guard, a constant-time compare.

The webhook (its body's API key), the Tracking API (the write key), the inspection routes and
`/metrics` (Bearer) and the sign-in form all ask a `KeyGate`, so an address that guesses at a key
through one door is slowed down at every other, and no door compares a secret by hand.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import HTTPConnection

from receiver.ratelimit import AuthGuard
from receiver.security import same_secret

UNKNOWN_ADDRESS = "unknown"


def client_address(request: HTTPConnection) -> str:
    """The HTTP client's address, as the failure guard counts it (one name when the server gives none)."""
    return request.client.host if request.client else UNKNOWN_ADDRESS


class KeyGate:
    """One secret (`kind` names it to the guard, e.g. `api_key`), checked for one receiver."""

    def __init__(self, guard: AuthGuard, kind: str, expected: bytes) -> None:
        self.guard, self.kind, self._expected = guard, kind, expected

    def check(self, address: str | None) -> None:
        """429 (`ApiError`) for an address that failed too often, before its key is looked at."""
        self.guard.check(address, self.kind)

    def admit(self, request: HTTPConnection | str | None, given: Any) -> bool:
        """Whether `given` is the key; a failure is counted against the request's client address
        (or an address already read; None is a call made in this process, which is trusted).

        Raises the guard's 429 first, so a blocked address learns nothing about its guess.
        """
        address = client_address(request) if isinstance(request, HTTPConnection) else request
        self.guard.check(address, self.kind)
        if same_secret(given, self._expected):
            return True
        self.guard.failed(address, self.kind)
        return False
