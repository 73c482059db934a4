"""What `map` shows: why a trigger matched, what the mapping made, and what validation said."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from destination.definition.model import Definition
from destination.definition.subscriptions import Subscription
from destination.delivery.action import CompiledAction
from destination.errors import DestinationError, FQLSyntaxError, PayloadValidationError
from destination.fql import parser as fql
from destination.lint.warnings import trigger_warnings
from destination.mapping.engine import transform


@dataclass
class Report:
    """One subscription applied to one event."""

    name: str
    source: str
    action: str
    enabled: bool
    trigger: str
    matched: bool
    checks: list[dict[str, Any]] = field(default_factory=list)
    mapped: Any = None
    payload: Any = None
    error: str | None = None
    field: str | None = None
    warnings: list[str] = dataclasses.field(
        default_factory=list
    )  # why the trigger may never match, as `validate` warns

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check_dict(check: fql.Check) -> dict[str, Any]:
    """A check as plain data; a path the event lacks shows as `"missing": true`."""
    missing = check.value is fql.MISSING
    return {
        "condition": check.condition,
        "value": None if missing else check.value,
        "missing": missing,
        "result": check.result,
    }


def explain(definition: Definition, sub: Subscription, event: Mapping[str, Any], *, force: bool = False) -> Report:
    """Evaluate one subscription on one event; `force` maps it even when the trigger does not match."""
    report = Report(sub.name, sub.source, sub.action, sub.enabled, sub.subscribe, matched=False)
    try:
        trigger = fql.parse(sub.subscribe)
    except FQLSyntaxError as exc:
        report.error = f"trigger: {exc}"
        return report
    report.matched = trigger.matches(event)
    report.checks = [_check_dict(c) for c in trigger.explain(event)]
    if not report.matched:
        report.warnings = [w.message for w in trigger_warnings(sub.subscribe)]
    if not (report.matched or force):
        return report
    try:
        report.mapped = transform(sub.mapping, event)
        report.payload = CompiledAction(definition.action(sub.action), sub.mapping, definition=definition).payload(
            event
        )
    except PayloadValidationError as exc:
        report.error, report.field = exc.message, exc.field or None
    except DestinationError as exc:
        report.error = exc.message
    return report
