"""The impact of a Mappings-page edit before it is saved: the set the ingest runs and the set with the edit,
over the recent accepted messages (or events the user gives), compared by `destination.delivery.impact`.

The comparison is `antavo-actions diff`'s, unchanged: both sets go through the delivery `Pipeline` with
this receiver's destination settings, so what it reports is what the ingest would do differently. An edit
is checked by Save's own rules first (`validate`'s errors refuse it here too), so an impact is never shown
for a mapping that could not be saved. The recent messages are those `RecentMessages` keeps (through the
ingest's feed, so on a shared store every instance's traffic), at most `RECENT_BOUND`, newest first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from destination.definition.subscriptions import Subscription, subscription_from
from destination.delivery.impact import Impact, impact
from receiver.errors import ApiError
from receiver.ingest.outcomes import destination_settings
from receiver.live.mappings import FROM_SAVED, MappingEntry, MappingsService, errors_of, load_text

RECENT_BOUND = 100
"""Recent messages an impact runs over at most (the newest; the store may keep more)."""
GIVEN_BOUND = 500
"""Events given by the user an impact runs over at most."""
CHANGES_BOUND = 50
KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,119}")
RECENT, GIVEN = "recent", "given"


@dataclass(frozen=True)
class MappingChange:
    """One edit of the set: `text` replaces (or adds) the mapping `key`; None deletes the saved one, as the
    page's Delete does (a mapping of the mappings folder comes back: Revert to file)."""

    key: str
    text: str | None


@dataclass(frozen=True)
class ImpactRun:
    """What the edit changes, and over which events: `source` recent or given, `bound` the most it reads."""

    impact: Impact
    source: str
    bound: int
    available: int
    """How many events there were before the bound (recent: as many as were read, at most bound + 1)."""
    warnings: tuple[str, ...] = ()

    @property
    def truncated(self) -> bool:
        return self.available > self.bound


def invalid(field: str, message: str, code: str = "INVALID_MAPPING") -> ApiError:
    return ApiError(422, code, message, field=field)


def _edited_entry(
    service: MappingsService, change: MappingChange, before: MappingEntry | None, where: str
) -> tuple[Subscription | None, list[str]]:
    """The subscription the change leaves under its key (None: none), and `validate`'s warnings on it."""
    if change.text is None:
        if before is None or before.origin != FROM_SAVED:
            raise invalid(f"{where}.key", f"no saved mapping {change.key!r} to delete", "MAPPING_NOT_SAVED")
        if not service.has_file(change.key):
            return None, []
        text = service.file_text(change.key)
        source = f"file:{change.key}.yaml"
    else:
        text, source = change.text, f"edit:{change.key}.yaml"
    problems = service.problems(text, change.key)
    errors = errors_of(problems)
    if errors:
        raise invalid(f"{where}.text", "; ".join(p.text() for p in errors))
    data = load_text(text)
    warnings = [p.text() for p in problems]
    if not isinstance(data, dict):  # what `validate` accepts is a mapping file; this keeps mypy and us sure
        raise invalid(f"{where}.text", "a mapping file must be a YAML mapping")
    return subscription_from(data, service.definition, source), warnings


async def edited_sets(
    service: MappingsService, changes: Sequence[MappingChange], where: str = "mappings"
) -> tuple[list[Subscription], list[Subscription], list[str]]:
    """The set the ingest runs, the set with the changes, and `validate`'s warnings on the changed ones."""
    if not changes:
        raise invalid(where, "give at least one mapping change")
    if len(changes) > CHANGES_BOUND:
        raise invalid(where, f"at most {CHANGES_BOUND} mapping changes at once")
    entries = {entry.key: entry for entry in await service.entries()}
    current = {key: service.subscription(entry) for key, entry in entries.items() if entry.data}
    edited: dict[str, Subscription | None] = dict(current)
    warnings: list[str] = []
    seen: set[str] = set()
    for index, change in enumerate(changes):
        at = f"{where}.{index}"
        if not KEY.fullmatch(change.key):
            raise invalid(f"{at}.key", "a mapping key is a file stem: letters, digits, '_', '-' and '.'")
        if change.key in seen:
            raise invalid(f"{at}.key", f"mapping {change.key!r} is changed twice")
        seen.add(change.key)
        edited[change.key], found = _edited_entry(service, change, entries.get(change.key), at)
        warnings += found
    kept = [sub for sub in edited.values() if sub is not None]
    return list(current.values()), kept, warnings


def checked_events(events: Sequence[Any], where: str = "events") -> list[dict[str, Any]]:
    """Given events, each a JSON object (a Segment event), at most `GIVEN_BOUND`."""
    if not events:
        raise invalid(where, "give at least one event, or none to use the recent traffic", "INVALID_EVENTS")
    if len(events) > GIVEN_BOUND:
        raise invalid(where, f"at most {GIVEN_BOUND} events at once (got {len(events)})", "INVALID_EVENTS")
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            kind = type(event).__name__
            raise invalid(f"{where}.{index}", f"event {index} is {kind}, expected a JSON object", "INVALID_EVENTS")
    return list(events)


async def impact_of(
    service: MappingsService, changes: Sequence[MappingChange], events: Sequence[Mapping[str, Any]] | None = None
) -> ImpactRun:
    """What the changes would do to the given events, or to the recent traffic when none are given."""
    current, edited, warnings = await edited_sets(service, changes)
    if events is None:
        recent = [kept.message for kept in await service.recent("", limit=RECENT_BOUND + 1)]
        chosen, source, bound, available = recent[:RECENT_BOUND], RECENT, RECENT_BOUND, len(recent)
    else:
        chosen = checked_events(events)
        source, bound, available = GIVEN, GIVEN_BOUND, len(chosen)
    settings = destination_settings(service.definition, service.config)
    result = impact(service.definition, settings, current, edited, chosen)
    return ImpactRun(result, source, bound, available, tuple(warnings))
