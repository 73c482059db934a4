"""The one retry policy: which answers to retry, how long to wait, and how many times to try.

Both senders use it: the destination's client (requests to Antavo) and the receiver's outbox
(batches to Segment). Waits grow exponentially with *full jitter* (a random wait between 0 and
the exponential cap, so senders that failed together do not retry together). A `Retry-After`
header, as delta-seconds or as an HTTP-date, is honoured exactly when it is at most
`retry_after_max` seconds; a longer one is ignored in favour of the backoff, so no server can
park a sender for an hour. `attempts` bounds the total number of tries, the first included.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime

__all__ = ["RetryPolicy", "parse_retry_after"]


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: `attempts` in total, waits of up to `base * 2**n` capped at `cap` seconds."""

    attempts: int = 4
    base: float = 0.5
    cap: float = 8.0
    retry_after_max: float = 30.0
    statuses: frozenset[int] = frozenset({408, 429})

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.base < 0 or self.cap < 0 or self.retry_after_max < 0:
            raise ValueError(f"a retry policy needs attempts >= 1 and no negative delay: {self!r}")

    def retryable(self, status: int) -> bool:
        """An HTTP answer a retry can fix: 408, 429 (or the given `statuses`) and any 5xx."""
        return status in self.statuses or 500 <= status <= 599

    def may_retry(self, attempt: int) -> bool:
        """Whether another try may follow the `attempt`-th (1-based) one."""
        return attempt < self.attempts

    def backoff(self, attempt: int, rng: Callable[[], float]) -> float:
        """Full jitter after the `attempt`-th failure (1-based): a wait in [0, min(cap, base * 2**(attempt-1)))."""
        # The exponent is bounded so a huge attempt count stays a float (2.0**1023 is finite).
        return rng() * min(self.cap, self.base * 2.0 ** min(attempt - 1, 1023))

    def delay(self, attempt: int, retry_after: float | None, rng: Callable[[], float]) -> float:
        """The wait after the `attempt`-th failure: a usable `Retry-After` as given, else the backoff."""
        if retry_after is not None and 0 <= retry_after <= self.retry_after_max:
            return retry_after
        return self.backoff(attempt, rng)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP-date); None if unusable.

    A date in the past means "now" (0 seconds); `now` (a POSIX time) is for tests.
    """
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # "-0000": a UTC time from an unknown zone (RFC 5322)
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))
