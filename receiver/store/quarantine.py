"""Messages the tracking plan blocked, kept so that they can be looked at and replayed.

One kept message per `messageId` (a message blocked again replaces its earlier copy), newest
first, within two bounds every backend applies alike: a count and a byte total of the kept
JSON (`StoreLimits.quarantine_size`, `quarantine_max_bytes`), the oldest dropped first; a
message larger than the byte bound on its own is not kept. `take` removes and returns one in
a single step, so two replays of the same message can never both deliver it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from receiver.jsontext import dumps_text


@dataclass(frozen=True)
class NewQuarantined:
    """A blocked message to keep: the message as it came, and the violations that blocked it."""

    message_id: str
    quarantined_at: datetime
    event_type: str | None
    event: str | None
    message: Mapping[str, Any]
    violations: Sequence[Mapping[str, Any]]

    def texts(self) -> tuple[str, str]:
        """The message's and the violations' JSON, as every backend keeps them."""
        return dumps_text(self.message), dumps_text(list(self.violations))


@dataclass(frozen=True)
class Quarantined:
    """One kept message; `seq` grows with every message kept (the newest has the highest)."""

    seq: int
    message_id: str
    quarantined_at: datetime
    event_type: str | None
    event: str | None
    message_json: str
    violations_json: str

    @property
    def message(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.message_json)
        return value

    @property
    def violations(self) -> list[dict[str, Any]]:
        value: list[dict[str, Any]] = json.loads(self.violations_json)
        return value

    def public(self) -> dict[str, Any]:
        """The kept message as the API answers it."""
        return {
            "seq": self.seq,
            "message_id": self.message_id,
            "quarantined_at": self.quarantined_at,
            "event_type": self.event_type,
            "event": self.event,
            "violations": self.violations,
            "message": self.message,
        }


def size_of(message_json: str, violations_json: str) -> int:
    """The bytes a kept message counts for against `quarantine_max_bytes`."""
    return len(message_json.encode("utf-8")) + len(violations_json.encode("utf-8"))


def event_name(message: Mapping[str, Any]) -> str | None:
    """The name a message is listed under: a track's `event`, a page's or screen's `name`."""
    value = message.get("event") if message.get("type") == "track" else message.get("name")
    return value if isinstance(value, str) else None


class QuarantineStore(Protocol):
    """The store contract's part for blocked messages: one per messageId, bounded (`LoyaltyStore` has it)."""

    async def quarantine_put(self, item: NewQuarantined) -> Quarantined | None:
        """Keep a blocked message (replacing its messageId's earlier copy); None when it is too large to keep."""
        ...

    async def quarantine_list(self, *, limit: int) -> list[Quarantined]:
        """The kept messages, newest first."""
        ...

    async def quarantine_count(self) -> int: ...

    async def quarantine_get(self, message_id: str) -> Quarantined | None: ...

    async def quarantine_take(self, message_id: str) -> Quarantined | None:
        """Remove and return the kept message, at once: of two callers racing, one gets it."""
        ...
