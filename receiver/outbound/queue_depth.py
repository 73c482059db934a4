"""The outbound queue's depth over time: sampled in the background, kept per minute for a day.

The outbox only knows how many rows it holds now (`LoyaltyStore.outbox_pending`, a count on
every backend), so a history has to be sampled. One task per app reads it every
`queue_sample_seconds` and folds each reading into its minute (the minute's peak and its last
reading): memory stays at one small record per minute for 24 hours (1440 at most), whatever
the sampling interval. With several workers each process keeps its own history; on a durable
store they all read the same shared count.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from receiver.periodic import Periodic
from receiver.store.contract import StoreUnavailable

logger = logging.getLogger(__name__)
MINUTE = 60
KEEP_MINUTES = 24 * 60


@dataclass(slots=True)
class _Minute:
    start: int
    """Epoch seconds at the minute's start."""
    peak: int
    last: int
    samples: int


class QueueDepthHistory:
    """A bounded ring of per-minute queue-depth readings, and the task that takes them."""

    def __init__(
        self,
        read: Callable[[], Awaitable[int]],
        every: float,
        *,
        clock: Callable[[], float] = time.time,
        keep_minutes: int = KEEP_MINUTES,
    ) -> None:
        self._read = read
        self.every = every
        self._clock = clock
        self._minutes: deque[_Minute] = deque(maxlen=keep_minutes)
        # A sampler that died would silently flatten the chart: a failure is logged and sampling goes on.
        failed = "sampling the outbound queue depth failed"
        self._loop = Periodic("antavo-queue-depth", every, self.sample, failed=failed, wait_first=False)

    def __len__(self) -> int:
        """Minutes held (bounded by `keep_minutes`)."""
        return len(self._minutes)

    def record(self, depth: int, at: float) -> None:
        """Fold one reading into its minute; a reading older than the newest minute (the clock went back) is dropped."""
        start = int(at // MINUTE) * MINUTE
        newest = self._minutes[-1] if self._minutes else None
        if newest is not None and newest.start == start:
            newest.peak, newest.last, newest.samples = max(newest.peak, depth), depth, newest.samples + 1
        elif newest is None or start > newest.start:
            self._minutes.append(_Minute(start, depth, depth, 1))

    async def sample(self) -> int | None:
        """Read the depth now and keep it; None (nothing kept) while the store is unreachable."""
        try:
            depth = await self._read()
        except StoreUnavailable as exc:
            logger.warning("queue depth not sampled (store unavailable): %s", exc.detail)
            return None
        self.record(depth, self._clock())
        return depth

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    def series(self, start: datetime, bucket_seconds: int, count: int) -> dict[str, Any]:
        """Per bucket from `start`: the peak depth and the last reading (None where nothing was sampled)."""
        origin = start.timestamp()
        peak: list[int | None] = [None] * count
        last: list[int | None] = [None] * count
        samples = 0
        for minute in self._minutes:
            index = int((minute.start - origin) // bucket_seconds)
            if 0 <= index < count:
                peak[index] = max(peak[index] or 0, minute.peak)
                last[index] = minute.last
                samples += minute.samples
        return {"peak": peak, "last": last, "samples": samples, "sample_seconds": self.every}
