"""ConfigState on every backend: versions move with every save, one audit trail, one owner per external ID.

Each test runs on the memory state, on SQLite files and on a real PostgreSQL (tests/support/postgres.py),
each database migrated as `db upgrade` leaves it (two engines on one database stand for two receiver
processes sharing it).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import config_states
import pytest
from config_states import Backend
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from receiver.store.config_state import AuditEntry, ConfigState, FieldChange, StoredMapping
from receiver.store.lineage import MappingVersion
from receiver.store.sql.config_state import SqlConfigState

backend = config_states.backend


def _entry(what: str, before: Any = None, after: Any = 1) -> AuditEntry:
    return AuditEntry(datetime.now(UTC), "ann", "settings.save", what, (FieldChange("f", before, after),))


def test_settings_and_mappings_have_their_own_versions_and_one_audit_trail(backend: Backend):
    async def body(state: ConfigState) -> None:
        assert await state.settings() == (0, {})
        assert await state.save_settings({"outbound": {"region": "eu", "events": ["a"]}}, _entry("one")) == 1
        assert await state.settings() == (1, {"outbound": {"region": "eu", "events": ["a"]}})
        assert await state.save_settings({"outbound": {"region": "us"}}, _entry("one again")) == 2
        assert await state.settings() == (2, {"outbound": {"region": "us"}})
        assert await state.settings_version() == 2
        assert await state.mappings_version() == 0
        assert await state.save_mapping(StoredMapping("a", "# kept\nname: a\n"), _entry("two")) == 1
        assert await state.save_mapping(StoredMapping("a", "name: a2\n"), _entry("two again")) == 2
        assert await state.delete_mapping("missing", _entry("nothing")) == 2
        version, stored = await state.mappings()
        assert version == 2 and [(m.key, m.text) for m in stored] == [("a", "name: a2\n")]
        assert await state.delete_mapping("a", _entry("three", "x", None)) == 3
        assert await state.mappings() == (3, [])
        trail = [record.entry for record in await state.audit(10)]
        assert [e.what for e in trail] == ["three", "two again", "two", "one again", "one"]
        assert trail[0].changes == (FieldChange("f", "x", None),) and trail[0].actor == "ann"
        assert [r.entry.what for r in await state.audit(1)] == ["three"]
        assert await state.audit(0) == []

    backend.run(body)


def test_a_mapping_version_is_kept_as_first_recorded_and_read_by_every_instance(backend: Backend):
    at = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
    first = MappingVersion(
        "a1b2c3d4e5f60718", "Prämie → point_add", {"subscribe": 'event = "Prämie"', "n": [1, None]}, at
    )
    again = MappingVersion(first.digest, "renamed", {"subscribe": "other"}, datetime.now(UTC))

    async def body(one: ConfigState, two: ConfigState) -> None:
        assert await one.mapping_version(first.digest) is None
        await one.record_mapping_versions([first])
        await two.record_mapping_versions([again])  # the same digest from another instance: the first stays
        await one.record_mapping_versions([])
        for state in (one, two):
            kept = await state.mapping_version(first.digest)
            assert kept is not None
            assert (kept.name, dict(kept.definition), kept.first_seen) == (first.name, first.definition, at)
        assert await two.mapping_version("ffffffffffffffff") is None

    backend.run(body, instances=2)


def test_a_change_on_one_instance_is_read_by_the_other(backend: Backend):
    async def body(one: ConfigState, two: ConfigState) -> None:
        assert two.shared == (backend.name != "memory")
        await one.save_settings({"outbound": {"region": "eu"}}, _entry("s"))
        await one.save_mapping(StoredMapping("m", "name: m\n"), _entry("m"))
        assert await two.settings_version() == 1 and (await two.settings())[1] == {"outbound": {"region": "eu"}}
        assert await two.mappings_version() == 1 and [m.key for m in (await two.mappings())[1]] == ["m"]
        assert [r.entry.what for r in await two.audit(5)] == ["m", "s"]

    backend.run(body, instances=2)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(claims=st.lists(st.sampled_from(["x1", "x2", "x3"]), min_size=1, max_size=30))
def test_concurrent_claims_of_one_external_id_agree_on_one_owner(backend: Backend, claims: list[str]):
    """Claims race from two instances: each external ID ends with exactly one owner, the one every claim got."""

    async def body(one: ConfigState, two: ConfigState) -> None:
        owners = await asyncio.gather(
            *((one if i % 2 else two).claim_external_id("crm_id", ext, f"cus_{i}") for i, ext in enumerate(claims))
        )
        for ext in set(claims):
            got = {owner for owner, claimed in zip(owners, claims) if claimed == ext}
            assert len(got) == 1
            owner = got.pop()
            assert owner in {f"cus_{i}" for i, claimed in enumerate(claims) if claimed == ext}
            assert await one.external_id_owner("crm_id", ext) == owner == await two.external_id_owner("crm_id", ext)
            assert await two.external_ids_of(owner) == {"crm_id": ext}
        assert await one.external_id_owner("other", claims[0]) is None

    backend.run(body, instances=2)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_the_database_itself_refuses_a_second_owner_of_an_external_id(backend: Backend):
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError

    from receiver.store.sql.config_tables import external_ids

    async def body(state: ConfigState) -> None:
        assert isinstance(state, SqlConfigState)
        assert await state.claim_external_id("crm_id", "x", "cus_1") == "cus_1"
        engine = state.engine
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(insert(external_ids).values(attribute="crm_id", external_id="x", customer_id="c2"))
        async with engine.begin() as conn:
            await conn.execute(insert(external_ids).values(attribute="email", external_id="x", customer_id="c2"))
        assert await state.external_id_owner("email", "x") == "c2"

    backend.run(body)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_the_migration_creates_the_tables_the_code_uses(backend: Backend):
    """Alembic finds no difference between the migrated tables and the Core tables the SQL code writes."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from receiver.store.sql.config_tables import metadata

    def ours(name: str | None, kind: str, _parent: Any) -> bool:
        return kind != "table" or name in metadata.tables

    def differences(conn: Any) -> list[Any]:
        context = MigrationContext.configure(conn, opts={"include_name": ours, "compare_type": True})
        return list(compare_metadata(context, metadata))

    async def body(state: ConfigState) -> None:
        assert isinstance(state, SqlConfigState)
        async with state.engine.connect() as conn:
            assert await conn.run_sync(differences) == []

    backend.run(body)
