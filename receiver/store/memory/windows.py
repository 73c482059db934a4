"""Saying so when an in-memory window is shorter than configured.

Idempotency-Keys and messageIds are remembered in memory, bounded by bytes and entries; under
enough traffic the oldest are dropped before their time, and a late retry could then apply
twice. That is acceptable for a reference receiver only if the operator knows: each bounded
map reports the age of the last entry it dropped early, and `WindowWatch` turns that into a
warning, logged (at most once a minute per map) and listed by `/healthz`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)
LOG_EVERY_SECONDS = 60.0


@dataclass
class _Window:
    what: str
    setting: str
    configured: Callable[[], float | None]
    effective: Callable[[], float | None]
    logged_at: float = -LOG_EVERY_SECONDS


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if value >= 10 else f"{value:.1f} s"


class WindowWatch:
    """The bounded in-memory windows of one receiver, and what to say about them."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._windows: list[_Window] = []
        self._clock = clock

    def watch(
        self,
        what: str,
        setting: str,
        configured: Callable[[], float | None],
        effective: Callable[[], float | None],
    ) -> None:
        """Watch a map: `configured` gives the window asked for (None: not used yet), `effective` the
        age of its last entry dropped for room (None: none was)."""
        self._windows.append(_Window(what, setting, configured, effective))

    def _shortfalls(self) -> list[tuple[_Window, float, float]]:
        found = []
        for window in self._windows:
            configured, effective = window.configured(), window.effective()
            if configured is not None and effective is not None and effective < configured:
                found.append((window, configured, effective))
        return found

    def warnings(self) -> list[str]:
        return [
            f"the memory store remembers {window.what} for only about {_seconds(effective)} under this load, "
            f"not the configured {_seconds(configured)} ({window.setting}): a retry later than that "
            "may apply twice; raise the memory bound or use a durable store"
            for window, configured, effective in self._shortfalls()
        ]

    def log_shortfalls(self) -> None:
        """Log each shortfall, at most once a minute per window (cheap enough to call after every request)."""
        now = self._clock()
        for window, configured, effective in self._shortfalls():
            if now - window.logged_at < LOG_EVERY_SECONDS:
                continue
            window.logged_at = now
            logger.warning(
                "the memory store remembered %s for only %s, not the configured %s (%s)",
                window.what,
                _seconds(effective),
                _seconds(configured),
                window.setting,
            )
