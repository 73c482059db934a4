"""A changed tracking plan in the audit trail: `plan.change` by `receiver`, naming the file and the events
added, removed and changed.

The plan gate reads `tracking_plan.yaml` again when the file changes (`plan_gate.PlanGate.reload`, a
sync call on the request path); it tells its `listener` the old and new plan, and `PlanAuditor`
records the change as a task of the running loop, so no message waits for the store. A file touched
without a change in content (the same events, policies, schemas) records nothing. Each instance that
reads the change records it: on a shared store the trail shows every instance that took it up.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from destination.plan.model import PlannedEvent, TrackingPlan
from receiver.core.audit import RECEIVER
from receiver.store.audit import FieldChange
from receiver.store.config_state import ConfigState

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlanChange:
    """What changed between two plans, by event label; `settings` are the plan-wide ones that moved."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]
    settings: tuple[FieldChange, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.settings)

    def summary(self) -> str:
        parts = [f"{len(names)} {kind}" for kind, names in self.parts() if names]
        parts += [f"{change.field} {change.before} → {change.after}" for change in self.settings]
        return "Tracking plan changed: " + (", ".join(parts) or "no event changed")

    def parts(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return (("added", self.added), ("removed", self.removed), ("changed", self.changed))

    def changes(self) -> tuple[FieldChange, ...]:
        """As the audit entry's changes: one line per event, then the plan-wide settings."""
        events = [FieldChange(f"event {name}", None, "added") for name in self.added]
        events += [FieldChange(f"event {name}", "planned", None) for name in self.removed]
        events += [FieldChange(f"event {name}", "planned", "changed") for name in self.changed]
        return (*events, *self.settings)


def _shape(event: PlannedEvent) -> tuple[Any, ...]:
    return (event.description, event.version, event.policy, repr(dict(event.schema)))


def plan_change(before: TrackingPlan | None, after: TrackingPlan) -> PlanChange:
    """The difference between two plans (empty — false — when only the file's stamp moved)."""
    old = {event.label: _shape(event) for event in (before.events if before else ())}
    new = {event.label: _shape(event) for event in after.events}
    settings = tuple(
        FieldChange(name, getattr(before, name, None), getattr(after, name))
        for name in ("version", "allow_unplanned", "policy")
        if before is None or getattr(before, name) != getattr(after, name)
    )
    return PlanChange(
        tuple(name for name in new if name not in old),
        tuple(name for name in old if name not in new),
        tuple(name for name in new if name in old and old[name] != new[name]),
        settings,
    )


class PlanAuditor:
    """The plan gate's listener: records each change of content as `plan.change` (see the module)."""

    def __init__(self, state: ConfigState) -> None:
        self._state = state
        self._tasks: set[asyncio.Task[None]] = set()

    def __call__(self, path: Path, before: TrackingPlan | None, after: TrackingPlan) -> None:
        change = plan_change(before, after)
        if not change:
            return
        try:
            task = asyncio.get_running_loop().create_task(self._record(path, change))
        except RuntimeError:  # no loop (a sync caller, e.g. a test): nothing to record on
            logger.warning("tracking plan %s changed outside the event loop: not audited", path)
            return
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _record(self, path: Path, change: PlanChange) -> None:
        entry = RECEIVER.entry("plan.change", change.summary(), target=str(path), changes=change.changes())
        try:
            await self._state.append_audit(entry)
        except Exception as exc:  # the store is down: the plan still applies, the log says it was not audited
            logger.warning("tracking plan change of %s could not be audited: %r", path, exc)

    async def drain(self) -> None:
        """Wait for the changes being recorded (at shutdown, and in tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks))
