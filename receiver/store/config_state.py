"""What the browser configures, kept by the store: saved settings, the audit trail, mappings, external IDs.

One small protocol, `ConfigState`, so every backend keeps the same six things:

- **saved settings**: the values a person saved on `/settings` (a partial `receiver.yaml`,
  sections as nested objects), with a version that grows on every save, so every instance
  sharing the store can tell cheaply that it must reload;
- **the audit trail**: who, when, from where, what, the changes (secrets already masked by the caller),
  append-only and hash-chained (`receiver.store.audit`: the values, hashing and `verify`);
- **stored mappings**: mapping files as YAML text by key, with their own version, which the
  ingest compares per call before it runs its subscriptions;
- **saved versions**: every save of the settings or of a mapping, numbered per subject, with its
  text (`receiver.store.config_versions`), recorded in the same transaction as the save;
- **mapping versions**: every mapping as it ran, by the digest an event's lineage names
  (`receiver.store.lineage`), written once and never changed;
- **the external-ID index**: `(attribute, external ID) → internal customer ID`, unique per
  brand. `claim_external_id` is the only way in and is atomic (under the lock here, a UNIQUE
  constraint on SQL), so two concurrent first events for one external ID get the same customer.

`store.memory.config_state.MemoryConfigState` keeps it in one process (`shared` is False: no other
instance can change it); `store.sql.config_state.SqlConfigState` on the store's database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from receiver.store.audit import EVERY_RECORD, AuditChain, AuditEntry, AuditFilter, AuditRecord, FieldChange
from receiver.store.config_versions import ConfigVersion
from receiver.store.lineage import MappingVersion

__all__ = [
    "AUDIT_KEEP_IN_MEMORY",
    "VERSIONS_KEPT_IN_MEMORY",
    "AuditEntry",
    "ConfigState",
    "FieldChange",
    "StoredMapping",
]

AUDIT_KEEP_IN_MEMORY = 10_000
"""The memory backend keeps the newest audit records up to this many (pruning moves the anchor)."""
VERSIONS_KEPT_IN_MEMORY = 10_000
"""The memory backend forgets the oldest mapping versions past this many (a store that forgets anyway)."""


def version_from(subject: str, number: int, entry: AuditEntry, text: str | None) -> ConfigVersion:
    """The one place an audit entry's when, who and what become a version's (every backend records through it)."""
    return ConfigVersion(subject, number, entry.at, entry.actor, entry.what, text)


@dataclass(frozen=True)
class StoredMapping:
    """A mapping file saved from the Mappings page: its key (file stem) and its YAML text, comments kept."""

    key: str
    text: str
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@runtime_checkable
class ConfigState(Protocol):
    """The configuration a receiver's pages change; shared by every instance on a shared store."""

    @property
    def shared(self) -> bool:
        """True when other processes may change it (then readers must compare versions)."""
        ...

    async def settings(self) -> tuple[int, dict[str, Any]]:
        """The saved settings (nested like `receiver.yaml`) and their version."""
        ...

    async def settings_version(self) -> int: ...

    async def save_settings(self, values: Mapping[str, Any], entry: AuditEntry) -> int:
        """Replace the saved settings and append `entry` to the audit trail, atomically; the new version."""
        ...

    async def append_audit(self, entry: AuditEntry) -> AuditRecord:
        """Append an entry that changes nothing else (a sign-in, a replay, an export) to the chain."""
        ...

    async def audit(self, limit: int, where: AuditFilter = EVERY_RECORD) -> list[AuditRecord]:
        """The newest records first, filtered (`AuditFilter`: `action` may be a prefix such as `mapping.`;
        `cursor`: only records older than that seq, the next page)."""
        ...

    async def audit_chain(self) -> AuditChain:
        """Every record kept, oldest first, with the head and the anchor: what `audit.verify` checks."""
        ...

    async def audit_prune(self, older_than: datetime) -> int:
        """Remove the oldest records older than the cutoff (moving the anchor to the newest removed); how many."""
        ...

    async def mappings(self) -> tuple[int, list[StoredMapping]]:
        """Every stored mapping (by key) and the mappings' version."""
        ...

    async def mappings_version(self) -> int: ...

    async def save_mapping(self, mapping: StoredMapping, entry: AuditEntry) -> int:
        """Insert or replace one mapping and audit it, atomically; the new version."""
        ...

    async def delete_mapping(self, key: str, entry: AuditEntry) -> int: ...

    async def history(self, subject: str, *, limit: int, before: int | None = None) -> list[ConfigVersion]:
        """A subject's saved versions, newest first (numbers below `before` when given), at most `limit`."""
        ...

    async def version_of(self, subject: str, number: int) -> ConfigVersion | None:
        """One saved version of a subject, if kept."""
        ...

    async def record_mapping_versions(self, versions: Sequence[MappingVersion]) -> None:
        """Keep these versions; one already kept (same digest) stays as first recorded."""
        ...

    async def mapping_version(self, digest: str) -> MappingVersion | None: ...

    async def external_id_owner(self, attribute: str, external_id: str) -> str | None:
        """The internal ID of the customer holding this external ID, if any."""
        ...

    async def claim_external_id(self, attribute: str, external_id: str, candidate: str) -> str:
        """The owner of this external ID: the existing one, else `candidate`, recorded atomically."""
        ...

    async def external_ids_of(self, customer_id: str) -> dict[str, str]:
        """The external IDs (by attribute) the index holds for an internal ID."""
        ...
