"""Warnings for mappings Segment accepts but Antavo will refuse: the contract in `antavo.yaml`.

Segment checks a payload against the action's fields only: a `point_add` whose `data` says
`pionts:` passes, and then every event fails at Antavo with `INVALID_POINTS`. What Antavo
needs is declared once in `antavo.yaml` — `requires:` (the keys an event name needs, per
field) and `dateFields:` (profile data Antavo stores as dates) — and read both by the
receiver, which enforces it, and by `validate`, which warns here:
- `contract-required`: a mapping sends a fixed event name without mapping a key it requires
  (with a did-you-mean for near misses: `pionts` → `points`);
- `contract-date`: a date field is mapped to a fixed text that is not a `YYYY-MM-DD` date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from destination.definition.model import Action, Definition
from destination.js.time import is_calendar_date
from destination.lint.warnings import closest
from destination.mapping.node import is_directive
from destination.mapping.reshape import merged_members

__all__ = ["ContractWarning", "contract_warnings", "definition_problems"]


@dataclass(frozen=True)
class ContractWarning:
    """A warning at a pointer inside the subscription's `mapping` (at the key itself when `key`)."""

    rule: str
    pointer: list[str]
    message: str
    key: bool = False


def _static_keys(value: Any) -> list[str] | None:
    """The keys a field's mapping always produces, when they are written out; None when a directive decides."""
    if isinstance(value, dict) and not is_directive(value):
        return list(value)
    members = merged_members(value)
    return None if members is None else [key for key, _ in members]


def _static_value(value: Any, key: str) -> Any:
    if isinstance(value, dict) and not is_directive(value):
        return value.get(key)
    return dict(merged_members(value) or []).get(key)


def contract_warnings(
    definition: Definition, action: Action, written: Mapping[str, Any], full: Mapping[str, Any]
) -> list[ContractWarning]:
    """What Antavo will refuse in a subscription's mapping (`written`: as in the file; `full`: with defaults)."""
    found = _required(definition, action, written, full)
    data = definition.field_for("data")
    for name in action.date_fields:
        value = _static_value(full.get(data), name)
        if isinstance(value, str) and value and not is_calendar_date(value):
            pointer = [data, name] if data in written else []
            found.append(
                ContractWarning(
                    "contract-date",
                    pointer,
                    f"'{data}.{name}' is a date for Antavo "
                    f"(YYYY-MM-DD, or a date-time at midnight), but it is mapped to {value!r}: Antavo refuses it",
                )
            )
    return found


def _required(
    definition: Definition, action: Action, written: Mapping[str, Any], full: Mapping[str, Any]
) -> list[ContractWarning]:
    name_field = definition.field_for("action")
    event_name = full.get(name_field)
    if not isinstance(event_name, str) or event_name not in action.requires:
        return []
    found = []
    for field, keys in action.requires[event_name].items():
        present = _static_keys(full.get(field, {}))
        if present is None:
            continue  # a directive decides the keys per event: nothing to say before it runs
        spare = [k for k in present if k not in keys]
        for key in (k for k in keys if k not in present):
            near = closest(key, spare)
            why = f"'{event_name}' events need '{field}.{key}', which this mapping does not map: Antavo refuses them"
            if near is not None:
                spare.remove(near)
                found.append(
                    ContractWarning(
                        "contract-required", [field, near], f"{why} (did you mean '{key}' for '{near}'?)", key=True
                    )
                )
            elif field in written:
                found.append(ContractWarning("contract-required", [field], why, key=True))
            else:
                found.append(ContractWarning("contract-required", [name_field], why))
    return found


def definition_problems(raw: Mapping[str, Any]) -> list[tuple[list[str], str]]:
    """`requires:` entries naming a field their action does not declare (pointer, message)."""
    found = []
    actions: dict[str, Any] = raw["actions"] if isinstance(raw.get("actions"), dict) else {}
    for key, action in actions.items():
        if not isinstance(action, dict) or not isinstance(action.get("requires"), dict):
            continue
        fields = action.get("fields") or {}
        for event_name, need in action["requires"].items():
            for field in need or {}:
                if field not in fields:
                    found.append(
                        (
                            ["actions", key, "requires", event_name, field],
                            f"'requires' of action '{key}' names '{field}', which the action does not declare",
                        )
                    )
    return found
