"""The logs' ring: how the memory store keeps its logs (inbound: one entry per webhook request,
like Antavo's Segment inbound log; outbound; duplicates), and the entry every store returns.

Columns: when, which customer, which Segment call type (`track` / `identify`), the status
code, the response time in seconds, the error (if refused), and the request identifier
(Segment's messageId when one is given, else a generated one), plus the request and
response bodies, already redacted by the caller.

Memory is bounded by bytes, not only by entries: bodies are kept as their JSON text (so
the bytes counted are the bytes held, whatever the shape of the JSON), a body longer than
`body_bytes` is cut and the entry marked `truncated` (`logs.bodies`, the rule every store
applies), and the ring drops its oldest entries
once it holds `size` entries or `max_bytes` bytes. Unauthenticated refusals live in their own
small lane (a `anonymous_share` of both bounds): however many arrive, they only ever push
out each other, never an authenticated entry.
"""

from __future__ import annotations

import heapq
import itertools
import json
import threading
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from receiver.store.bodies import anonymous_entries, bounded, dump_json

__all__ = ["InboundLog", "LogEntry", "LogFilter", "LogPage", "LogRing", "dump_json", "unstored_entry"]

ENTRY_OVERHEAD = 600
"""Bytes an entry costs besides its bodies (the object, its strings, the deque slot): a fair over-estimate."""
DEFAULT_MAX_BYTES = 32 * 1024 * 1024
DEFAULT_BODY_BYTES = 16 * 1024


@dataclass(frozen=True)
class LogEntry:
    """One request as the inbound log shows it; `request` and `response` are decoded on demand."""

    seq: int
    id: str
    timestamp: datetime
    customer_id: str | None
    event_type: str | None
    status: int
    response_time: float
    error: str | None
    error_code: str | None
    request_json: str
    response_json: str
    truncated: bool = False
    authenticated: bool = True
    internal_customer_id: str | None = None
    """The store's own ID when `customer_id` was an external ID (Customer ID mapping)."""
    source: str | None = None
    """Who sent it: `webhook` for an HTTP webhook request, `segment:<library>` for a Tracking-API message
    (see `receiver.logs.sources`); None for entries written before sources were recorded."""

    @classmethod
    def _quick(cls, fields: dict[str, Any]) -> LogEntry:
        """`cls(**fields)` (every field given) for the hot path, without the frozen dataclass's
        per-field `object.__setattr__`: one entry is made per request."""
        entry = object.__new__(cls)
        object.__setattr__(entry, "__dict__", fields)
        return entry

    @property
    def request(self) -> Any:
        return json.loads(self.request_json)

    @property
    def response(self) -> Any:
        return json.loads(self.response_json)

    @property
    def size(self) -> int:
        """Bytes this entry holds, roughly (strings count one byte per character, plus a fixed overhead)."""
        text = len(self.id) + len(self.customer_id or "") + len(self.error or "") + len(self.source or "")
        return ENTRY_OVERHEAD + text + len(self.request_json) + len(self.response_json)

    def public(self) -> dict[str, Any]:
        """The entry as the log API answers it."""
        return {
            "seq": self.seq,
            "id": self.id,
            "timestamp": self.timestamp,
            "customer_id": self.customer_id,
            "event_type": self.event_type,
            "status": self.status,
            "response_time": self.response_time,
            "error": self.error,
            "error_code": self.error_code,
            "request": self.request,
            "response": self.response,
            "truncated": self.truncated,
            "internal_customer_id": self.internal_customer_id,
            "source": self.source,
        }


def unstored_entry(*, request: Any, response: Any, seq: int = 0, authenticated: bool = True, **fields: Any) -> LogEntry:
    """An entry no log holds (the store was down, or a refusal past the rate for logging those), bodies uncut."""
    return LogEntry(
        seq=seq,
        request_json=dump_json(request),
        response_json=dump_json(response),
        authenticated=authenticated,
        **fields,
    )


def _aware(moment: datetime | None) -> datetime | None:
    """A filter time without a zone is UTC (entries are stamped in UTC, and naive cannot compare to aware)."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


@dataclass(frozen=True)
class LogFilter:
    """Every given criterion must hold; `error` True keeps refusals, False keeps accepted.

    `since` is inclusive and `until` exclusive, so consecutive windows never share an entry;
    `min_response_time` keeps the requests that took at least that many seconds. Times without
    a zone are read as UTC.
    """

    id: str | None = None
    customer_id: str | None = None
    event_type: str | None = None
    error: bool | None = None
    status: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    min_response_time: float | None = None
    error_code: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "since", _aware(self.since))
        object.__setattr__(self, "until", _aware(self.until))

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
            and (self.error_code is None or entry.error_code == self.error_code)
        )


@dataclass(frozen=True)
class LogPage:
    entries: list[LogEntry]
    next_cursor: int | None


class _Lane:
    """Entries in arrival order, bounded by count and bytes."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.entries: deque[LogEntry] = deque()
        self._sizes: deque[int] = deque()
        self.bytes = 0
        self._max_entries = max(1, max_entries)
        self._max_bytes = max_bytes

    def add(self, entry: LogEntry) -> None:
        size = entry.size
        self.entries.append(entry)
        self._sizes.append(size)
        self.bytes += size
        while self.entries and (len(self.entries) > self._max_entries or self.bytes > self._max_bytes):
            self.entries.popleft()
            self.bytes -= self._sizes.popleft()


class LogRing:
    """A thread-safe ring bounded by entries and bytes; `seq` grows forever and is the cursor."""

    def __init__(
        self,
        size: int,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        body_bytes: int = DEFAULT_BODY_BYTES,
        anonymous_share: float = 0.1,
    ) -> None:
        self.body_bytes = body_bytes
        anonymous = anonymous_entries(size, anonymous_share)
        anonymous_bytes = int(max_bytes * anonymous_share)
        self._trusted = _Lane(size, max_bytes - anonymous_bytes)
        self._anonymous = _Lane(anonymous, anonymous_bytes)
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._trusted.entries) + len(self._anonymous.entries)

    @property
    def bytes(self) -> int:
        """Bytes held by the entries (as `LogEntry.size` counts them)."""
        return self._trusted.bytes + self._anonymous.bytes

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
        authenticated: bool = True,
        internal_customer_id: str | None = None,
        source: str | None = None,
    ) -> LogEntry:
        """Add an entry; an unauthenticated one goes to its own lane, which cannot evict the others."""
        kept = bounded(
            id=id, customer_id=customer_id, error=error, request=request, response=response, body_bytes=self.body_bytes
        )
        with self._lock:
            entry = LogEntry._quick(
                {
                    "seq": next(self._seq),
                    "id": kept.id,
                    "timestamp": timestamp,
                    "customer_id": kept.customer_id,
                    "event_type": event_type,
                    "status": status,
                    "response_time": response_time,
                    "error": kept.error,
                    "error_code": error_code,
                    "request_json": kept.request.text,
                    "response_json": kept.response.text,
                    "truncated": kept.truncated,
                    "authenticated": authenticated,
                    "internal_customer_id": internal_customer_id,
                    "source": source,
                }
            )
            (self._trusted if authenticated else self._anonymous).add(entry)
            return entry

    def _snapshot(self) -> list[LogEntry]:
        """Every entry, oldest first (the two lanes merged by `seq`)."""
        with self._lock:
            trusted, anonymous = list(self._trusted.entries), list(self._anonymous.entries)
        if not anonymous:
            return trusted
        return list(heapq.merge(trusted, anonymous, key=lambda entry: entry.seq))

    def count(self, where: LogFilter) -> int:
        """How many entries the log holds that match (whatever page is being shown)."""
        return sum(1 for entry in self._snapshot() if where(entry))

    def latest_by_source(self, where: LogFilter) -> dict[str, datetime]:
        """The newest matching entry's time per source (entries without one are left out)."""
        latest: dict[str, datetime] = {}
        for entry in self._snapshot():
            if entry.source is not None and where(entry):
                latest[entry.source] = max(entry.timestamp, latest.get(entry.source, entry.timestamp))
        return latest

    def query(self, where: LogFilter, *, limit: int, cursor: int | None = None) -> LogPage:
        """Matching entries, newest first, older than `cursor` (a `seq` from a previous page)."""
        found: list[LogEntry] = []
        for entry in reversed(self._snapshot()):
            if cursor is not None and entry.seq >= cursor:
                continue
            if where(entry):
                found.append(entry)
                if len(found) > limit:
                    break
        more = len(found) > limit
        page = found[:limit]
        return LogPage(entries=page, next_cursor=page[-1].seq if more and page else None)


class InboundLog(LogRing):
    """The inbound log: one entry per webhook request (or refused Tracking-API call), redacted by the caller."""
