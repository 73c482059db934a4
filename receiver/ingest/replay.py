"""The quarantine as the pages and the API see it: list the messages the plan blocked, replay or drop one.

A replay takes the message out of the store's quarantine first (`quarantine_take`: of two replays
racing, one gets it, so a message is never delivered twice), reads the plan file again if it changed,
and sends the message down the ingest's own path (`Fanout.process(replay=True)`: no second
deduplication). If it still breaks the plan, the fanout blocks it again, so it is back in the
quarantine with the new violations; if the store could not take its requests (503), it is put back.
A drop takes it out without delivering it. Both are audited (`replay`, `quarantine.drop`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from receiver.core.audit import Actor
from receiver.errors import ApiError
from receiver.ingest.fanout import Fanout
from receiver.ingest.plan_gate import PLAN_BLOCKED
from receiver.store.audit import FieldChange
from receiver.store.config_state import ConfigState
from receiver.store.quarantine import NewQuarantined, Quarantined

logger = logging.getLogger(__name__)
LIST_LIMIT = 200
"""Quarantined messages one page or answer lists at most (newest first)."""


@dataclass(frozen=True)
class Quarantine:
    """The fanout that delivers a replayed message, and the store that keeps the blocked ones."""

    fanout: Fanout
    audit: ConfigState | None = None
    """Where each replay is recorded (`replay`); None records nothing."""

    async def listed(self, limit: int = LIST_LIMIT) -> tuple[list[Quarantined], int]:
        """The newest kept messages, and how many are kept in all."""
        store = self.fanout.service.store
        return await store.quarantine_list(limit=limit), await store.quarantine_count()

    async def replay(self, message_id: str, actor: Actor | None = None) -> dict[str, Any]:
        """Check the kept message against the plan as it is now and deliver it if it passes (see the module)."""
        store = self.fanout.service.store
        taken = await store.quarantine_take(message_id)
        if taken is None:
            raise ApiError(
                404, "NOT_QUARANTINED", "No quarantined message has this ID (replayed already?).", field="message_id"
            )
        self.fanout.gate.reload()
        try:
            report = await self.fanout.process(taken.message, replay=True)
        except Exception:
            await store.quarantine_put(_again(taken))
            raise
        if report.unfinished is not None:
            await store.quarantine_put(_again(taken))
        blocked = any(_blocked(entry.response) for entry in report.entries)
        plan = next((entry.plan_check for entry in report.entries if entry.plan_check is not None), None)
        if blocked:
            outcome = "blocked"
        elif report.unfinished is not None:
            outcome = "unavailable"
        else:
            outcome = "released"
        logger.info("quarantined message %s replayed: %s", taken.message_id, outcome)
        if self.audit is not None and actor is not None:
            what = f"Quarantined message replayed: {outcome}"
            change = FieldChange("outcome", "quarantined", outcome)
            await self.audit.append_audit(actor.entry("replay", what, target=taken.message_id, changes=[change]))
        return {
            "message_id": taken.message_id,
            "outcome": outcome,
            "plan": plan,
            "log_entries": [entry.seq for entry in report.entries],
        }

    async def drop(self, message_id: str, actor: Actor | None = None) -> Quarantined:
        """Take the kept message out of the quarantine without delivering it (audited); the message dropped."""
        taken = await self.fanout.service.store.quarantine_take(message_id)
        if taken is None:
            raise ApiError(
                404, "NOT_QUARANTINED", "No quarantined message has this ID (replayed already?).", field="message_id"
            )
        logger.info("quarantined message %s dropped", taken.message_id)
        if self.audit is not None and actor is not None:
            what = f"Quarantined message dropped ({taken.event or taken.event_type or 'event'}), not delivered"
            change = FieldChange("violations", len(taken.violations), None)
            await self.audit.append_audit(
                actor.entry("quarantine.drop", what, target=taken.message_id, changes=[change])
            )
        return taken


def _blocked(response: Any) -> bool:
    return isinstance(response, dict) and response.get("code") == PLAN_BLOCKED


def _again(taken: Quarantined) -> NewQuarantined:
    """The kept message as it was, to put back when its replay could not finish."""
    return NewQuarantined(
        taken.message_id, taken.quarantined_at, taken.event_type, taken.event, taken.message, taken.violations
    )
