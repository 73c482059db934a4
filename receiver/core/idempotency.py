"""`Idempotency-Key`: a retried request gets the first answer again instead of applying twice.

The first request with a key *reserves* it before doing any work; a concurrent duplicate
waits for that work to finish and then replays its answer, so two copies of one request can
never both apply. Same key with a different body is refused. Keys are forgotten after the
TTL, counted from the first request (entries are kept in arrival order, so expiry is a
cheap sweep from the oldest end); past `max_entries` keys or `max_bytes` bytes (the key, and
the answer it replays, as JSON) the oldest answered keys go first, so memory stays bounded
whatever the traffic. A key dropped for room before its TTL shortens the window really kept:
`effective_window` says how long, so the receiver can warn about it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from receiver.errors import ApiError

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class StoredResponse:
    """The answer a key replays: status and JSON body, exactly as first sent."""

    status: int
    body: dict[str, Any]


ENTRY_OVERHEAD = 700
"""Bytes a key costs besides its text and its answer's JSON (entry, event, fingerprint, dict slot), roughly."""


@dataclass
class _Entry:
    fingerprint: str
    expires_at: float
    response: StoredResponse | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)
    size: int = 0


@dataclass(frozen=True)
class Reservation:
    """The right to process a key's first request; finish with `complete` or `release`."""

    key: str
    entry: _Entry


def check_key(raw: str | None) -> str | None:
    """The header's key, or None when absent; a key must be 1–255 characters."""
    if raw is None:
        return None
    if not raw or len(raw) > MAX_KEY_LENGTH:
        raise ApiError(
            400,
            "INVALID_IDEMPOTENCY_KEY",
            f"The {HEADER} header must be between 1 and {MAX_KEY_LENGTH} characters long.",
            field=HEADER,
        )
    return raw


def fingerprint(body: Any) -> str:
    """The same JSON document gives the same fingerprint, whatever its spacing or key order."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


class IdempotencyCache:
    """Keys seen in the last `ttl` seconds, with their first answer (or a pending marker)."""

    def __init__(
        self,
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 100_000,
        *,
        max_bytes: int | None = None,
    ) -> None:
        self.ttl = ttl
        self.effective_window: float | None = None
        self._clock = clock
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._bytes = 0
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def __len__(self) -> int:
        self._sweep()
        return len(self._entries)

    @property
    def bytes(self) -> int:
        return self._bytes

    def _full(self) -> bool:
        return len(self._entries) >= self._max_entries or (
            self._max_bytes is not None and self._bytes >= self._max_bytes
        )

    def _forget(self, key: str) -> None:
        self._bytes -= self._entries.pop(key).size

    def _sweep(self) -> None:
        now = self._clock()
        while self._entries:
            key, entry = next(iter(self._entries.items()))
            full = self._full()
            if entry.response is None or (entry.expires_at > now and not full):
                break
            if entry.expires_at > now:
                self.effective_window = now - (entry.expires_at - self.ttl)
            self._forget(key)

    async def begin(self, key: str, body_fingerprint: str) -> Reservation | StoredResponse:
        """Reserve `key`, or return the answer to replay; refuse a key reused with another body."""
        while True:
            self._sweep()
            entry = self._entries.get(key)
            if entry is not None and entry.expires_at <= self._clock() and entry.response is not None:
                self._forget(key)
                entry = None
            if entry is None:
                size = ENTRY_OVERHEAD + len(key)
                entry = _Entry(fingerprint=body_fingerprint, expires_at=self._clock() + self.ttl, size=size)
                self._entries[key] = entry
                self._bytes += size
                return Reservation(key, entry)
            if entry.fingerprint != body_fingerprint:
                raise ApiError(
                    422,
                    "IDEMPOTENCY_KEY_REUSED",
                    f"This {HEADER} was already used with a different request body.",
                    field=HEADER,
                )
            if entry.response is not None:
                return entry.response
            await entry.done.wait()

    def complete(self, reservation: Reservation, response: StoredResponse) -> None:
        """Remember the first answer and wake any duplicate waiting for it."""
        reservation.entry.response = response
        reservation.entry.done.set()
        if self._entries.get(reservation.key) is reservation.entry:
            extra = len(json.dumps(response.body, separators=(",", ":"), ensure_ascii=False, default=str))
            reservation.entry.size += extra
            self._bytes += extra

    def release(self, reservation: Reservation) -> None:
        """Forget a reservation whose processing failed, so a retry can run afresh."""
        if self._entries.get(reservation.key) is reservation.entry:
            self._forget(reservation.key)
        reservation.entry.done.set()
