"""One background loop for the receiver's periodic work (queue-depth samples, retention, settings re-reads).

Each owner holds a `Periodic`: `work` runs every `every` seconds until `stop`; a failure (the database
down, say) is logged and the next tick tries again, so a loop never dies silently and never runs twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)


class Periodic:
    """`work` every `every` seconds (after the first wait when `wait_first`), one task at most."""

    def __init__(
        self, name: str, every: float, work: Callable[[], Awaitable[object]], *, failed: str, wait_first: bool = True
    ) -> None:
        self.name, self.every = name, every
        self._work, self._failed, self._wait_first = work, failed, wait_first
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        if self._wait_first:
            await asyncio.sleep(self.every)
        while True:
            try:
                await self._work()
            except Exception:
                logger.exception("%s (tried again in %g s)", self._failed, self.every)
            await asyncio.sleep(self.every)
