"""The Delivery Overview's answer: the window's entries read through the logs (bounded), the funnels of
`receiver.ingest.overview`, and each sample's links to its verdict and log entry.

What `GET /v1/overview` answers and the `/overview` page draws is the same dict. The work is bounded: at
most `MAX_ENTRIES` entries of each log are read (newest first), and `truncated` says when a log held more
in the window, so a busy 7-day window answers quickly with the newest part of it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from receiver.ingest.overview import funnels, outbound_funnel, received_items
from receiver.logs.stored import StoredLog
from receiver.pages import dashboard
from receiver.pages.views import LOGS_PATH, OUTBOUND_LOGS_PATH
from receiver.store.entries import LogEntry, LogFilter

WINDOWS: dict[str, tuple[str, int]] = {name: (w.label, w.seconds) for name, w in dashboard.WINDOWS.items()}
"""The dashboard's windows, label and length (a funnel needs no chart buckets)."""
DEFAULT_WINDOW = dashboard.DEFAULT_WINDOW
MAX_ENTRIES = 20_000
"""Entries read from each log at most per answer."""
PAGE = 1000
VERDICT_API = "/v1/messages/"
INBOUND_API = "/v1/logs"
OUTBOUND_API = "/v1/outbound-logs"


@dataclass(frozen=True)
class OverviewSources:
    """What the overview reads: the three logs, the outbox's depth (None when the sync is off), the mappings running."""

    inbound: StoredLog
    duplicates: StoredLog
    outbound: StoredLog
    queued: Callable[[], Awaitable[int]] | None
    mappings: Callable[[], Sequence[str]]


async def window_entries(
    log: StoredLog, since: datetime, until: datetime, test_run: str | None = None
) -> tuple[list[LogEntry], bool]:
    """The window's entries (of the test run, when given), newest first, up to `MAX_ENTRIES`; and whether
    the log held more."""
    where = LogFilter(since=since, until=until, test_run=test_run)
    return await log.collect(where, at_most=MAX_ENTRIES, page=PAGE)


def _links(sample: dict[str, Any]) -> dict[str, Any]:
    """A sample with its links: the verdict (API key), the log entry (API key) and the log page (signed in)."""
    message_id = sample["message_id"]
    outbound = sample["log"] == "outbound"
    query = "?" + urlencode({"id": message_id})
    return {
        **sample,
        "verdict_url": None if outbound else VERDICT_API + quote(message_id, safe=""),
        "log_entry_url": (OUTBOUND_API if outbound else INBOUND_API) + query,
        "log_page_url": (OUTBOUND_LOGS_PATH if outbound else LOGS_PATH) + query,
    }


def _linked_funnel(funnel: dict[str, Any]) -> dict[str, Any]:
    stages = [
        {**stage, "reasons": [{**r, "samples": [_links(s) for s in r["samples"]]} for r in stage["reasons"]]}
        for stage in funnel["stages"]
    ]
    omitted = funnel["plan_omitted"]
    return {
        **funnel,
        "stages": stages,
        "plan_omitted": {**omitted, "samples": [_links(s) for s in omitted["samples"]]},
    }


async def delivery_overview(
    sources: OverviewSources,
    window: str,
    subscription: str | None = None,
    now: datetime | None = None,
    *,
    test_run: str | None = None,
) -> dict[str, Any]:
    """The window's funnels (overall, per mapping, webhook requests) and the outbound sync, with samples;
    `test_run` keeps one CI run's messages (the outbound sync carries no run, so it is left out then)."""
    label, seconds = WINDOWS[window]
    until = now or datetime.now(UTC)
    since = until - timedelta(seconds=seconds)
    end = until + timedelta(microseconds=1)  # the filter's `until` is exclusive; this answer's is not
    inbound, more_inbound = await window_entries(sources.inbound, since, end, test_run)
    copies, more_copies = await window_entries(sources.duplicates, since, end, test_run)
    sent, more_sent = await window_entries(sources.outbound, since, end) if test_run is None else ([], False)
    found = funnels(received_items(inbound, copies), sources.mappings(), only=subscription)
    outbound = outbound_funnel(sent, await sources.queued() if sources.queued is not None else None)
    for reason in outbound["failed"]["reasons"]:
        reason["samples"] = [_links(s) for s in reason["samples"]]
    outbound["retried"]["samples"] = [_links(s) for s in outbound["retried"]["samples"]]
    return {
        "window": window,
        "label": label,
        "windows": {name: shown for name, (shown, _) in WINDOWS.items()},
        "since": since,
        "until": until,
        "subscription": subscription,
        "test_run": test_run,
        "truncated": more_inbound or more_copies or more_sent,
        "max_entries": MAX_ENTRIES,
        "overall": _linked_funnel(found["overall"]),
        "mappings": [_linked_funnel(funnel) for funnel in found["mappings"]],
        "webhook": _linked_funnel(found["webhook"]) if found["webhook"] is not None else None,
        "outbound": outbound,
    }


def meter(count: int, received: int) -> float:
    """A stage's share of what its funnel received, for the page's bars (0 for an empty funnel)."""
    return round(count / received, 4) if received else 0.0
