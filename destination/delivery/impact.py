"""The impact of a mapping change before it is saved: both subscription sets over the same events.

Each set runs through the delivery `Pipeline` (trigger, mapping, cleaning, validation) exactly as
`send` and the receiver run it, so what the report says changes is what would change in Antavo.
Subscriptions are matched by name; one only in one set counts as added or removed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

from destination.definition.model import Definition
from destination.definition.subscriptions import Subscription
from destination.delivery.pipeline import Outcome, Pipeline

# The URL is never compared: only the body is, so no stack needs to be known.
BASE_URL = "https://antavo.invalid"
MISSING: Any = object()


class Kind(str, Enum):
    """What an edit did to one subscription on one event, in report order."""

    NEWLY_MATCHED = "newly matched"
    NO_LONGER_MATCHED = "no longer matched"
    PAYLOAD_CHANGED = "payload changed"
    NEW_ERROR = "new validation error"
    ERROR_FIXED = "error fixed"
    ERROR_CHANGED = "error changed"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class FieldChange:
    """One field of the body: `old`/`new` is None with `added`/`removed` saying which side lacks it."""

    pointer: str
    change: str  # "changed" | "added" | "removed"
    old: Any = None
    new: Any = None


@dataclass(frozen=True)
class Entry:
    """One subscription on one event, where at least one of the two sets' triggers matched."""

    event: int  # the event's position in the input, from 0
    event_id: str
    subscription: str
    kind: Kind
    fields: tuple[FieldChange, ...] = ()
    old_error: str | None = None
    new_error: str | None = None


@dataclass(frozen=True)
class Impact:
    """Every entry, in event then subscription-name order, and the counts a reviewer reads first."""

    entries: tuple[Entry, ...]
    events: int
    by_kind: dict[str, int] = field(default_factory=dict)
    by_subscription: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(e.kind is not Kind.UNCHANGED for e in self.entries)

    def as_dict(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "changed": self.changed,
            "summary": {"by_kind": self.by_kind, "by_subscription": self.by_subscription},
            "entries": [{**asdict(e), "kind": e.kind.value} for e in self.entries],
        }


def _pointer_part(key: str | int) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def field_changes(old: Any, new: Any, pointer: str = "") -> list[FieldChange]:
    """RFC 6901 pointers of every leaf that differs; objects and arrays are walked, in key order."""
    if isinstance(old, dict) and isinstance(new, dict):
        found: list[FieldChange] = []
        for key in sorted(set(old) | set(new), key=str):
            found += field_changes(old.get(key, MISSING), new.get(key, MISSING), f"{pointer}/{_pointer_part(key)}")
        return found
    if isinstance(old, list) and isinstance(new, list):
        found = []
        for index in range(max(len(old), len(new))):
            a = old[index] if index < len(old) else MISSING
            b = new[index] if index < len(new) else MISSING
            found += field_changes(a, b, f"{pointer}/{index}")
        return found
    if old is MISSING:
        return [FieldChange(pointer, "added", None, new)]
    if new is MISSING:
        return [FieldChange(pointer, "removed", old, None)]
    if old == new and isinstance(old, bool) == isinstance(new, bool):  # 1 is 1.0 (one JSON number), never True
        return []
    return [FieldChange(pointer, "changed", old, new)]


def _error(outcome: Outcome) -> str | None:
    if outcome.error is None:
        return None
    return f"{outcome.error} (field: {outcome.field})" if outcome.field else outcome.error


def _body(outcome: Outcome) -> dict[str, Any] | None:
    """The body Antavo would receive, secrets masked (a report may be posted on a pull request)."""
    return outcome.request.redacted_json() if outcome.request is not None else None


def compare(event: int, event_id: str, name: str, old: Outcome | None, new: Outcome | None) -> Entry:
    """Classify one subscription on one event from the two sets' outcomes (None: did not match)."""
    old_error = _error(old) if old else None
    new_error = _error(new) if new else None
    if old is None or new is None:
        kind = Kind.NEWLY_MATCHED if old is None else Kind.NO_LONGER_MATCHED
        return Entry(event, event_id, name, kind, (), old_error, new_error)
    if old_error is None and new_error is None:
        fields = tuple(field_changes(_body(old), _body(new)))
        return Entry(event, event_id, name, Kind.PAYLOAD_CHANGED if fields else Kind.UNCHANGED, fields)
    if old_error is None:
        kind = Kind.NEW_ERROR
    elif new_error is None:
        kind = Kind.ERROR_FIXED
    else:
        kind = Kind.UNCHANGED if old_error == new_error else Kind.ERROR_CHANGED
    return Entry(event, event_id, name, kind, (), old_error, new_error)


def event_id(event: Mapping[str, Any], index: int) -> str:
    """How the report names an event: its messageId, else its name or type, with its position."""
    ident = event.get("messageId") or event.get("event") or event.get("type") or "event"
    return f"#{index + 1} {ident}"


def _by_name(outcomes: Iterable[Outcome]) -> dict[str, Outcome]:
    return {o.subscription.name: o for o in outcomes}


def impact(
    definition: Definition,
    settings: Mapping[str, Any],
    current: Sequence[Subscription],
    edited: Sequence[Subscription],
    events: Sequence[Mapping[str, Any]],
) -> Impact:
    """Run both sets over every event and say, per event and subscription, what the edit changes."""
    before = Pipeline(definition, current, settings, base_url=BASE_URL)
    after = Pipeline(definition, edited, settings, base_url=BASE_URL)
    entries: list[Entry] = []
    for index, event in enumerate(events):
        old, new = _by_name(before.run(event)), _by_name(after.run(event))
        ident = event_id(event, index)
        entries += [compare(index, ident, n, old.get(n), new.get(n)) for n in sorted(set(old) | set(new))]
    return summarised(tuple(entries), len(events))


def summarised(entries: tuple[Entry, ...], events: int) -> Impact:
    """Counts per kind (every kind, zero included) and per subscription (kinds it had)."""
    by_kind = {k.value: 0 for k in Kind}
    by_subscription: dict[str, dict[str, int]] = {}
    for entry in entries:
        by_kind[entry.kind.value] += 1
        counts = by_subscription.setdefault(entry.subscription, {})
        counts[entry.kind.value] = counts.get(entry.kind.value, 0) + 1
    ordered: dict[str, dict[str, int]] = {
        name: {k.value: by_subscription[name][k.value] for k in Kind if k.value in by_subscription[name]}
        for name in sorted(by_subscription)
    }
    return Impact(entries, events, by_kind, ordered)
