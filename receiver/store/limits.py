"""What every backend is told at construction: retention and bounds, and the clock.

The rules every backend applies the same way live here (or, for log entries, in
`receiver.store.bodies`), so memory, SQLite and PostgreSQL answer alike at their bounds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from receiver.errors import ApiError
from receiver.store.contract import StoreUnavailable
from receiver.store.retention import Retention

MIB = 1024 * 1024
OUTBOX_FULL = "OUTBOUND_QUEUE_FULL"
OUTBOX_RETRY_AFTER_SECONDS = 30
"""The queue drains at Segment's pace (batches, retries with backoff): asking sooner rarely helps."""


class OutboxFull(StoreUnavailable):
    """A commit that would queue outbound messages while `outbox_size` already wait: refused whole.

    The transactional outbox never drops a message it was given, so a full queue pushes back on
    the sender instead: 503 with `Retry-After` (Segment retries), nothing written. It is a kind of
    `StoreUnavailable` so that an Idempotency-Key's reservation is released, not answered with it.
    """

    def __init__(self, size: int) -> None:
        ApiError.__init__(
            self,
            503,
            OUTBOX_FULL,
            f"The outbound queue to Segment is full ({size} messages waiting); nothing was applied. Retry later.",
            headers={"Retry-After": str(OUTBOX_RETRY_AFTER_SECONDS)},
        )
        self.detail = f"outbox full ({size})"


def check_outbox_room(waiting_at_limit: bool, adding: int, size: int) -> None:
    """Refuse a commit queuing `adding` messages once `size` wait (`waiting_at_limit`); one rule for all stores.

    A commit is taken whole while fewer than `size` wait, so the queue holds at most `size` plus
    one event's messages (and, on PostgreSQL, what concurrent commits add in the same instant).
    """
    if adding and waiting_at_limit:
        raise OutboxFull(size)


@dataclass(frozen=True)
class StoreLimits:
    """Retention of the logs (by count, and by age per source and kind: `retention`) and the memory backend's bounds.

    The durable backends keep idempotency keys and messageIds for their full window; the
    memory backend also caps them by count (`max_keys`, `max_messages`) and by bytes
    (`idempotency_max_bytes`, `dedup_max_bytes`), and its logs by bytes (`log_max_bytes`),
    so memory stays bounded whatever the traffic. Every backend cuts log bodies past
    `log_body_bytes`, keeps unauthenticated refusals to `log_anonymous_share` of `log_size`, and
    refuses a commit that would queue messages while `outbox_size` wait (`OutboxFull`); every backend
    keeps the quarantine within `quarantine_size` messages and `quarantine_max_bytes`.
    """

    log_size: int = 10_000
    log_max_age_seconds: float | None = None
    max_keys: int = 100_000
    max_messages: int = 100_000
    log_max_bytes: int = 32 * MIB
    log_body_bytes: int = 16 * 1024
    log_anonymous_share: float = 0.1
    idempotency_max_bytes: int = 64 * MIB
    dedup_max_bytes: int = 32 * MIB
    max_sessions: int = 1024
    outbox_size: int = 10_000
    quarantine_size: int = 1000
    quarantine_max_bytes: int = 8 * MIB
    """Messages the tracking plan blocked, kept for replay (`receiver.store.quarantine`): by count and by bytes."""
    retention: Retention = field(default_factory=Retention)
    """How long log entries (per source and kind) and their bodies are kept (`receiver.store.retention`)."""
    clock: Callable[[], float] = field(default=time.time)

    @property
    def log_retention(self) -> Retention:
        """`retention` with `log_max_age_seconds` (the older single age limit) capping every entry."""
        return self.retention.capped(self.log_max_age_seconds)
