"""The logs' ring: how the memory store keeps its logs (inbound, outbound, duplicates).

Memory is bounded by bytes, not only by entries: bodies are kept as their JSON text (so
the bytes counted are the bytes held, whatever the shape of the JSON), a body longer than
`body_bytes` is cut and the entry marked `truncated` (`store.bodies`, the rule every store
applies), and the ring drops its oldest entries
once it holds `size` entries or `max_bytes` bytes. Unauthenticated refusals live in their own
small lane (a `anonymous_share` of both bounds): however many arrive, they only ever push
out each other, never an authenticated entry. Reads see only what `retention` keeps (as it shows
it), and every `SWEEP_EVERY` additions (or `sweep`) the ring frees the rest.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from receiver.store.bodies import anonymous_entries, bounded, plan_json
from receiver.store.entries import LogEntry, LogFilter, LogPage
from receiver.store.retention import SWEEP_EVERY, Retention

DEFAULT_MAX_BYTES = 32 * 1024 * 1024
DEFAULT_BODY_BYTES = 16 * 1024


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

    def drop(self, where: LogFilter) -> int:
        """Remove the matching entries, keeping the others in order; how many went."""
        return self.rewrite(lambda entry: None if where(entry) else entry)

    def rewrite(self, keep: Callable[[LogEntry], LogEntry | None]) -> int:
        """Each entry as `keep` returns it (None: removed), in order, sizes recounted; how many went."""
        kept: list[tuple[LogEntry, int]] = []
        changed = False
        for entry, size in zip(self.entries, self._sizes, strict=True):
            new = keep(entry)
            changed = changed or new is not entry
            if new is not None:
                kept.append((new, size if new is entry else new.size))
        gone = len(self.entries) - len(kept)
        if changed:
            self.entries = deque(entry for entry, _ in kept)
            self._sizes = deque(size for _, size in kept)
            self.bytes = sum(self._sizes)
        return gone


class LogRing:
    """A thread-safe ring bounded by entries and bytes; `seq` grows forever and is the cursor."""

    def __init__(
        self,
        size: int,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        body_bytes: int = DEFAULT_BODY_BYTES,
        anonymous_share: float = 0.1,
        kind: str = "inbound",
        retention: Retention | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.body_bytes = body_bytes
        self._kind, self._retention, self._clock = kind, retention or Retention(), clock
        self._adds = itertools.count(1)
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
        subscription: str | None = None,
        mapping_version: str | None = None,
        test_run: str | None = None,
        plan_check: dict[str, Any] | None = None,
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
                    "subscription": subscription,
                    "mapping_version": mapping_version,
                    "test_run": test_run,
                    "plan_json": plan_json(plan_check),
                }
            )
            (self._trusted if authenticated else self._anonymous).add(entry)
        if not next(self._adds) % SWEEP_EVERY:
            self.sweep()
        return entry

    def sweep(self) -> int:
        """Free what retention says is gone: entries past their age limit, bodies past theirs; how many entries went."""
        keep = self._retention.reader(self._kind, self._clock())
        with self._lock:
            return self._trusted.rewrite(keep) + self._anonymous.rewrite(keep)

    def forget(self, where: LogFilter) -> int:
        """Drop the matching entries; how many of those reads showed went (the lanes are rebuilt, keeping
        their order and bounds; matching entries past retention go too)."""
        shown = self._retention.reader(self._kind, self._clock(), bodies=False)
        with self._lock:
            lanes = (self._trusted, self._anonymous)
            gone = sum(1 for lane in lanes for entry in lane.entries if where(entry) and shown(entry) is not None)
            for lane in lanes:
                lane.drop(where)
            return gone

    def _snapshot(self, now: float | None = None) -> list[LogEntry]:
        """Every entry retention keeps at `now`, oldest first (the two lanes merged by `seq`), with their
        bodies as held: a filter never looks at bodies, so only a page's entries are read as shown."""
        with self._lock:
            trusted, anonymous = list(self._trusted.entries), list(self._anonymous.entries)
        merged = list(heapq.merge(trusted, anonymous, key=lambda entry: entry.seq)) if anonymous else trusted
        kept = self._retention.reader(self._kind, self._clock() if now is None else now, bodies=False)
        return [entry for entry in merged if kept(entry) is not None]

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
        now = self._clock()
        found: list[LogEntry] = []
        for entry in reversed(self._snapshot(now)):
            if cursor is not None and entry.seq >= cursor:
                continue
            if where(entry):
                found.append(entry)
                if len(found) > limit:
                    break
        more = len(found) > limit
        shown = self._retention.reader(self._kind, now)
        page = [entry for entry in map(shown, found[:limit]) if entry is not None]
        return LogPage(entries=page, next_cursor=page[-1].seq if more and page else None)


class InboundLog(LogRing):
    """The inbound log: one entry per webhook request (or refused Tracking-API call), redacted by the caller."""
