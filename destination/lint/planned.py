"""`validate` against the tracking plan: the plan file's own problems, and warnings for mappings.

For each preset or mapping file, the planned events its trigger can match
(`destination.plan.matching`) are compared with what its mapping reads:
- `plan-unplanned`: the trigger matches no planned event (it names an event the plan lacks);
- `plan-undeclared`: an `@path` to `$.properties.…` / `$.traits.…` (or a `{{properties.…}}` in a
  `@template` or `@liquid`) that no matched event declares;
- `plan-optional`: a field the action declares `required` (or a key Antavo `requires` for the event
  name sent) is fed from a property the plan makes optional for a matched event, so an event without
  it fails at Segment (or at Antavo).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from destination.definition.model import Action, Definition
from destination.lint.hints import ShapeProblem, shape_problems
from destination.lint.warnings import did_you_mean
from destination.mapping.node import is_directive
from destination.plan.matching import declared_at, matched_events, optional_along, split_path
from destination.plan.model import PlannedEvent, TrackingPlan, meaning_problems
from destination.plan.schema import SECTIONS, plan_file_schema

__all__ = ["PlanWarning", "PlanWarnings", "plan_file_problems", "plan_warnings"]
_SECTIONS = frozenset(s for s in SECTIONS.values() if s)
_Needed = tuple[list[str], Any, str]  # a field's pointer, its mapping, and who requires it
_TEMPLATES = ("@template", "@liquid")
# `{{ properties.a.b }}`, `{{traits.x | upcase}}`: a template's reference to a planned section.
_REFERENCE = re.compile(r"\{\{-?\s*((?:" + "|".join(sorted(_SECTIONS)) + r")(?:\.[A-Za-z0-9_$]+|\[\d+\])+)")


def plan_file_problems(data: Any) -> list[tuple[str, ShapeProblem]]:
    """(rule, problem) for a plan file: `schema` for its shape, `plan` for what the schema cannot say."""
    shape = shape_problems(plan_file_schema(), data)
    if shape:
        return [("schema", p) for p in shape]
    return [("plan", ShapeProblem(p.pointer, p.message, p.key)) for p in meaning_problems(data)]


def _paths(value: Any, pointer: list[str | int]) -> Iterator[tuple[list[str | int], str]]:
    """Every `@path` in a mapping value, and every `{{properties.…}}`/`{{traits.…}}` a template reads
    (as the path it stands for), with its pointer."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, [*pointer, i])
    elif isinstance(value, dict):
        if isinstance(value.get("@path"), str):
            yield [*pointer, "@path"], value["@path"]
        for directive in _TEMPLATES:
            if isinstance(value.get(directive), str):
                yield from (([*pointer, directive], f"$.{m}") for m in _REFERENCE.findall(value[directive]))
        for key, item in value.items():
            yield from _paths(item, [*pointer, key])


def _direct_path(value: Any) -> str | None:
    """The path a field is fed from when its mapping is exactly one `@path`."""
    if isinstance(value, dict) and is_directive(value) and set(value) - {"_metadata"} == {"@path"}:
        path = value["@path"]
        return path if isinstance(path, str) else None
    return None


def _required_fields(definition: Definition, action: Action, full: Mapping[str, Any]) -> Iterator[_Needed]:
    """Each required field, each required member of an object field, and each key Antavo `requires`
    for the event name the mapping sends (`requires:` in antavo.yaml)."""
    for name, spec in action.fields.items():
        value = full.get(name)
        if spec.get("required"):
            yield [name], value, f"action '{action.key}'"
        members = spec.get("properties") or {}
        if isinstance(value, dict) and not is_directive(value):
            for member, member_spec in members.items():
                if member_spec.get("required") and member in value:
                    yield [name, member], value[member], f"action '{action.key}'"
    event_name = full.get(definition.field_for("action"))
    for field, keys in action.requires.get(event_name, {}).items() if isinstance(event_name, str) else ():
        value = full.get(field)
        if isinstance(value, dict) and not is_directive(value):
            for key in (k for k in keys if k in value):
                yield [field, key], value[key], f"Antavo for '{event_name}' events"


@dataclass(frozen=True)
class PlanWarning:
    """A warning at a pointer inside the subscription's `mapping` (at the key itself when `key`)."""

    rule: str
    pointer: list[str | int]
    message: str
    key: bool = False


@dataclass(frozen=True)
class PlanWarnings:
    """The warnings of one subscription, pointers inside its `mapping` (`subscribe` for unplanned)."""

    unplanned: str | None
    mapping: list[PlanWarning]


def _labels(events: list[PlannedEvent]) -> str:
    return ", ".join(e.label for e in events)


def plan_warnings(
    plan: TrackingPlan,
    definition: Definition,
    action: Action,
    trigger: str,
    written: Mapping[str, Any],
    full: Mapping[str, Any],
) -> PlanWarnings:
    """What the plan says about one subscription (`written`: its mapping as in the file; `full`: with defaults)."""
    events = matched_events(plan, trigger)
    if events is None:
        return PlanWarnings(None, [])
    if not events:
        planned = _labels(list(plan.events)) or "none"
        return PlanWarnings(
            f"trigger {trigger!r} matches no event of the tracking plan {plan.source}; planned: {planned}", []
        )
    found: list[PlanWarning] = []
    reads = list(_paths(dict(written), []))
    reads += [([], path) for name, value in full.items() if name not in written for _, path in _paths(value, [])]
    for pointer, path in reads:
        segments = split_path(path)
        if not segments or segments[0] not in _SECTIONS or len(segments) < 2:
            continue
        if any(declared_at(e, segments) is not None for e in events):
            continue
        near = {n for e in events if (c := declared_at(e, segments[:-1])) for n in (c[-1].get("properties") or {})}
        found.append(
            PlanWarning(
                "plan-undeclared",
                pointer,
                f"'{path}' is not declared in the tracking plan for {_labels(events)}"
                f"{did_you_mean(segments[-1], sorted(near))}",
                key=not pointer,
            )
        )
    for field, value, who in _required_fields(definition, action, full):
        fed = _direct_path(value)
        segments = split_path(fed) if fed is not None else None
        if not segments or segments[0] not in _SECTIONS:
            continue
        for event in events:
            optional = optional_along(event, segments)
            if optional is not None:
                at: list[str | int] = [*field, "@path"] if field[0] in written else []
                found.append(
                    PlanWarning(
                        "plan-optional",
                        at,
                        f"'{'.'.join(field)}' is required by {who}, but it is fed from '{fed}' and "
                        f"'{optional}' is optional in the tracking plan for {event.label}: an event without it fails",
                        key=not at,
                    )
                )
                break
    return PlanWarnings(None, found)
