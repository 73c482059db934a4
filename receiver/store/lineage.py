"""Where an accepted event came from, and the mapping versions it names.

Why: a balance change in a customer's history must lead back to what caused it — the
Segment message, who sent it, the subscription and the mapping *as it was then* — and to
the inbound-log entry of the request. Each stored event so carries a `Lineage`, written
once with it, and the mappings it names are kept by content (`MappingVersion`, keyed by a
digest of what the mapping said), so editing a mapping later never rewrites its past.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

__all__ = ["Lineage", "MappingVersion", "lineage_from"]


class Lineage(NamedTuple):
    """One event's origin: its inbound-log entry, sender and, for a Tracking-API message, what mapped it.

    A named tuple, not a frozen dataclass: one is made per event on the ingest's hot path, at a third of the cost.
    """

    log_entry_id: str
    """The `id` of the request's inbound-log entry (the messageId when there is one)."""
    source: str
    """`webhook`, or `segment:<library>` for a Tracking-API message (`receiver.logs.sources`)."""
    message_id: str | None = None
    subscription: str | None = None
    """The subscription (mapping) name that made the request; None for a webhook call from outside."""
    mapping_version: str | None = None
    """The digest of that mapping as it ran (`MappingVersion.digest`)."""

    def as_json(self) -> dict[str, Any]:
        return self._asdict()


def lineage_from(value: Any) -> Lineage | None:
    """A stored lineage back from its JSON (None for an event written before lineage was kept)."""
    if not isinstance(value, Mapping):
        return None
    return Lineage(
        log_entry_id=str(value.get("log_entry_id", "")),
        source=str(value.get("source", "")),
        message_id=value.get("message_id"),
        subscription=value.get("subscription"),
        mapping_version=value.get("mapping_version"),
    )


@dataclass(frozen=True)
class MappingVersion:
    """A mapping as it ran: its digest, name and definition (trigger, action, fields as written)."""

    digest: str
    name: str
    definition: Mapping[str, Any]
    first_seen: datetime
