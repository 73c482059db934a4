"""What happened to one message, at every stage, read back from the logs with no waiting.

The ingest answers a Tracking-API call only once each of its messages is settled, so by the time
the caller has its 200 every stage is in the logs, on every backend: the inbound log holds one
entry per subscription request (its payload, the store's answer, the mapping and its version),
one for a message that stopped before any mapping (`NO_TRIGGER_MATCHED`, `DESTINATION_DISABLED`,
`TRIGGER_FAILED`, or `PLAN_BLOCKED`: outcome `blocked`, until a replay delivers it), and the
duplicate log one per copy dropped. `plan` is the tracking plan's verdict the newest checked entry
recorded (`receiver.ingest.plan_gate`), null when no plan checked the message. A verdict is those entries read
by the message's ID; a test run's verdicts are the entries that carry the run's name
(`receiver.core.test_runs`), and resetting the run deletes them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from receiver.core.audit import Actor
from receiver.ingest.outcomes import INTERNAL_ERROR, MAPPING_FAILED, TRIGGER_FAILED
from receiver.logs.sources import WEBHOOK
from receiver.logs.stored import StoredLog
from receiver.store.config_state import ConfigState
from receiver.store.entries import LogEntry, LogFilter

MESSAGE_ENTRIES = 200
"""Entries read for one message at most (a message makes one per matching subscription)."""
RUN_MESSAGES = 1000
"""Verdicts one test-run answer holds at most; past it the answer says `truncated`."""
RUN_ENTRIES = 20_000
"""Entries read for one test run at most, whatever their messages."""
PAGE = 500


def _routing_failure(entry: LogEntry) -> bool:
    return (
        entry.subscription is None and entry.source != WEBHOOK and entry.error_code in (TRIGGER_FAILED, INTERNAL_ERROR)
    )


def _ignored(entry: LogEntry) -> dict[str, Any] | None:
    """The answer of an entry that stopped before any mapping: ignored, or blocked by the tracking plan."""
    response = entry.response
    if isinstance(response, dict) and response.get("status") in ("ignored", "blocked") and entry.subscription is None:
        return response
    return None


def _plan(entry: LogEntry) -> dict[str, Any] | None:
    """The tracking plan's verdict an entry recorded, in the verdict's shape; None when unchecked."""
    check = entry.plan_check
    if check is None:
        return None
    return {key: check.get(key, default) for key, default in (("policy", None), ("violations", []), ("omitted", []))}


def _delivery(entry: LogEntry) -> dict[str, Any]:
    """One request a mapping made (or a direct webhook request): its payload and the store's answer."""
    failed_mapping = entry.error_code == MAPPING_FAILED
    return {
        "subscription": entry.subscription,
        "mapping_version": entry.mapping_version,
        "stage": "mapping" if failed_mapping else "store",
        "status": entry.status,
        "applied": entry.status < 300 and entry.error_code is None,
        "payload": None if failed_mapping else entry.request,
        "answer": entry.response,
        "error": _error(entry),
        "log_entry": entry.seq,
    }


def _error(entry: LogEntry) -> dict[str, Any] | None:
    """The refusal in the one error shape: the answer's own `error` (with its field) when it has one."""
    if entry.error_code is None:
        return None
    answer = entry.response
    given = answer.get("error") if isinstance(answer, dict) else None
    field = given.get("field") if isinstance(given, dict) else None
    return {"code": entry.error_code, "message": entry.error or "", "field": field if isinstance(field, str) else None}


def _outcome(routing: str, deliveries: Sequence[dict[str, Any]]) -> str:
    if routing != "routed":
        return routing if routing != "none" else "duplicate"
    applied = sum(1 for d in deliveries if d["applied"])
    if applied == len(deliveries):
        return "applied"
    if applied:
        return "partly_applied"
    return "mapping_failed" if all(d["stage"] == "mapping" for d in deliveries) else "refused"


def verdict_of(message_id: str, entries: Iterable[LogEntry], duplicates: Iterable[LogEntry]) -> dict[str, Any]:
    """The verdict the entries of one message tell, oldest first (see the module's docstring)."""
    mine = sorted(entries, key=lambda entry: entry.seq)
    copies = sorted(duplicates, key=lambda entry: entry.seq)
    routing, reason, code = "none", None, None
    deliveries: list[dict[str, Any]] = []
    plan = None
    for entry in mine:
        plan = _plan(entry) or plan
        ignored = _ignored(entry)
        if ignored is not None:
            # A replay after a block starts the message's story again: what it did then is what counts.
            routing, code, reason = ignored["status"], ignored.get("code"), ignored.get("reason")
            deliveries = []
        elif _routing_failure(entry):
            routing, code, reason = "failed", entry.error_code, entry.error
        else:
            deliveries.append(_delivery(entry))
    if deliveries and routing in ("none", "blocked"):
        routing, code, reason = "routed", None, None
    first = mine[0] if mine else (copies[0] if copies else None)
    return {
        "message_id": message_id,
        "outcome": _outcome(routing, deliveries),
        "received_at": first.timestamp if first else None,
        "source": first.source if first else None,
        "event_type": first.event_type if first else None,
        "customer_id": next((e.customer_id for e in mine if e.customer_id), None),
        "test_run": next((e.test_run for e in (*mine, *copies) if e.test_run), None),
        "routing": {"status": routing, "code": code, "reason": reason},
        "plan": plan,
        "deliveries": deliveries,
        "duplicates": [{"received_at": copy.timestamp, "log_entry": copy.seq} for copy in copies],
    }


@dataclass(frozen=True)
class Verdicts:
    """The verdicts the two logs of one app can tell."""

    log: StoredLog
    duplicates: StoredLog
    audit: ConfigState | None = None
    """Where a reset is recorded (`test_run.delete`); None records nothing (a verdicts-only use)."""

    async def of_message(self, message_id: str) -> dict[str, Any] | None:
        """The message's verdict; None when no log holds an entry under its ID."""
        where = LogFilter(id=message_id)
        entries = (await self.log.query(where, limit=MESSAGE_ENTRIES)).entries
        copies = (await self.duplicates.query(where, limit=MESSAGE_ENTRIES)).entries
        if not entries and not copies:
            return None
        return verdict_of(message_id, entries, copies)

    async def of_run(self, test_run: str) -> dict[str, Any]:
        """Every verdict of the run, oldest message first, bounded by `RUN_MESSAGES` and `RUN_ENTRIES`."""
        where = LogFilter(test_run=test_run)
        entries, complete = await _collect(self.log, where)
        copies, copies_complete = await _collect(self.duplicates, where)
        by_message: dict[str, tuple[list[LogEntry], list[LogEntry]]] = {}
        for entry in sorted((*entries, *copies), key=lambda e: e.seq):
            by_message.setdefault(entry.id, ([], []))
        for entry in entries:
            by_message[entry.id][0].append(entry)
        for entry in copies:
            by_message[entry.id][1].append(entry)
        ids = list(by_message)
        kept = ids[:RUN_MESSAGES]
        items = [verdict_of(mid, *by_message[mid]) for mid in kept]
        totals: dict[str, int] = {}
        for item in items:
            totals[item["outcome"]] = totals.get(item["outcome"], 0) + 1
        truncated = not (complete and copies_complete) or len(ids) > len(kept)
        return {"test_run": test_run, "count": len(items), "outcomes": totals, "truncated": truncated, "items": items}

    async def reset(self, test_run: str, actor: Actor | None = None) -> int:
        """Forget the run's verdicts (its entries in both logs), audited; the events the run applied stay."""
        where = LogFilter(test_run=test_run)
        forgotten = await self.log.forget(where) + await self.duplicates.forget(where)
        if self.audit is not None and actor is not None:
            what = f"Test run {test_run} reset ({forgotten} log entries deleted)"
            await self.audit.append_audit(actor.entry("test_run.delete", what, target=test_run))
        return forgotten


async def _collect(log: StoredLog, where: LogFilter) -> tuple[list[LogEntry], bool]:
    """The matching entries, newest first, up to `RUN_ENTRIES`; and whether that was all of them."""
    found, more = await log.collect(where, at_most=RUN_ENTRIES, page=PAGE)
    return found, not more
