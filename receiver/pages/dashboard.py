"""The dashboard's figures, as pure functions over log entries.

Everything here takes entries the routes fetched through the logs' query interface
(`StoredLog.query`), never the logs' insides, so that the same sums can later be pushed
down to a store backend's SQL (`GROUP BY minute, outcome`). One JSON shape comes out
(`summary`): the dashboard's JSON endpoint answers it as is, and its SVG charts and the tests
read the very same dict.

An inbound-log entry is one of five outcomes: **applied** (the webhook accepted it),
**refused** (by its error code), **mapping failed** (`MAPPING_FAILED`: a subscription
matched but could not build its request), **ignored** (no subscription matched,
`integrations` turned the destination off, or the tracking plan blocked it) and **duplicate** (a repeated `messageId`,
from the ingest's log of dropped duplicates).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from receiver.store.entries import LogEntry

APPLIED, REFUSED, MAPPING_FAILED, IGNORED, DUPLICATE = "applied", "refused", "mapping_failed", "ignored", "duplicate"
OUTCOMES = (APPLIED, REFUSED, MAPPING_FAILED, IGNORED, DUPLICATE)
MAPPING_FAILED_CODE = "MAPPING_FAILED"
BLOCKED = "blocked"
"""A message the tracking plan blocked (`receiver.ingest.plan_gate`) counts as ignored: it reached no mapping."""
CURRENT_SECONDS = 300
"""The "current" error rate is over the last five minutes (or the window, when shorter)."""
TOP_ERRORS = 5


@dataclass(frozen=True)
class Window:
    """A dashboard time range and the width of its chart buckets."""

    name: str
    label: str
    seconds: int
    bucket_seconds: int


WINDOWS = {
    w.name: w
    for w in (
        Window("15m", "Last 15 minutes", 15 * 60, 60),
        Window("1h", "Last hour", 3600, 60),
        Window("24h", "Last 24 hours", 24 * 3600, 5 * 60),
        Window("7d", "Last 7 days", 7 * 24 * 3600, 3600),
    )
}
"""Minute buckets up to an hour; 5-minute buckets (288 bars) for a day and hourly ones (168) for a week,
drawn as their average per minute."""
MAX_SOURCES = 20
"""Freshness rows shown at most (source names come from event data, so their number is the sender's choice)."""
DEFAULT_WINDOW = "1h"


def window(name: str | None) -> Window:
    """The named window; an unknown name gets the default rather than an error (it came from a URL)."""
    return WINDOWS.get(name or "", WINDOWS[DEFAULT_WINDOW])


def outcome(entry: LogEntry) -> str:
    """Which of the five outcomes an inbound-log entry records."""
    if entry.error_code == MAPPING_FAILED_CODE:
        return MAPPING_FAILED
    if entry.error is not None or entry.status >= 400:
        return REFUSED
    status = entry.response.get("status") if isinstance(entry.response, dict) else None
    if status in (IGNORED, BLOCKED):
        return IGNORED
    if status == DUPLICATE:
        return DUPLICATE
    return APPLIED


def error_code(entry: LogEntry) -> str:
    """The code a refusal is counted under (its HTTP status when it has none)."""
    return entry.error_code or f"HTTP_{entry.status}"


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile (what a person checking by hand gets); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def _start(now: datetime, span: Window) -> datetime:
    """The first bucket's start: buckets end at the bucket holding `now`, aligned to the bucket width."""
    epoch = now.timestamp()
    last = epoch - epoch % span.bucket_seconds
    count = span.seconds // span.bucket_seconds
    return datetime.fromtimestamp(last - (count - 1) * span.bucket_seconds, UTC)


def bounds(now: datetime, span: Window) -> tuple[datetime, datetime]:
    """[since, until) of the window's buckets: what the routes ask the logs for."""
    start = _start(now, span)
    count = span.seconds // span.bucket_seconds
    return start, start + timedelta(seconds=count * span.bucket_seconds)


def _bucket(moment: datetime, start: datetime, span: Window, count: int) -> int | None:
    index = int((moment - start).total_seconds() // span.bucket_seconds)
    return index if 0 <= index < count else None


def per_minute(counts: Sequence[int], span: Window) -> list[float]:
    """A bucket's count as a rate per minute, so "events per minute" holds whatever the bucket width."""
    minutes = span.bucket_seconds / 60
    return [round(count / minutes, 3) for count in counts]


def _error_link(code: str, since: datetime, log_path: str) -> str:
    return log_path + "?" + urlencode({"error_code": code, "since": since.replace(tzinfo=None).isoformat()})


def inbound_figures(
    entries: Iterable[LogEntry], now: datetime, span: Window, *, log_path: str = "/logs"
) -> dict[str, Any]:
    """Outcomes per bucket, refusals per code, webhook latency per bucket, error rates, top error codes.

    Latency counts the entries the webhook timed: the ones written without a webhook request
    (ignored, mapping failed, a refused Tracking-API call) carry a response time of 0.
    """
    start, until = bounds(now, span)
    count = span.seconds // span.bucket_seconds
    series: dict[str, list[int]] = {name: [0] * count for name in OUTCOMES}
    by_code: dict[str, list[int]] = {}
    timings: list[list[float]] = [[] for _ in range(count)]
    codes: Counter[str] = Counter()
    recent_from = max(start, now - timedelta(seconds=CURRENT_SECONDS))
    recent = recent_errors = 0
    for entry in entries:
        index = _bucket(entry.timestamp, start, span, count)
        if index is None:
            continue
        kind = outcome(entry)
        series[kind][index] += 1
        if kind == REFUSED:
            code = error_code(entry)
            by_code.setdefault(code, [0] * count)[index] += 1
        if kind in (REFUSED, MAPPING_FAILED):
            codes[error_code(entry)] += 1
        if kind != DUPLICATE and entry.timestamp >= recent_from:
            recent += 1
            recent_errors += kind in (REFUSED, MAPPING_FAILED)
        if entry.response_time > 0:
            timings[index].append(entry.response_time)
    totals = {name: sum(values) for name, values in series.items()}
    events = sum(totals[name] for name in OUTCOMES if name != DUPLICATE)
    errors = totals[REFUSED] + totals[MAPPING_FAILED]
    every_timing = [value for bucket in timings for value in bucket]
    return {
        "window": span.name,
        "since": start.isoformat(),
        "until": until.isoformat(),
        "bucket_seconds": span.bucket_seconds,
        "buckets": [(start + timedelta(seconds=i * span.bucket_seconds)).isoformat() for i in range(count)],
        "outcomes": series,
        "refused_by_code": dict(sorted(by_code.items())),
        "per_minute": {
            "outcomes": {name: per_minute(values, span) for name, values in series.items()},
            "refused_by_code": {code: per_minute(values, span) for code, values in sorted(by_code.items())},
        },
        "totals": {**totals, "events": events, "errors": errors},
        "error_rate": {
            "window": errors / events if events else 0.0,
            "current": recent_errors / recent if recent else 0.0,
            "current_seconds": int((now - recent_from).total_seconds()),
        },
        "top_errors": [
            {"code": code, "count": n, "url": _error_link(code, start, log_path)}
            for code, n in codes.most_common(TOP_ERRORS)
        ],
        "latency": {
            "p50": [percentile(bucket, 0.5) for bucket in timings],
            "p99": [percentile(bucket, 0.99) for bucket in timings],
            "overall": {"p50": percentile(every_timing, 0.5), "p99": percentile(every_timing, 0.99)},
            "requests": len(every_timing),
        },
    }


def outbound_figures(
    entries: Iterable[LogEntry],
    now: datetime,
    span: Window,
    *,
    queue_depth: int | None,
    queue_history: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Messages delivered, retried and failed per bucket; retries are each message's attempts after the first.

    `queue_history` is the sampled depth per bucket (`QueueDepthHistory.series`), passed through.
    """
    start, _ = bounds(now, span)
    count = span.seconds // span.bucket_seconds
    series = {"delivered": [0] * count, "retries": [0] * count, "failed": [0] * count}
    for entry in entries:
        index = _bucket(entry.timestamp, start, span, count)
        if index is None:
            continue
        series["failed" if entry.error is not None else "delivered"][index] += 1
        attempts = entry.response.get("attempts") if isinstance(entry.response, dict) else None
        if isinstance(attempts, int) and attempts > 1:
            series["retries"][index] += attempts - 1
    return {
        "enabled": queue_depth is not None,
        "queue_depth": queue_depth,
        "series": series,
        "per_minute": {name: per_minute(values, span) for name, values in series.items()},
        "totals": {name: sum(values) for name, values in series.items()},
        "queue_depth_series": dict(queue_history) if queue_history is not None else None,
    }


def freshness(latest: Mapping[str, datetime | None], now: datetime) -> list[dict[str, Any]]:
    """Per source, when its last entry arrived and how many seconds ago (None: nothing yet)."""
    rows = []
    for source, moment in latest.items():
        rows.append(
            {
                "source": source,
                "last": moment.isoformat() if moment else None,
                "age_seconds": max(0.0, round((now - moment).total_seconds(), 3)) if moment else None,
            }
        )
    return rows


def source_freshness(
    seen: Iterable[Mapping[str, datetime]], now: datetime, *, always: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Freshness per inbound source, newest first: the latest of each source over several logs
    (inbound, duplicates); the `always` sources get a "never" row until they are first seen."""
    latest: dict[str, datetime] = {}
    for found in seen:
        for source, moment in found.items():
            latest[source] = max(moment, latest.get(source, moment))
    ordered = sorted(latest.items(), key=lambda item: item[1], reverse=True)[:MAX_SOURCES]
    rows: dict[str, datetime | None] = dict(ordered)
    for source in always:
        if not any(name == source or name.startswith(source + ":") for name in latest):
            rows[source] = None
    return freshness(rows, now)


def balance_series(events: Iterable[Any]) -> dict[str, list[tuple[str, int]]]:
    """Each account's balance after each event that moved it, oldest first: `{account: [(time, balance)]}`."""
    balances: dict[str, int] = {}
    series: dict[str, list[tuple[str, int]]] = {}
    for event in events:
        if not event.points:
            continue
        balances[event.account] = balances.get(event.account, 0) + event.points
        series.setdefault(event.account, []).append((event.received_at.isoformat(), balances[event.account]))
    return series
