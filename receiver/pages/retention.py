"""The settings page's Retention section: how long each kind and each source is kept, as the store applies it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from receiver.config import ReceiverConfig
from receiver.logs.stored import StoredLog
from receiver.pages.views import show_second
from receiver.store.retention import DAY, Retention, retention_of

KINDS = (("inbound", "Inbound log"), ("outbound", "Outbound log"), ("duplicate", "Duplicates"))


@dataclass(frozen=True)
class RetentionRow:
    """One line of the section: what it covers, for how long, and whether that is the default."""

    name: str
    days: str
    default: bool
    last_seen: str = ""


def days_text(seconds: float | None) -> str:
    """`30 days`, `1 day`, `0.5 days`; `no limit` (kept until the log's size pushes it out)."""
    if seconds is None:
        return "no limit"
    days = seconds / DAY
    return f"{days:g} day" + ("" if days == 1 else "s")


def kind_rows(retention: Retention) -> list[RetentionRow]:
    """Each log's entries (from a source without a figure of its own)."""
    return [
        RetentionRow(label, days_text(retention.age_limit(kind, None)), retention.is_default(kind, None))
        for kind, label in KINDS
    ]


def source_rows(retention: Retention, seen: Mapping[str, datetime]) -> list[RetentionRow]:
    """The inbound log's sources, those seen so far and those the settings name, with their days."""
    names = sorted(set(seen) | set(retention.sources))
    return [
        RetentionRow(
            name,
            days_text(retention.age_limit("inbound", name)),
            retention.is_default("inbound", name),
            show_second(seen[name]) if name in seen else "not seen yet",
        )
        for name in names
    ]


def other_rows(retention: Retention) -> list[RetentionRow]:
    """What is kept apart from the entries: their bodies, the quarantine and the audit trail."""
    return [
        RetentionRow("Request and response bodies", days_text(retention.body_seconds), False),
        RetentionRow("Blocked messages (quarantine)", days_text(retention.quarantine_seconds), False),
        RetentionRow("Audit trail", days_text(retention.audit_seconds), False),
    ]


@dataclass(frozen=True)
class RetentionSection:
    kinds: list[RetentionRow]
    sources: list[RetentionRow]
    others: list[RetentionRow]
    capped: str | None
    """The older `store.log_max_age_seconds` when it caps every entry (shown, since it overrides)."""


async def retention_section(config: ReceiverConfig, log: StoredLog) -> RetentionSection:
    """The section as the store applies the settings now (`retention_of`), with the sources the inbound log holds."""
    retention = retention_of(config)
    return RetentionSection(
        kind_rows(retention),
        source_rows(retention, await log.sources()),
        other_rows(retention),
        days_text(retention.cap_seconds) if retention.cap_seconds is not None else None,
    )
