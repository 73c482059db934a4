"""The inbound log: one entry per webhook request, like Antavo's Segment inbound log.

Columns: when, which customer, which Segment call type (`track` / `identify`), the status
code, the response time in seconds, the error (if refused), and the request identifier
(Segment's messageId when one is given, else a generated one), plus the request and
response bodies, already redacted by the caller. The log is a bounded ring: the oldest
entries drop off once it holds `size` entries.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class LogEntry:
    """One request as the inbound log shows it."""

    seq: int
    id: str
    timestamp: datetime
    customer_id: str | None
    event_type: str | None
    status: int
    response_time: float
    error: str | None
    error_code: str | None
    request: Any
    response: Any
    internal_customer_id: str | None = None
    """The store's own ID when `customer_id` was an external ID (Customer ID mapping)."""


@dataclass(frozen=True)
class LogFilter:
    """Every given criterion must hold; `error` True keeps refusals, False keeps accepted.

    `since` is inclusive and `until` exclusive, so consecutive windows never share an entry;
    `min_response_time` keeps the requests that took at least that many seconds.
    """

    id: str | None = None
    customer_id: str | None = None
    event_type: str | None = None
    error: bool | None = None
    status: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    min_response_time: float | None = None

    def __call__(self, entry: LogEntry) -> bool:
        return (
            (self.id is None or entry.id == self.id)
            and (
                self.customer_id is None
                or entry.customer_id == self.customer_id
                or entry.internal_customer_id == self.customer_id
            )
            and (self.event_type is None or entry.event_type == self.event_type)
            and (self.error is None or (entry.error is not None) == self.error)
            and (self.status is None or entry.status == self.status)
            and (self.since is None or entry.timestamp >= self.since)
            and (self.until is None or entry.timestamp < self.until)
            and (self.min_response_time is None or entry.response_time >= self.min_response_time)
        )


@dataclass(frozen=True)
class LogPage:
    entries: list[LogEntry]
    next_cursor: int | None


class InboundLog:
    """A thread-safe ring of the last `size` entries; `seq` grows forever and is the cursor."""

    def __init__(self, size: int) -> None:
        self._entries: deque[LogEntry] = deque(maxlen=size)
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def add(
        self,
        *,
        id: str,
        timestamp: datetime,
        customer_id: str | None,
        event_type: str | None,
        status: int,
        response_time: float,
        error: str | None,
        error_code: str | None,
        request: Any,
        response: Any,
        internal_customer_id: str | None = None,
    ) -> LogEntry:
        with self._lock:
            entry = LogEntry(
                seq=next(self._seq),
                id=id,
                timestamp=timestamp,
                customer_id=customer_id,
                event_type=event_type,
                status=status,
                response_time=response_time,
                error=error,
                error_code=error_code,
                request=request,
                response=response,
                internal_customer_id=internal_customer_id,
            )
            self._entries.append(entry)
            return entry

    def count(self, where: LogFilter) -> int:
        """How many entries the log holds that match (whatever page is being shown)."""
        with self._lock:
            snapshot = list(self._entries)
        return sum(1 for entry in snapshot if where(entry))

    def query(self, where: LogFilter, *, limit: int, cursor: int | None = None) -> LogPage:
        """Matching entries, newest first, older than `cursor` (a `seq` from a previous page)."""
        with self._lock:
            snapshot = list(self._entries)
        found: list[LogEntry] = []
        for entry in reversed(snapshot):
            if cursor is not None and entry.seq >= cursor:
                continue
            if where(entry):
                found.append(entry)
                if len(found) > limit:
                    break
        more = len(found) > limit
        page = found[:limit]
        return LogPage(entries=page, next_cursor=page[-1].seq if more and page else None)
