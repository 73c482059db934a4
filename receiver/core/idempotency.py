"""`Idempotency-Key`: a retried request gets the first answer again instead of applying twice.

The first request with a key *reserves* it in the store before doing any work (one caller
wins, across every worker sharing the store); an accepted request's answer is written in the
same transaction as its event, a refusal's right after. Same key with a different body is
refused (422). A duplicate that arrives while the first is still being processed waits a
little (`wait_seconds`) for its answer; if the first is still running after that, it gets
Stripe's answer: 409 `IDEMPOTENCY_KEY_IN_PROGRESS` with `Retry-After`, and the client retries
later to get the stored answer. A reservation whose worker died is taken over once its lease
ends (nothing was written: the answer and the event commit together). Keys are forgotten
after the TTL, counted from the first request. The durable stores keep every key for its
whole TTL; the memory store also bounds them by count and bytes (oldest answered keys first),
and says so through `LoyaltyStore.warnings` when that makes the window really kept shorter.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass
from typing import Any

from destination.delivery.action import IDEMPOTENCY_HEADER as HEADER
from destination.delivery.action import REPLAY_HEADER as REPLAY_HEADER
from receiver.errors import ApiError
from receiver.jsontext import canonical_bytes
from receiver.store.contract import LoyaltyStore, StoredResponse, StoreUnavailable

__all__ = [
    "HEADER",
    "REPLAY_HEADER",
    "Idempotency",
    "Reservation",
    "StoredResponse",
    "check_key",
    "fingerprint",
    "reused",
]
MAX_KEY_LENGTH = 255
DEFAULT_WAIT_SECONDS = 5.0
DEFAULT_LEASE_SECONDS = 60.0
RETRY_AFTER_SECONDS = 1


@dataclass(frozen=True)
class Reservation:
    """The right to process a key's first request; finish with `finish` (a refusal) or `release`."""

    key: str


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
    return hashlib.sha256(canonical_bytes(body)).hexdigest()


def in_progress() -> ApiError:
    return ApiError(
        409,
        "IDEMPOTENCY_KEY_IN_PROGRESS",
        f"A request with this {HEADER} is still being processed; retry it shortly to get its answer.",
        field=HEADER,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def reused() -> ApiError:
    return ApiError(
        422,
        "IDEMPOTENCY_KEY_REUSED",
        f"This {HEADER} was already used with a different request body.",
        field=HEADER,
    )


class Idempotency:
    """Keys and their first answers, kept by the store for `ttl` seconds."""

    def __init__(
        self,
        store: LoyaltyStore,
        ttl: float,
        *,
        wait_seconds: float = DEFAULT_WAIT_SECONDS,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ) -> None:
        self._store = store
        self._ttl = ttl
        self._wait = wait_seconds
        self._lease = lease_seconds

    @property
    def ttl(self) -> float:
        return self._ttl

    @property
    def lease(self) -> float:
        return self._lease

    async def begin(self, key: str, body_fingerprint: str) -> Reservation | StoredResponse:
        """Reserve `key`, or return the answer to replay; refuse a reused key (422) or one still in progress (409)."""
        deadline = time.monotonic() + self._wait
        pause = 0.002
        while True:
            claim = await self._store.idempotency_begin(key, body_fingerprint, ttl=self._ttl, lease=self._lease)
            if claim == "reserved":
                return Reservation(key)
            if isinstance(claim, StoredResponse):
                return claim
            if isinstance(claim, tuple):
                raise reused()
            if time.monotonic() >= deadline:
                raise in_progress()
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.05)

    async def finish(self, reservation: Reservation, response: StoredResponse) -> None:
        """Remember a refusal's answer (an accepted request's is written with its event)."""
        await self._store.idempotency_finish(reservation.key, response)

    async def release(self, reservation: Reservation) -> None:
        """Forget a reservation whose processing failed, so a retry runs afresh (its lease ends it otherwise)."""
        try:
            await self._store.idempotency_release(reservation.key)
        except StoreUnavailable:
            pass  # the lease runs out on its own
