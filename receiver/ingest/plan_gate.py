"""Live plan checks: every Tracking-API message against the tracking plan, before any mapping.

The plan's verdict follows each event's `policy` (`destination.plan.schema`):

- `allow`: the message goes on as it came; its violations are recorded on its log entries;
- `omit`: what the plan does not declare is dropped first (`omit_unplanned`), and the dropped
  properties or traits are recorded as JSON pointers beside the violations;
- `block` (with any violation): the message goes no further; the fanout logs it and keeps it in
  the store's quarantine, from where `Replay` checks it again against the plan as it is then.

An unplanned event is fine while the plan allows them (`allow_unplanned`); otherwise it is an
`Unplanned-Event` violation, under the plan's own `policy`. The gate keeps the plan it was built
with and reads the file again when it changes (a broken edit keeps the last good plan, with a
warning), so a replay after the file is fixed sees the fix without a restart.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from destination.payload.messages import escape_pointer_token
from destination.plan.check import Violation, check_event, omit_for, unplanned
from destination.plan.model import PlanError, TrackingPlan, load_plan, plan_path
from destination.plan.pii import PiiFields, pii_fields
from destination.plan.schema import ALLOW, BLOCK, OMIT
from receiver.config import ReceiverConfig
from receiver.store.quarantine import NewQuarantined, event_name

logger = logging.getLogger(__name__)
OFF = "none"
"""The `tracking_plan` setting that turns the checks off."""
UNPLANNED_LABEL = "(unplanned)"
"""The metric's and dashboard's `event` for an unplanned one: event names of unplanned events are unbounded."""
PLAN_BLOCKED = "PLAN_BLOCKED"
"""The code of a blocked message's log entry (its response's `code`)."""
RELOAD_SECONDS = 1.0
"""How often, at most, the plan file is looked at for a change."""


class PlanSetupError(ValueError):
    """The configured tracking plan cannot be used at start; the message names the file and each problem."""


@dataclass(frozen=True)
class PlanCheck:
    """The plan's verdict on one message: the policy applied, what is wrong, and what was dropped."""

    policy: str
    event: str
    """The planned event's label (`track 'Order Completed'`), or `UNPLANNED_LABEL`."""
    violations: tuple[Violation, ...] = ()
    omitted: tuple[str, ...] = ()

    @property
    def blocked(self) -> bool:
        return self.policy == BLOCK and bool(self.violations)

    def record(self) -> dict[str, Any]:
        """What a log entry keeps: `{"policy", "violations", "omitted"}` (a verdict's `plan`), and the `event`."""
        return {
            "policy": self.policy,
            "event": self.event,
            "violations": [v.as_dict() for v in self.violations],
            "omitted": list(self.omitted),
        }


class CheckedMessage(dict[str, Any]):
    """A message the gate let through (for `omit`, the copy without what the plan does not declare),
    carrying the gate's verdict, so that every log entry the message makes records it."""

    plan: PlanCheck | None = None


def plan_record(message: Mapping[str, Any]) -> dict[str, Any] | None:
    """The plan verdict a message carries (`CheckedMessage`), as log entries keep it; None when unchecked."""
    check = getattr(message, "plan", None)
    return check.record() if isinstance(check, PlanCheck) else None


def dropped(before: Any, after: Any, at: str) -> list[str]:
    """JSON pointers (under `at`) of the object members in `before` that `after` no longer has, at any depth."""
    found: list[str] = []
    if isinstance(before, dict) and isinstance(after, dict):
        for key, value in before.items():
            here = f"{at}/{escape_pointer_token(str(key))}"
            found.extend([here] if key not in after else dropped(value, after[key], here))
    elif isinstance(before, list) and isinstance(after, list):
        for n, (old, new) in enumerate(zip(before, after, strict=False)):
            found.extend(dropped(old, new, f"{at}/{n}"))
    return found


def judge(plan: TrackingPlan, message: Mapping[str, Any]) -> tuple[PlanCheck, Mapping[str, Any]]:
    """The plan's verdict on `message`, and the message to deliver if it is not blocked (see the module)."""
    event = plan.find(message)
    if event is None:
        if plan.allow_unplanned:
            return PlanCheck(ALLOW, UNPLANNED_LABEL), message
        return PlanCheck(plan.policy, UNPLANNED_LABEL, (unplanned(message),)), message
    violations = tuple(check_event(event, message))
    if event.policy != OMIT or event.section is None:
        return PlanCheck(event.policy, event.label, violations), message
    kept = omit_for(event, message)
    gone = dropped(message.get(event.section), kept.get(event.section), f"/{event.section}")
    return PlanCheck(OMIT, event.label, violations, tuple(gone)), kept


@dataclass
class PlanGate:
    """One app's plan (None: no checks) and where it came from; counts violations per event and kind."""

    plan: TrackingPlan | None
    path: Path | None = None
    """The file to read again when it changes (None: the plan stays as given)."""
    violations: Counter[tuple[str, str]] = field(default_factory=Counter)
    """Violations since the app started, by (event label, kind): `antavo_plan_violations_total`."""
    listener: Callable[[Path, TrackingPlan | None, TrackingPlan], None] | None = None
    """Told (file, old plan, new plan) each time the file is read again (`plan_audit.PlanAuditor`)."""
    _stamp: tuple[int, int] | None = field(default=None, init=False, repr=False)
    _looked: float = field(default=0.0, init=False, repr=False)

    def __post_init__(self) -> None:
        self._stamp = _stamp_of(self.path)

    def check(self, message: dict[str, Any], *, count: bool = True) -> tuple[PlanCheck | None, dict[str, Any]]:
        """The verdict (None without a plan) and what goes on: `message` (itself without a plan), or its
        omitted copy, as a `CheckedMessage`. `count` False leaves the counting to `count` (a unit of work
        knows only once it is written whether the message was a duplicate)."""
        plan = self.current()
        if plan is None:
            return None, message
        verdict, passed = judge(plan, message)
        if count:
            self.count(verdict)
        checked = CheckedMessage(passed)
        checked.plan = verdict
        return verdict, checked

    def count(self, verdict: PlanCheck | None) -> None:
        """Add a message's violations to `violations`."""
        if verdict is None:
            return
        for violation in verdict.violations:
            self.violations[verdict.event, violation.type] += 1

    def current(self) -> TrackingPlan | None:
        """The plan, read again when its file changed since it was last looked at (at most each second)."""
        if self.path is None or time.monotonic() - self._looked < RELOAD_SECONDS:
            return self.plan
        return self.reload()

    def reload(self) -> TrackingPlan | None:
        """Read the file now if it changed (a replay wants the plan as it is); a broken one keeps the last plan."""
        self._looked = time.monotonic()
        stamp = _stamp_of(self.path)
        if self.path is None or stamp == self._stamp:
            return self.plan
        self._stamp = stamp
        try:
            before, self.plan = self.plan, load_plan(self.path)
            logger.info("tracking plan %s read again", self.path)
            if self.listener is not None:
                self.listener(self.path, before, self.plan)
        except PlanError as exc:
            logger.warning("tracking plan %s changed but cannot be used; the last good plan stays:\n%s", self.path, exc)
        return self.plan


class PlanPii:
    """The personal data of the gate's plan as it is now (`destination.plan.pii`), with the fields the
    mappings running fill from it (`birth_date` from `traits.birthday`); worked out again only when the
    plan or the mappings change."""

    def __init__(self, gate: PlanGate, mappings: Callable[[], Iterable[Mapping[str, Any]]] = tuple) -> None:
        self._gate = gate
        self._mappings = mappings
        self._for: tuple[TrackingPlan | None, tuple[Mapping[str, Any], ...]] = (None, ())
        self._fields = PiiFields()

    def current(self) -> PiiFields:
        key = (self._gate.current(), tuple(self._mappings()))
        if (
            key[0] is not self._for[0]
            or len(key[1]) != len(self._for[1])
            or any(a is not b for a, b in zip(key[1], self._for[1]))
        ):
            self._for, self._fields = key, pii_fields(key[0], key[1])
        return self._fields


def quarantined(message: Mapping[str, Any], verdict: PlanCheck, redact: Callable[[Any], Any]) -> NewQuarantined:
    """What the store keeps of a blocked message: the message (redacted as the log keeps it) and its violations."""
    kept = redact(dict(message))
    return NewQuarantined(
        message_id=str(message["messageId"]),
        quarantined_at=datetime.now(UTC),
        event_type=message.get("type") if isinstance(message.get("type"), str) else None,
        event=event_name(message),
        message=kept,
        violations=[v.as_dict() for v in verdict.violations],
    )


def blocked_answer(verdict: PlanCheck) -> dict[str, Any]:
    """What a blocked message's log entry answers: why, as a code and in words."""
    count = len(verdict.violations)
    reason = (
        f"{count} violation(s) of the tracking plan ({verdict.event}, policy block): not delivered, kept in the "
        "quarantine for replay."
    )
    return {"status": "blocked", "code": PLAN_BLOCKED, "reason": reason}


def _stamp_of(path: Path | None) -> tuple[int, int] | None:
    try:
        info = path.stat() if path is not None else None
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size) if info is not None else None


def gate_from_config(config: ReceiverConfig) -> PlanGate:
    """The gate the `tracking_plan` setting names; PlanSetupError (file, line, column, problem) when it cannot load."""
    setting = config.tracking_plan
    if setting is not None and setting.strip().lower() == OFF:
        return PlanGate(None)
    path = Path(setting) if setting else plan_path()
    if path is None:
        return PlanGate(None)
    if not path.is_file():
        raise PlanSetupError(f"{path}: the tracking plan (setting `tracking_plan`) is not a file")
    try:
        return PlanGate(load_plan(path), path)
    except PlanError as exc:
        raise PlanSetupError(f"cannot load the tracking plan {path}:\n{exc}") from None
