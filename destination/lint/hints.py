"""Schema problems with the position a person has to fix and a did-you-mean.

A misspelt key (`subcribe:`) breaks two schema rules at once: the object has a key it may
not have, and the key it meant is missing. jsonschema reports both against the object
(`the document`, 1:1). Here the unknown key is reported at its own line and column with
the nearest allowed key, and the "missing" error that the same typo causes is folded
into it: one problem, one message. Values outside an `enum` get a did-you-mean too.
`liquid_problems` finds `@liquid` templates that cannot render at all (Segment's validator
only checks that they are strings).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError

from destination.lint.warnings import closest
from destination.mapping.liquid.engine import check_template

__all__ = ["ShapeProblem", "liquid_problems", "shape_problems"]


@dataclass(frozen=True)
class ShapeProblem:
    """Where (a pointer, at the key itself or its value) and what."""

    pointer: list[str | int]
    message: str
    key: bool = False


def _where(path: list[str | int]) -> str:
    return "/" + "/".join(map(str, path)) if path else "the document"


def _unknown_keys(error: ValidationError) -> list[str]:
    """The keys an `additionalProperties: false` error is about."""
    allowed = set(error.schema.get("properties") or {})
    patterns = list(error.schema.get("patternProperties") or {})
    return [k for k in error.instance if k not in allowed and not any(re.search(p, k) for p in patterns)]


def shape_problems(schema: dict[str, Any], data: Any) -> list[ShapeProblem]:
    """Every way `data` breaks `schema`, unknown keys at their own position, typos folded."""
    errors = sorted(Draft7Validator(schema).iter_errors(data), key=lambda e: list(e.absolute_path))
    missing: dict[tuple[Any, ...], list[str]] = {}
    for error in errors:
        if error.validator == "required" and isinstance(error.instance, dict):
            names = [n for n in error.validator_value if n not in error.instance]
            missing.setdefault(tuple(error.absolute_path), [])
            missing[tuple(error.absolute_path)] += [n for n in names if n not in missing[tuple(error.absolute_path)]]
    folded: set[tuple[tuple[Any, ...], str]] = set()
    found: list[ShapeProblem] = []
    for error in errors:
        path = list(error.absolute_path)
        if error.validator == "additionalProperties" and error.validator_value is False:
            found += _unknown(error, path, missing.get(tuple(path), []), folded)
        elif error.validator == "required":
            continue
        elif error.validator == "enum" and isinstance(error.instance, str):
            near = closest(error.instance, [str(v) for v in error.validator_value])
            hint = f" (did you mean '{near}'?)" if near else ""
            found.append(ShapeProblem(path, f"{_where(path)}: {error.message}{hint}"))
        else:
            found.append(ShapeProblem(path, f"{_where(path)}: {error.message}"))
    for where, names in missing.items():
        for name in names:
            if (where, name) not in folded:
                found.append(ShapeProblem(list(where), f"{_where(list(where))}: '{name}' is a required property"))
    return found


def _unknown(
    error: ValidationError, path: list[str | int], absent: list[str], folded: set[tuple[tuple[Any, ...], str]]
) -> list[ShapeProblem]:
    allowed = [k for k in (error.schema.get("properties") or {}) if k not in error.instance]
    found = []
    for key in _unknown_keys(error):
        here = [*path, key]
        near = closest(key, [n for n in absent if (tuple(path), n) not in folded]) or closest(key, allowed)
        if near is not None and near in absent:
            folded.add((tuple(path), near))
            message = f"unknown key '{key}': did you mean '{near}'? ('{near}' is required and missing)"
        elif near is not None:
            message = f"unknown key '{key}': did you mean '{near}'?"
        else:
            message = f"unknown key '{key}'; allowed here: {', '.join(error.schema.get('properties') or {})}"
        found.append(ShapeProblem(here, f"{_where(here)}: {message}", key=True))
    return found


def liquid_problems(mapping: Any, pointer: list[str | int] | None = None) -> list[ShapeProblem]:
    """`@liquid` templates Segment accepts but cannot render on any event (a disabled tag, unclosed markup…)."""
    here = pointer or []
    if isinstance(mapping, list):
        return [p for i, item in enumerate(mapping) for p in liquid_problems(item, [*here, i])]
    if not isinstance(mapping, dict):
        return []
    found = []
    template = mapping.get("@liquid")
    if isinstance(template, str):
        problem = check_template(template)
        if problem is not None:
            found.append(
                ShapeProblem(
                    [*here, "@liquid"],
                    f"Segment accepts this template but fails on every event that reaches it: {problem}",
                )
            )
    for key, value in mapping.items():
        if key != "@liquid":
            found += liquid_problems(value, [*here, key])
    return found
