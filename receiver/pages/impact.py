"""The Mappings page's "Impact on recent traffic" panel: what `live.impact` found, as the page shows it.

Only what changes is listed (as `diff` prints it), each payload field with its JSON pointer and its value
before and after as JSON; the totals count every entry, unchanged ones included. Events pasted by the user
are read as `diff --events` reads a file (one event, an array, JSON Lines or a Tracking-API batch).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from destination.delivery.events import EventsError, parse_events
from destination.delivery.impact import Entry, Kind
from receiver.errors import ApiError
from receiver.live.impact import RECENT, ImpactRun, MappingChange, impact_of
from receiver.live.mappings import MappingsService

PASTED_MAX_CHARS = 1024 * 1024


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _row(entry: Entry) -> dict[str, Any]:
    fields = [
        {
            "pointer": change.pointer,
            "change": change.change,
            "before": "" if change.change == "added" else _json(change.old),
            "after": "" if change.change == "removed" else _json(change.new),
        }
        for change in entry.fields
    ]
    return {
        "event_id": entry.event_id,
        "subscription": entry.subscription,
        "kind": entry.kind.value,
        "slug": entry.kind.name.lower().replace("_", "-"),
        "fields": fields,
        "old_error": entry.old_error,
        "new_error": entry.new_error,
    }


def impact_panel(run: ImpactRun) -> dict[str, Any]:
    """The panel's model: where the events came from, the totals, and a row per changed entry."""
    result = run.impact
    if run.source == RECENT:
        more = f" (the store keeps more: only the newest {run.bound} are compared)" if run.truncated else ""
        source = f"the {result.events} newest accepted messages, at most {run.bound}{more}"
    else:
        source = f"the {result.events} events given (at most {run.bound})"
    return {
        "source": source,
        "events": result.events,
        "changed": result.changed,
        "totals": [(kind, n) for kind, n in result.by_kind.items() if n],
        "rows": [_row(e) for e in result.entries if e.kind is not Kind.UNCHANGED],
        "warnings": list(run.warnings),
    }


def pasted_events(text: str) -> list[dict[str, Any]] | None:
    """Events pasted into the panel (None when the box is empty: the recent traffic); `ApiError` when broken."""
    if not text.strip():
        return None
    if len(text) > PASTED_MAX_CHARS:
        raise ApiError(422, "INVALID_EVENTS", "the pasted events are larger than 1 MB", field="impact_events")
    try:
        return parse_events(text, "pasted events")
    except EventsError as exc:
        raise ApiError(422, "INVALID_EVENTS", str(exc), field="impact_events") from None


async def impact_view(service: MappingsService, changes: Sequence[MappingChange], pasted: str) -> dict[str, Any]:
    """The panel for these changes, or `{"error": …}` saying which input is at fault."""
    try:
        return impact_panel(await impact_of(service, changes, pasted_events(pasted)))
    except ApiError as exc:
        return {"error": exc.message, "field": exc.field}
