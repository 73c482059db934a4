"""What every backend is told at construction: retention and bounds, and the clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

MIB = 1024 * 1024


@dataclass(frozen=True)
class StoreLimits:
    """Retention of the logs (by count and by age) and the memory backend's bounds.

    The durable backends keep idempotency keys and messageIds for their full window; the
    memory backend also caps them by count (`max_keys`, `max_messages`) and by bytes
    (`idempotency_max_bytes`, `dedup_max_bytes`), and its logs by bytes (`log_max_bytes`, with
    bodies cut past `log_body_bytes` and unauthenticated refusals kept to `log_anonymous_share`),
    so memory stays bounded whatever the traffic.
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
    clock: Callable[[], float] = field(default=time.time)
