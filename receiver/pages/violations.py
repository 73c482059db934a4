"""The dashboard's tracking-plan figures: violations per event and kind over the window, with samples.

Read from the inbound log's entries, like every other figure (`receiver.pages.dashboard`): each
entry of a checked message records the plan's verdict (`LogEntry.plan_check`), and a message that
made several entries (one per subscription) is counted once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from receiver.store.entries import LogEntry

SAMPLES = 5
"""Message IDs shown per event and kind, newest first, each a link to its log entries."""
MAX_ROWS = 50
"""Rows shown at most (event labels come from the plan, or one label for every unplanned event)."""


def plan_violations(entries: Iterable[LogEntry], *, log_path: str = "/logs") -> list[dict[str, Any]]:
    """`[{event, kind, count, policy, samples: [{message_id, message, url}]}]`, the most frequent first."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    seen: set[tuple[str, str, str]] = set()
    for entry in sorted(entries, key=lambda e: e.seq, reverse=True):
        check = entry.plan_check
        if not check:
            continue
        event = str(check.get("event") or entry.event_type or "")
        for violation in check.get("violations") or []:
            kind = str(violation.get("type", ""))
            if (entry.id, event, kind) in seen:
                continue
            seen.add((entry.id, event, kind))
            row = rows.setdefault(
                (event, kind), {"event": event, "kind": kind, "count": 0, "policy": check.get("policy"), "samples": []}
            )
            row["count"] += 1
            if len(row["samples"]) < SAMPLES and all(s["message_id"] != entry.id for s in row["samples"]):
                url = f"{log_path}?id={quote(entry.id, safe='')}"
                row["samples"].append({"message_id": entry.id, "message": violation.get("message"), "url": url})
    ordered = sorted(rows.values(), key=lambda row: (-row["count"], row["event"], row["kind"]))
    return ordered[:MAX_ROWS]
