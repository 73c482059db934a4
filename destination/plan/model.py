"""A tracking plan loaded from YAML, and the problems a plan file can have, at line and column.

`plan_problems` is every problem of a plan file (its shape, then `meaning_problems`: a `required`
naming a property that is not declared, a `pattern` that is not a regular expression); `load_plan`
refuses a plan with any, so the checks that use a plan can trust it. `validate` reports the same
file through `destination.lint.planned.plan_file_problems`: the same schema and `meaning_problems`,
with lint's did-you-mean hints for the shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator

from destination.definition.project import PLAN_FILE, project_root
from destination.definition.yamlsrc import SourceFile, YAMLSyntaxError, load_source, plain
from destination.errors import DestinationError
from destination.plan.schema import NAMED_TYPES, SECTIONS, default_of, plan_file_schema

__all__ = ["PLAN_FILE", "PlanError", "PlanProblem", "PlannedEvent", "TrackingPlan", "load_plan", "plan_path"]


@dataclass(frozen=True)
class PlanProblem:
    """Where in the plan (a pointer; at the key itself when `key`) and what was expected."""

    pointer: list[str | int]
    message: str
    key: bool = False


class PlanError(DestinationError):
    """A plan file that cannot be used; the message lists each problem as `file:line:col: message`."""


@dataclass(frozen=True, eq=False)  # one object per planned event: hashable, so its validator is built once
class PlannedEvent:
    """One event of the plan; `schema` is the JSON Schema of its properties or traits ({} for alias)."""

    type: str
    name: str | None
    description: str
    version: int
    policy: str
    schema: Mapping[str, Any]
    index: int  # its place in `events:`, for pointing at it

    @property
    def section(self) -> str | None:
        """The message key the schema applies to: `properties`, `traits`, or None (alias)."""
        return SECTIONS[self.type]

    @property
    def label(self) -> str:
        return f"{self.type} {self.name!r}" if self.name else self.type

    def representative(self) -> dict[str, Any]:
        """The smallest Segment message of this event: its type and name, for evaluating triggers."""
        event: dict[str, Any] = {"type": self.type}
        if self.name is not None:
            event["event" if self.type in NAMED_TYPES else "name"] = self.name
        return event


@dataclass(frozen=True)
class TrackingPlan:
    version: int
    allow_unplanned: bool
    events: tuple[PlannedEvent, ...]
    source: str = ""
    policy: str = field(default_factory=lambda: default_of("policy"))
    """The default policy: of an event that names none, and of an unplanned one when `allow_unplanned` is false."""

    def find(self, message: Mapping[str, Any]) -> PlannedEvent | None:
        """The planned event a message is, by type and (for track) event name; None when unplanned."""
        kind = message.get("type")
        for event in self.events:
            if event.type != kind:
                continue
            if event.type in NAMED_TYPES and message.get("event") != event.name:
                continue
            if event.type not in NAMED_TYPES and event.name is not None and message.get("name") != event.name:
                continue
            return event
        return None


def plan_path() -> Path | None:
    """The project's own `tracking_plan.yaml` (never a shipped fallback), or None: no plan, no plan checks."""
    path = project_root() / PLAN_FILE
    return path if path.is_file() else None


def is_plan(data: Any) -> bool:
    """Whether a loaded document is a tracking plan (by its top-level keys)."""
    return isinstance(data, dict) and "events" in data and "subscribe" not in data


def parse_plan(data: Mapping[str, Any], source: str = "") -> TrackingPlan:
    """The typed plan from data that `plan_problems` found nothing in."""
    policy = data.get("policy", default_of("policy"))
    events = tuple(
        PlannedEvent(
            type=spec["type"],
            name=spec.get("name"),
            description=spec.get("description", default_of("event", "description")),
            version=spec.get("version", default_of("event", "version")),
            policy=spec.get("policy", policy),
            schema=_object_schema(spec, SECTIONS[spec["type"]]),
            index=i,
        )
        for i, spec in enumerate(data.get("events") or [])
    )
    return TrackingPlan(
        version=data["version"],
        allow_unplanned=data.get("allow_unplanned", default_of("allow_unplanned")),
        events=events,
        source=source,
        policy=policy,
    )


def _object_schema(spec: Mapping[str, Any], section: str | None) -> dict[str, Any]:
    written = dict(spec.get(section) or {}) if section else {}
    return {"type": default_of("object", "type"), **written}


def load_plan(path: Path) -> TrackingPlan:
    """A plan file, or PlanError naming each problem at its line and column."""
    try:
        source = load_source(path)
    except YAMLSyntaxError as exc:
        raise PlanError(f"{path}:{exc.position.line}:{exc.position.column}: {exc.message}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError(f"{path}: cannot read the tracking plan: {exc}") from None
    problems = plan_problems(source)
    if problems:
        lines = []
        for p in problems:
            at = source.position(p.pointer, key=p.key)
            lines.append(f"{path}:{at.line}:{at.column}: {p.message}")
        raise PlanError("\n".join(lines))
    return parse_plan(plain(source), str(path))


def plan_problems(source: SourceFile) -> list[PlanProblem]:
    """Every problem of a plan file: its shape, then what a schema cannot say (`meaning_problems`)."""
    data = plain(source)
    validator = Draft7Validator(plan_file_schema())
    found = [
        PlanProblem(list(e.absolute_path), f"/{'/'.join(map(str, e.absolute_path))}: {e.message}")
        for e in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    ]
    return found or meaning_problems(data)


def meaning_problems(data: Mapping[str, Any]) -> list[PlanProblem]:
    """What the plan's schema cannot say, for a plan of the right shape: an event planned twice, a
    `required` naming an undeclared property, a `pattern` that is not a regular expression."""
    return list(_meaning(data))


def _meaning(data: Mapping[str, Any]) -> Iterator[PlanProblem]:
    seen: dict[tuple[str, str | None], int] = {}
    for i, spec in enumerate(data.get("events") or []):
        key = (spec["type"], spec.get("name"))
        if key in seen:
            yield PlanProblem(
                ["events", i],
                f"{spec['type']} event {spec.get('name')!r} is planned twice (first at events/{seen[key]})",
            )
        seen.setdefault(key, i)
        section = SECTIONS[spec["type"]]
        for other in sorted({s for s in SECTIONS.values() if s} - {section}):
            if other in spec:
                carries = f"'{section}'" if section else "neither 'properties' nor 'traits'"
                yield PlanProblem(
                    ["events", i, other], f"{spec['type']} events carry {carries}, not '{other}'", key=True
                )
        if section and isinstance(spec.get(section), dict):
            yield from _schema_meaning(spec[section], ["events", i, section])


def _schema_meaning(schema: Mapping[str, Any], at: list[str | int]) -> Iterator[PlanProblem]:
    declared = schema.get("properties") or {}
    for n, name in enumerate(schema.get("required") or []):
        if name not in declared:
            known = ", ".join(declared) or "none"
            yield PlanProblem(
                [*at, "required", n],
                f"'required' names '{name}', which 'properties' does not declare; declared: {known}",
            )
    if "pattern" in schema:
        try:
            re.compile(schema["pattern"])
        except re.error as exc:
            yield PlanProblem([*at, "pattern"], f"'pattern' {schema['pattern']!r} is not a regular expression: {exc}")
    for name, prop in declared.items():
        yield from _schema_meaning(prop, [*at, "properties", name])
    if isinstance(schema.get("items"), dict):
        yield from _schema_meaning(schema["items"], [*at, "items"])
