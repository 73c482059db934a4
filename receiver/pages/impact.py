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
from receiver.pages.pii import CLEAR, Masker

PASTED_MAX_CHARS = 1024 * 1024


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _shown(pointer: str, old: Any, new: Any, mask: Masker) -> tuple[Any, Any]:
    """A field's values as the panel shows them: masked when the field (its pointer's last member) is PII."""
    name = pointer.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
    before, after = mask({name: old}, {name: new})
    return before[name], after[name]


def _row(entry: Entry, mask: Masker) -> dict[str, Any]:
    fields = []
    for change in entry.fields:
        old, new = _shown(change.pointer, change.old, change.new, mask)
        before = "" if change.change == "added" else _json(old)
        after = "" if change.change == "removed" else _json(new)
        fields.append({"pointer": change.pointer, "change": change.change, "before": before, "after": after})
    return {
        "event_id": entry.event_id,
        "subscription": entry.subscription,
        "kind": entry.kind.value,
        "slug": entry.kind.name.lower().replace("_", "-"),
        "fields": fields,
        "old_error": entry.old_error,
        "new_error": entry.new_error,
    }


def impact_panel(run: ImpactRun, mask: Masker = CLEAR) -> dict[str, Any]:
    """The panel's model: where the events came from, the totals, and a row per changed entry (the
    plan's PII masked for who may not see it)."""
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
        "rows": [_row(e, mask) for e in result.entries if e.kind is not Kind.UNCHANGED],
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


async def impact_view(
    service: MappingsService, changes: Sequence[MappingChange], pasted: str, mask: Masker = CLEAR
) -> dict[str, Any]:
    """The panel for these changes, or `{"error": …}` saying which input is at fault."""
    try:
        return impact_panel(await impact_of(service, changes, pasted_events(pasted)), mask)
    except ApiError as exc:
        return {"error": exc.message, "field": exc.field}
