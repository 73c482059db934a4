"""`ConfigState` on SQLite or PostgreSQL (SQLAlchemy 2 async Core): shared by every instance on the database.

Each change and its version bump (and its audit entry) commit in one transaction, so an
instance that reads a version reads the data that goes with it. Claiming an external ID is an
`INSERT … ON CONFLICT DO NOTHING` on the table's primary key followed by a read of the owner:
the database decides which of two concurrent first events wins, on one instance or many.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from receiver.store.audit import EVERY_RECORD, AuditChain, AuditEntry, AuditFilter, AuditRecord
from receiver.store.config_state import StoredMapping
from receiver.store.config_versions import SETTINGS_SUBJECT, ConfigVersion, mapping_subject, settings_text
from receiver.store.lineage import MappingVersion
from receiver.store.sql import audit as chain
from receiver.store.sql import config_versions as saved_versions
from receiver.store.sql.config_tables import (
    config_versions,
    external_ids,
    mapping_versions,
    saved_settings,
    stored_mappings,
)
from receiver.store.times import from_micros, micros

SETTINGS, MAPPINGS = "settings", "mappings"


T = TypeVar("T")
Read = Callable[[Callable[[Connection], Any]], Awaitable[Any]]


def _read_version(name: str, conn: Connection) -> int:
    found = conn.scalar(select(config_versions.c.version).where(config_versions.c.name == name))
    return int(found or 0)


def _read_owner(attribute: str, external_id: str, conn: Connection) -> str | None:
    where = (external_ids.c.attribute == attribute, external_ids.c.external_id == external_id)
    return conn.scalar(select(external_ids.c.customer_id).where(*where))


class SqlConfigState:
    """`ConfigState` on one SQLAlchemy async engine (the store's).

    `read` runs the reads made per call or per message (the two version checks, an external
    ID's owner) on the store's own reader (`SqlStore.read`: one hand-over to a SQLite reader
    thread) instead of the async engine (aiosqlite: a hand-over per step, each waiting for a turn
    of a busy event loop — hundreds of milliseconds under load, measured as the SQLite ingest's tail).
    """

    shared = True

    def __init__(self, engine: AsyncEngine, read: Read | None = None) -> None:
        self.engine = engine
        self._read = read
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    async def _quick_read(self, work: Callable[[Connection], T]) -> T:
        if self._read is not None:
            return cast(T, await self._read(work))
        async with self.engine.connect() as conn:
            return await conn.run_sync(work)

    async def _version(self, conn: AsyncConnection, name: str) -> int:
        return await conn.run_sync(partial(_read_version, name))

    async def _bump(self, conn: AsyncConnection, name: str) -> int:
        await conn.execute(self._insert(config_versions).values(name=name, version=0).on_conflict_do_nothing())
        bumped = await conn.scalar(
            update(config_versions)
            .where(config_versions.c.name == name)
            .values(version=config_versions.c.version + 1)
            .returning(config_versions.c.version)
        )
        return int(bumped)

    async def _append(self, conn: AsyncConnection, entry: AuditEntry) -> AuditRecord:
        return await chain.append(conn, self._insert, entry)

    async def settings(self) -> tuple[int, dict[str, Any]]:
        async with self.engine.connect() as conn:
            version = await self._version(conn, SETTINGS)
            saved = await conn.scalar(select(saved_settings.c.saved).where(saved_settings.c.id == 1))
            return version, dict(saved) if isinstance(saved, dict) else {}

    async def settings_version(self) -> int:
        return await self._quick_read(partial(_read_version, SETTINGS))

    async def save_settings(self, values: Mapping[str, Any], entry: AuditEntry) -> int:
        async with self.engine.begin() as conn:
            version = await self._bump(conn, SETTINGS)
            statement = self._insert(saved_settings).values(id=1, saved=dict(values))
            await conn.execute(statement.on_conflict_do_update(index_elements=["id"], set_={"saved": dict(values)}))
            await self._append(conn, entry)
            await saved_versions.record(conn, SETTINGS_SUBJECT, entry, settings_text(values))
            return version

    async def append_audit(self, entry: AuditEntry) -> AuditRecord:
        async with self.engine.begin() as conn:
            return await self._append(conn, entry)

    async def audit(self, limit: int, where: AuditFilter = EVERY_RECORD) -> list[AuditRecord]:
        async with self.engine.connect() as conn:
            return await chain.newest(conn, limit, where)

    async def audit_chain(self) -> AuditChain:
        async with self.engine.begin() as conn:
            return await chain.chain(conn)

    async def audit_prune(self, older_than: datetime) -> int:
        async with self.engine.begin() as conn:
            return await chain.prune(conn, self._insert, older_than)

    async def mappings(self) -> tuple[int, list[StoredMapping]]:
        async with self.engine.connect() as conn:
            version = await self._version(conn, MAPPINGS)
            rows = await conn.execute(select(stored_mappings).order_by(stored_mappings.c.key))
            return version, [StoredMapping(row.key, row.text, from_micros(row.updated_at)) for row in rows]

    async def mappings_version(self) -> int:
        return await self._quick_read(partial(_read_version, MAPPINGS))

    async def save_mapping(self, mapping: StoredMapping, entry: AuditEntry) -> int:
        row = {"key": mapping.key, "text": mapping.text, "updated_at": micros(mapping.updated_at)}
        async with self.engine.begin() as conn:
            version = await self._bump(conn, MAPPINGS)
            statement = self._insert(stored_mappings).values(**row)
            await conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["key"], set_={"text": row["text"], "updated_at": row["updated_at"]}
                )
            )
            await self._append(conn, entry)
            await saved_versions.record(conn, mapping_subject(mapping.key), entry, mapping.text)
            return version

    async def delete_mapping(self, key: str, entry: AuditEntry) -> int:
        async with self.engine.begin() as conn:
            gone = await conn.execute(delete(stored_mappings).where(stored_mappings.c.key == key))
            if not gone.rowcount:
                return await self._version(conn, MAPPINGS)
            version = await self._bump(conn, MAPPINGS)
            await self._append(conn, entry)
            await saved_versions.record(conn, mapping_subject(key), entry, None)
            return version

    async def history(self, subject: str, *, limit: int, before: int | None = None) -> list[ConfigVersion]:
        return await saved_versions.history(self.engine, subject, limit, before)

    async def version_of(self, subject: str, number: int) -> ConfigVersion | None:
        return await saved_versions.version_of(self.engine, subject, number)

    async def record_mapping_versions(self, versions: Sequence[MappingVersion]) -> None:
        rows = [
            {"digest": v.digest, "name": v.name, "definition": dict(v.definition), "first_seen": micros(v.first_seen)}
            for v in versions
        ]
        if rows:
            async with self.engine.begin() as conn:
                await conn.execute(self._insert(mapping_versions).values(rows).on_conflict_do_nothing())

    async def mapping_version(self, digest: str) -> MappingVersion | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(mapping_versions).where(mapping_versions.c.digest == digest))).first()
        if row is None:
            return None
        return MappingVersion(row.digest, row.name, row.definition, from_micros(row.first_seen))

    async def external_id_owner(self, attribute: str, external_id: str) -> str | None:
        return await self._quick_read(partial(_read_owner, attribute, external_id))

    async def claim_external_id(self, attribute: str, external_id: str, candidate: str) -> str:
        async with self.engine.begin() as conn:
            claim = self._insert(external_ids).values(
                attribute=attribute, external_id=external_id, customer_id=candidate
            )
            await conn.execute(claim.on_conflict_do_nothing(index_elements=["attribute", "external_id"]))
            owner = await conn.scalar(
                select(external_ids.c.customer_id).where(
                    external_ids.c.attribute == attribute, external_ids.c.external_id == external_id
                )
            )
            return str(owner)

    async def external_ids_of(self, customer_id: str) -> dict[str, str]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(external_ids.c.attribute, external_ids.c.external_id).where(
                    external_ids.c.customer_id == customer_id
                )
            )
            return {row.attribute: row.external_id for row in rows}
