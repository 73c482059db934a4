"""Recent messages the ingest accepted, kept by the store: what "Load event from source" offers.

`RecentMessages` is a small addition to the store contract, kept beside it like `ConfigState`:
each backend keeps the newest messages within two bounds, a count and a byte total (of each
message's compact UTF-8 JSON), oldest dropped first; a message larger than the byte bound on
its own is not kept. On a shared database every instance writes to and reads from one list, so
a message one instance ingested is offered on another's setup page.

The memory backend (`store.memory.recent`) keeps the JSON text (not the caller's dict), so what a
reader gets is a copy as it was accepted, as on the durable backends (`store.sql.recent`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from receiver.jsontext import dumps_text

KIB = 1024


@dataclass(frozen=True)
class RecentBounds:
    """How many recent messages are kept, and how many bytes of JSON they may take together."""

    count: int = 200
    max_bytes: int = 1024 * KIB


@dataclass(frozen=True)
class RecentMessage:
    """One kept message; `seq` grows with every message kept, so a page can name one that stays put."""

    seq: int
    message: dict[str, Any]


def encode(message: Mapping[str, Any]) -> str:
    """The compact JSON a message is kept (and its bytes counted) as."""
    return dumps_text(message)


def size_of(text: str) -> int:
    return len(text.encode("utf-8"))


def within(rows: Sequence[tuple[int, str]], bounds: RecentBounds) -> list[RecentMessage]:
    """The newest-first `rows` (seq, JSON) that fit the bounds together, decoded."""
    kept: list[RecentMessage] = []
    total = 0
    for seq, text in rows[: bounds.count]:
        total += size_of(text)
        if total > bounds.max_bytes:
            break
        kept.append(RecentMessage(seq, json.loads(text)))
    return kept


@runtime_checkable
class RecentMessages(Protocol):
    """The newest accepted messages, bounded by count and bytes; shared when the store is."""

    bounds: RecentBounds

    async def remember(self, messages: Sequence[Mapping[str, Any]]) -> None:
        """Keep these messages (oldest first), dropping the oldest kept ones past the bounds."""
        ...

    async def recent(self) -> list[RecentMessage]:
        """The kept messages, newest first."""
        ...

    async def usage(self) -> tuple[int, int]:
        """How many messages and bytes the backend holds now: the bounds' proof (writers racing on a
        database may leave one batch more for a moment; the next write trims it)."""
        ...
