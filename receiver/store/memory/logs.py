"""The logs (inbound, outbound, duplicate) in one process: one `InboundLog` ring each, kept apart from `MemoryStore`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from receiver.store.contract import LogKind, NewLogEntry
from receiver.store.entries import LogEntry, LogFilter, LogPage
from receiver.store.limits import StoreLimits
from receiver.store.memory.ring import InboundLog


class MemoryLogs:
    """The store contract's `log_*` methods, for `MemoryStore` to inherit (its `limits` bound the rings)."""

    limits: StoreLimits
    _clock: Callable[[], float]

    def _open_logs(self) -> None:
        limits = self.limits
        self._logs = {
            kind: InboundLog(
                limits.log_size,
                max_bytes=limits.log_max_bytes,
                body_bytes=limits.log_body_bytes,
                anonymous_share=limits.log_anonymous_share,
                kind=kind,
                retention=limits.log_retention,
                clock=self._clock,
            )
            for kind in ("inbound", "outbound", "duplicate")
        }

    def log_bytes(self, kind: LogKind) -> int:
        """Bytes the log's entries hold (bodies as JSON text, plus a fixed overhead each)."""
        return self._logs[kind].bytes

    async def log_add(self, kind: LogKind, entries: Sequence[NewLogEntry]) -> list[LogEntry]:
        log = self._logs[kind]
        return [log.add(**vars(entry)) for entry in entries]

    async def log_query(self, kind: LogKind, where: LogFilter, *, limit: int, cursor: int | None) -> LogPage:
        return self._logs[kind].query(where, limit=limit, cursor=cursor)

    async def log_count(self, kind: LogKind, where: LogFilter) -> int:
        return self._logs[kind].count(where)

    async def log_forget(self, kind: LogKind, where: LogFilter) -> int:
        return self._logs[kind].forget(where)

    async def log_sources(self, kind: LogKind) -> dict[str, datetime]:
        return self._logs[kind].latest_by_source(LogFilter())
