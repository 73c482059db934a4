"""One Segment message checked against the plan, with RudderStack's violation kinds.

Pure functions, for the receiver to apply an event's `policy` with: `check_message` says
what is wrong and where (a JSON pointer into the message), `omit_unplanned` drops what the
plan does not declare. The schema part is the `jsonschema` library's (draft 7, formats on).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError

from destination.payload.messages import escape_pointer_token
from destination.plan.model import PlannedEvent, TrackingPlan

UNPLANNED = "Unplanned-Event"
REQUIRED = "Required-Missing"
DATATYPE = "Datatype-Mismatch"
ADDITIONAL = "Additional-Properties"
ENUM = "Enum-Mismatch"
PATTERN = "Pattern-Mismatch"
FORMAT = "Format-Mismatch"
OTHER = "Unknown-Violation"
_KINDS = {"type": DATATYPE, "enum": ENUM, "const": ENUM, "pattern": PATTERN, "format": FORMAT}


@dataclass(frozen=True)
class Violation:
    """What is wrong (`type`, RudderStack's kind), where (`instance_path`, a JSON pointer), and a message."""

    type: str
    instance_path: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        """RudderStack's shape: `{"type", "message", "meta": {"instancePath"}}`."""
        return {"type": self.type, "message": self.message, "meta": {"instancePath": self.instance_path}}


def _pointer(parts: list[str | int]) -> str:
    return "".join("/" + escape_pointer_token(str(p)) for p in parts)


@lru_cache(maxsize=256)
def _validator(event: PlannedEvent) -> Draft7Validator:
    return Draft7Validator(dict(event.schema), format_checker=Draft7Validator.FORMAT_CHECKER)


def _violations(error: ValidationError, section: str) -> list[Violation]:
    at: list[str | int] = [section, *error.absolute_path]
    if error.validator == "required":
        missing = [n for n in error.validator_value if isinstance(error.instance, dict) and n not in error.instance]
        return [Violation(REQUIRED, _pointer([*at, n]), f"'{n}' is required but missing") for n in missing]
    if error.validator == "additionalProperties":
        allowed = set(error.schema.get("properties") or {})
        extra = [k for k in error.instance if k not in allowed]
        return [Violation(ADDITIONAL, _pointer([*at, k]), f"'{k}' is not in the plan for this event") for k in extra]
    kind = _KINDS.get(str(error.validator), OTHER)
    return [Violation(kind, _pointer(at), error.message)]


def check_message(plan: TrackingPlan, message: Mapping[str, Any]) -> list[Violation]:
    """Every way `message` breaks the plan; [] when it is planned and fits its event's schema."""
    event = plan.find(message)
    return [unplanned(message)] if event is None else check_event(event, message)


def unplanned(message: Mapping[str, Any]) -> Violation:
    """The violation of a message the plan has no event for."""
    named = message.get("event") or message.get("name")
    what = f"{message.get('type')} {named!r}" if named else repr(message.get("type"))
    return Violation(UNPLANNED, "", f"{what} is not in the tracking plan")


def check_event(event: PlannedEvent, message: Mapping[str, Any]) -> list[Violation]:
    """Every way `message` breaks its planned `event` (already found, `TrackingPlan.find`)."""
    if event.section is None:
        return []
    payload = message.get(event.section)
    if payload is None:
        payload = {}  # Segment sends no `properties` key for an event without any
    found: dict[tuple[str, str], Violation] = {}
    for error in _validator(event).iter_errors(payload):
        for violation in _violations(error, event.section):
            found.setdefault((violation.type, violation.instance_path), violation)
    return sorted(found.values(), key=lambda v: (v.instance_path, v.type))


def _kept(value: Any, schema: Mapping[str, Any]) -> Any:
    if isinstance(value, dict) and isinstance(schema.get("properties"), Mapping):
        declared = schema["properties"]
        return {k: _kept(v, declared[k]) for k, v in value.items() if k in declared}
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        return [_kept(v, schema["items"]) for v in value]
    return copy.deepcopy(value)


def omit_unplanned(plan: TrackingPlan, message: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `message` without the properties or traits the plan does not declare (at any depth).

    An unplanned event is copied as it is: the plan declares nothing to keep, and `allow_unplanned`
    decides about it. An object declared without its members is kept whole.
    """
    event = plan.find(message)
    return copy.deepcopy(dict(message)) if event is None else omit_for(event, message)


def omit_for(event: PlannedEvent, message: Mapping[str, Any]) -> dict[str, Any]:
    """`omit_unplanned` for the planned `event` already found: the section copied once, as kept."""
    section = event.section
    if section is None or not isinstance(message.get(section), dict):
        return copy.deepcopy(dict(message))
    result = {key: copy.deepcopy(value) for key, value in message.items() if key != section}
    result[section] = _kept(message[section], event.schema)
    return result
