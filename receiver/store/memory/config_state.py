"""`ConfigState` in one process: what the pages configure, for the memory store (no other instance can change it)."""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from receiver.store.audit import EVERY_RECORD, AuditChain, AuditEntry, AuditFilter, AuditRecord
from receiver.store.config_state import AUDIT_KEEP_IN_MEMORY, VERSIONS_KEPT_IN_MEMORY, StoredMapping
from receiver.store.config_versions import SETTINGS_SUBJECT, ConfigVersion, mapping_subject, settings_text
from receiver.store.lineage import MappingVersion
from receiver.store.memory.audit import MemoryAuditChain
from receiver.store.memory.config_versions import MemoryVersions


class MemoryConfigState:
    """`ConfigState` in one process, guarded by one lock (a thread lock, so tests may read from another thread)."""

    shared = False

    def __init__(self, *, audit_keep: int = AUDIT_KEEP_IN_MEMORY) -> None:
        self._lock = threading.Lock()
        self._settings: dict[str, Any] = {}
        self._settings_version = 0
        self._audit = MemoryAuditChain(audit_keep)
        self._mappings: dict[str, StoredMapping] = {}
        self._mappings_version = 0
        self._owners: dict[tuple[str, str], str] = {}
        self._by_customer: dict[str, dict[str, str]] = {}
        self._versions: dict[str, MappingVersion] = {}
        self._saved = MemoryVersions()

    async def settings(self) -> tuple[int, dict[str, Any]]:
        with self._lock:
            return self._settings_version, copy.deepcopy(self._settings)

    async def settings_version(self) -> int:
        return self._settings_version

    async def save_settings(self, values: Mapping[str, Any], entry: AuditEntry) -> int:
        with self._lock:
            self._settings = copy.deepcopy(dict(values))
            self._settings_version += 1
            self._append(entry)
            self._saved.record(SETTINGS_SUBJECT, entry, settings_text(values))
            return self._settings_version

    def _append(self, entry: AuditEntry) -> AuditRecord:
        return self._audit.append(entry)

    async def append_audit(self, entry: AuditEntry) -> AuditRecord:
        with self._lock:
            return self._append(entry)

    async def audit(self, limit: int, where: AuditFilter = EVERY_RECORD) -> list[AuditRecord]:
        with self._lock:
            return self._audit.newest(limit, where)

    async def audit_chain(self) -> AuditChain:
        with self._lock:
            return self._audit.chain()

    async def audit_prune(self, older_than: datetime) -> int:
        with self._lock:
            return self._audit.prune(older_than)

    async def mappings(self) -> tuple[int, list[StoredMapping]]:
        with self._lock:
            return self._mappings_version, sorted(self._mappings.values(), key=lambda m: m.key)

    async def mappings_version(self) -> int:
        return self._mappings_version

    async def save_mapping(self, mapping: StoredMapping, entry: AuditEntry) -> int:
        with self._lock:
            self._mappings[mapping.key] = mapping
            self._mappings_version += 1
            self._append(entry)
            self._saved.record(mapping_subject(mapping.key), entry, mapping.text)
            return self._mappings_version

    async def delete_mapping(self, key: str, entry: AuditEntry) -> int:
        with self._lock:
            if self._mappings.pop(key, None) is not None:
                self._mappings_version += 1
                self._append(entry)
                self._saved.record(mapping_subject(key), entry, None)
            return self._mappings_version

    async def history(self, subject: str, *, limit: int, before: int | None = None) -> list[ConfigVersion]:
        with self._lock:
            return self._saved.history(subject, limit, before)

    async def version_of(self, subject: str, number: int) -> ConfigVersion | None:
        with self._lock:
            return self._saved.version_of(subject, number)

    async def record_mapping_versions(self, versions: Sequence[MappingVersion]) -> None:
        with self._lock:
            for version in versions:
                self._versions.setdefault(version.digest, version)
            for digest in list(self._versions)[: max(0, len(self._versions) - VERSIONS_KEPT_IN_MEMORY)]:
                del self._versions[digest]

    async def mapping_version(self, digest: str) -> MappingVersion | None:
        with self._lock:
            return self._versions.get(digest)

    async def external_id_owner(self, attribute: str, external_id: str) -> str | None:
        with self._lock:
            return self._owners.get((attribute, external_id))

    async def claim_external_id(self, attribute: str, external_id: str, candidate: str) -> str:
        with self._lock:
            owner = self._owners.setdefault((attribute, external_id), candidate)
            if owner == candidate:
                self._by_customer.setdefault(candidate, {})[attribute] = external_id
            return owner

    async def external_ids_of(self, customer_id: str) -> dict[str, str]:
        with self._lock:
            return dict(self._by_customer.get(customer_id, {}))
