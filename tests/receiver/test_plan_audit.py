"""A changed tracking plan is audited as `plan.change` by `receiver` (events added, removed, changed; the
file as target); a file touched with the same content, or broken, records nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from plans import write_plan

from receiver.config import ReceiverConfig
from receiver.ingest.plan_audit import PlanAuditor, plan_change
from receiver.ingest.plan_gate import gate_from_config
from receiver.store.audit import FieldChange, verify
from receiver.store.memory.config_state import MemoryConfigState

KEPT = {"type": "track", "name": "Kept", "policy": "allow", "properties": {"type": "object"}}
GONE = {"type": "track", "name": "Gone", "policy": "block", "properties": {"type": "object"}}
PLAN: dict[str, Any] = {"version": 1, "allow_unplanned": True, "events": [KEPT, GONE]}


def test_each_change_of_content_is_recorded_once_by_the_receiver(tmp_path: Path) -> None:
    path = tmp_path / "tracking_plan.yaml"
    write_plan(path, PLAN, stamp=1)
    gate = gate_from_config(ReceiverConfig(tracking_plan=str(path)))
    state = MemoryConfigState()
    auditor = PlanAuditor(state)
    gate.listener = auditor

    async def main() -> None:
        write_plan(path, PLAN, stamp=2)  # touched, same content
        gate.reload()
        changed = {**PLAN, "allow_unplanned": False, "events": [{**KEPT, "policy": "omit"}, {**GONE, "name": "New"}]}
        write_plan(path, changed, stamp=3)
        gate.reload()
        write_plan(path, "version: [", stamp=4)  # broken: the last good plan stays, nothing to record
        gate.reload()
        await auditor.drain()

    asyncio.run(main())
    found = asyncio.run(state.audit(10))
    assert len(found) == 1
    entry = found[0].entry
    assert (entry.actor, entry.action, entry.target, entry.role) == ("receiver", "plan.change", str(path), None)
    assert entry.what == "Tracking plan changed: 1 added, 1 removed, 1 changed, allow_unplanned True → False"
    assert entry.changes == (
        FieldChange("event track 'New'", None, "added"),
        FieldChange("event track 'Gone'", "planned", None),
        FieldChange("event track 'Kept'", "planned", "changed"),
        FieldChange("allow_unplanned", True, False),
    )
    assert verify(asyncio.run(state.audit_chain())) == []


def test_the_difference_of_two_plans_is_by_event_label(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    write_plan(path, PLAN, stamp=1)
    before = gate_from_config(ReceiverConfig(tracking_plan=str(path))).plan
    assert before is not None
    assert not plan_change(before, before)
    first = plan_change(None, before)
    assert first.added == ("track 'Kept'", "track 'Gone'") and {c.field for c in first.settings} == {
        "version",
        "allow_unplanned",
        "policy",
    }
