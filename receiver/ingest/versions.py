"""Mapping versions: each subscription the ingest runs, by a digest of what it says, kept before it is named.

Why: an event's lineage names the mapping that produced it, and a mapping can be edited a
minute later. The digest is of the subscription as it ran (name, trigger, action, the fields
as written and as run with the action's defaults), so an edit makes a new version and the old
one stays readable (`ConfigState.mapping_version`). Each version is written to the store once,
before the first event that names it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime

from destination.definition.subscriptions import Subscription
from receiver.jsontext import canonical_bytes
from receiver.store.lineage import MappingVersion

__all__ = ["DIGEST_LENGTH", "MappingVersions", "version_of"]

DIGEST_LENGTH = 16
"""Hex digits of SHA-256 kept: 64 bits, ample for one brand's mapping edits."""
REMEMBERED = 10_000
"""Digests known to be recorded; past this many the set starts again (a new write is harmless)."""

Record = Callable[[Sequence[MappingVersion]], Awaitable[None]]


def version_of(subscription: Subscription) -> MappingVersion:
    """The subscription as it runs, with its digest."""
    definition = {
        "name": subscription.name,
        "subscribe": subscription.subscribe,
        "partnerAction": subscription.action,
        "multi_accounts": subscription.multi_accounts,
        "written": dict(subscription.written),
        "mapping": dict(subscription.mapping),
    }
    digest = hashlib.sha256(canonical_bytes(definition)).hexdigest()[:DIGEST_LENGTH]
    return MappingVersion(digest, subscription.name, definition, datetime.now(UTC))


class MappingVersions:
    """The versions of the subscriptions one fan-out runs; `record` keeps one in the store (None: nowhere)."""

    def __init__(self, record: Record | None = None) -> None:
        self._record = record
        self._running: dict[int, MappingVersion] = {}
        self._recorded: set[str] = set()

    def use(self, subscriptions: Iterable[Subscription]) -> None:
        """Digest the set the fan-out runs from now on (once per set, not per event)."""
        self._running = {id(subscription): version_of(subscription) for subscription in subscriptions}

    def running(self, digest: str) -> bool:
        """True when a subscription of the running set has this version."""
        return any(version.digest == digest for version in self._running.values())

    def known(self, subscription: Subscription) -> str | None:
        """The running subscription's version when it is recorded already: the per-request path, with no await."""
        version = self._running.get(id(subscription))
        return version.digest if version is not None and version.digest in self._recorded else None

    async def digest(self, subscription: Subscription) -> str:
        """The subscription's version, recorded first if this process has not recorded it yet."""
        version = self._running.get(id(subscription)) or version_of(subscription)
        if version.digest not in self._recorded:
            if self._record is not None:
                await self._record([version])
            if len(self._recorded) >= REMEMBERED:
                self._recorded.clear()
            self._recorded.add(version.digest)
        return version.digest
