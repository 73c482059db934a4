"""Rate limits: token buckets, and the guard that slows down guessing of the receiver's keys.

Only *failed* authentications spend tokens, counted per client address and per key (the API
key, the write key): an address that failed `burst` times gets 429 with `Retry-After` until
it has earned a token back, without its key even being checked; and once a key has been
failed at `key_burst` times from anywhere, every address with a recent failure is held back
too (a guesser spreading over many addresses). A caller that has not failed is never limited,
so a good key is never slowed by someone else's failures.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from receiver.config.limits import LimitsConfig
from receiver.errors import ApiError

API_KEY = "api_key"
"""The brand API key (the webhook body's key, the Bearer token, the sign-in form): one budget for all three."""
WRITE_KEY = "write_key"
"""The Tracking API ingest's write key."""
MAX_ADDRESSES = 10_000
"""Addresses tracked at most (the least recently failed are forgotten first): memory stays bounded."""


@dataclass
class TokenBucket:
    """`capacity` tokens, refilled at `rate` per second; `take` spends one when there is one."""

    capacity: float
    rate: float
    tokens: float
    updated: float

    @classmethod
    def full(cls, capacity: float, rate: float, now: float) -> TokenBucket:
        return cls(capacity, rate, capacity, now)

    def _refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def wait(self, now: float) -> float:
        """Seconds until a token is there (0 when there is one now)."""
        self._refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self, now: float) -> bool:
        """Spend a token if there is one; True when spent."""
        self._refill(now)
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    def spend(self, now: float) -> None:
        """Spend a token, going into debt if need be (failures are counted even while refused)."""
        self._refill(now)
        self.tokens = max(self.tokens - 1, -self.capacity)


def too_many(retry_after: float) -> ApiError:
    seconds = max(1, math.ceil(retry_after))
    return ApiError(
        429,
        "TOO_MANY_FAILED_ATTEMPTS",
        f"Too many failed authentication attempts from this address; try again in {seconds} s.",
        headers={"Retry-After": str(seconds)},
    )


class AuthGuard:
    """Failed authentication, per client address and per key, for one receiver."""

    def __init__(self, limits: LimitsConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self._burst, self._rate = limits.auth_failures_burst, limits.auth_failures_per_minute / 60
        self._key_burst, self._key_rate = limits.key_failures_burst, limits.key_failures_per_minute / 60
        self._clock = clock
        self._addresses: OrderedDict[str, TokenBucket] = OrderedDict()
        self._keys: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def check(self, address: str | None, key: str) -> None:
        """Refuse (429) an address that has used up its failures, or that failed while the key is under attack."""
        if address is None:
            return
        with self._lock:
            now = self._clock()
            bucket = self._addresses.get(address)
            if bucket is None:
                return
            wait = bucket.wait(now)
            key_bucket = self._keys.get(key)
            if not wait and key_bucket is not None and bucket.tokens < bucket.capacity:
                wait = key_bucket.wait(now)
        if wait:
            raise too_many(wait)

    def failed(self, address: str | None, key: str) -> None:
        """Count a failed attempt at `key` from `address`."""
        if address is None:
            return
        with self._lock:
            now = self._clock()
            bucket = self._addresses.pop(address, None) or TokenBucket.full(self._burst, self._rate, now)
            bucket.spend(now)
            self._addresses[address] = bucket
            while len(self._addresses) > MAX_ADDRESSES:
                self._addresses.popitem(last=False)
            key_bucket = self._keys.setdefault(key, TokenBucket.full(self._key_burst, self._key_rate, now))
            key_bucket.spend(now)
