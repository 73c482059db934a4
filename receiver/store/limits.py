"""What every backend is told at construction: retention and bounds, and the clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class StoreLimits:
    """Retention of the logs (by count and by age) and the memory backend's bounds.

    The durable backends keep idempotency keys and messageIds for their full window; the
    memory backend also caps them by count (`max_keys`, `max_messages`) so memory stays bounded.
    """

    log_size: int = 10_000
    log_max_age_seconds: float | None = None
    max_keys: int = 100_000
    max_messages: int = 100_000
    max_sessions: int = 1024
    outbox_size: int = 10_000
    clock: Callable[[], float] = field(default=time.time)
