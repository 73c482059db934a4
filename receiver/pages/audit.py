"""What the audit page and its CSV export show: the trail newest first, filtered, a page at a time.

The filters come from a URL, so each is checked here and a bad one is refused naming its field
(`AuditQueryProblem`, a 400 on the page) rather than passed to the store. The CSV is built with the
csv module, and every cell a spreadsheet would take for a formula (`=`, `+`, `-`, `@`, tab, CR) is
prefixed with `'`: the trail holds text anyone with a write key or a form could have chosen.
An export is itself audited (`export`), with the filters it used.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from receiver.core.audit import Actor, readable
from receiver.pages.views import FieldProblem, positive_int, show_second
from receiver.store.audit import ACTIONS, AuditFilter, AuditRecord
from receiver.store.config_state import ConfigState

__all__ = [
    "ACTIONS",
    "EXPORT_MAX",
    "AuditPage",
    "AuditQuery",
    "AuditQueryProblem",
    "audit_page",
    "config_changes",
    "export_csv",
    "export_name",
    "rows",
    "safe_cell",
    "text",
    "to_csv",
]
PAGE_SIZE = 50
EXPORT_MAX = 10_000
"""An export holds at most this many records (newest first): narrow the filters for older ones."""
MAX_FILTER = 200
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = ("seq", "at", "actor", "role", "address", "action", "target", "what", "changes")


AuditQueryProblem = FieldProblem
"""A filter of the audit page that cannot be used: `field` names it."""


@dataclass(frozen=True)
class AuditQuery:
    """The page's filters: actor (exact), action (exact, or a prefix ending in `.`), the cursor (older than)."""

    actor: str | None = None
    action: str | None = None
    cursor: int | None = None

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> AuditQuery:
        """The filters of a query string; an empty one is no filter."""
        actor = (params.get("actor") or "").strip() or None
        action = (params.get("action") or "").strip() or None
        for name, value in (("actor", actor), ("action", action)):
            if value is not None and len(value) > MAX_FILTER:
                raise AuditQueryProblem(name, f"at most {MAX_FILTER} characters")
        given = (params.get("cursor") or "").strip()
        cursor = positive_int("cursor", given, "must be a positive whole number (the seq to page back from)", digits=18)
        return cls(actor, action, cursor)

    def query_string(self, *, cursor: int | None = None) -> str:
        """This query as URL parameters (with another cursor), for the next page and the export link."""
        pairs = {"actor": self.actor, "action": self.action, "cursor": cursor}
        return urlencode({k: v for k, v in pairs.items() if v is not None})


text = readable
"""A before/after value as a person reads it (`core.audit.readable`)."""


def rows(records: Iterable[AuditRecord]) -> list[dict[str, Any]]:
    """The records as the templates show them."""
    return [
        {
            "seq": record.seq,
            "at": show_second(record.entry.at),
            "actor": record.entry.actor,
            "role": record.entry.role or "",
            "address": record.entry.address or "",
            "action": record.entry.action,
            "target": record.entry.target or "",
            "what": record.entry.what,
            "changes": [(c.field, text(c.before), text(c.after)) for c in record.entry.changes],
        }
        for record in records
    ]


@dataclass(frozen=True)
class AuditPage:
    """One page of the trail and the cursor of the next (None: this is the oldest page)."""

    rows: list[dict[str, Any]]
    next_cursor: int | None


async def audit_page(state: ConfigState, query: AuditQuery, size: int = PAGE_SIZE) -> AuditPage:
    found = await state.audit(size + 1, AuditFilter(query.actor, query.action, cursor=query.cursor))
    shown = found[:size]
    return AuditPage(rows(shown), shown[-1].seq if len(found) > size else None)


CONFIG_ACTIONS = ("settings.", "mapping.")
"""What the settings page's short list shows: changes of the configuration, not sign-ins or exports."""


async def config_changes(state: ConfigState, limit: int) -> list[dict[str, Any]]:
    """The newest settings and mapping changes, as rows (the settings page's "recent changes")."""
    found = [record for action in CONFIG_ACTIONS for record in await state.audit(limit, AuditFilter(action=action))]
    return rows(sorted(found, key=lambda record: record.seq, reverse=True)[:limit])


def safe_cell(value: str) -> str:
    """A cell no spreadsheet runs as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def to_csv(records: Iterable[AuditRecord]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows(records):
        changes = "; ".join(f"{field}: {before} → {after}" for field, before, after in row["changes"])
        cells = [str(row["seq"]), row["at"], row["actor"], row["role"], row["address"], row["action"]]
        writer.writerow([safe_cell(cell) for cell in [*cells, row["target"], row["what"], changes]])
    return out.getvalue()


async def export_csv(state: ConfigState, query: AuditQuery, actor: Actor) -> str:
    """The filtered trail as CSV (newest first, at most `EXPORT_MAX`), the export itself audited."""
    records = await state.audit(EXPORT_MAX, AuditFilter(query.actor, query.action, cursor=query.cursor))
    filters = query.query_string(cursor=query.cursor) or "no filter"
    await state.append_audit(
        actor.entry("export", f"Audit trail exported as CSV ({len(records)} records)", target=filters)
    )
    return to_csv(records)


def export_name(now: datetime | None = None) -> str:
    return f"audit-{(now or datetime.now(UTC)).strftime('%Y%m%d-%H%M%S')}.csv"
