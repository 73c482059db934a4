"""Saved versions on every backend: each save is a numbered version per subject, in the save's transaction.

Memory, SQLite files and a real PostgreSQL (the `backend` fixture of tests/support/config_states.py);
two engines on one database stand for two receiver processes sharing it.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import config_states
import pytest
from config_states import Backend

from receiver.store.config_state import AuditEntry, ConfigState, StoredMapping
from receiver.store.config_versions import (
    SETTINGS_SUBJECT,
    VERSIONS_KEPT_PER_SUBJECT,
    mapping_subject,
    settings_text,
)
from receiver.store.memory.config_state import MemoryConfigState
from receiver.store.memory.config_versions import MemoryVersions
from receiver.store.sql.engine import make_engine

backend = config_states.backend  # memory, SQLite, PostgreSQL
AT = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _entry(what: str, who: str = "session a", minutes: int = 0) -> AuditEntry:
    return AuditEntry(AT + timedelta(minutes=minutes), who, "settings.save", what)


def test_every_save_is_a_numbered_version_of_its_subject_newest_first(backend: Backend):
    async def body(state: ConfigState) -> None:
        assert await state.history(SETTINGS_SUBJECT, limit=10) == []
        await state.save_settings({"outbound": {"region": "eu", "write_key": "k" * 20}}, _entry("s1", minutes=1))
        await state.save_settings({"outbound": {"region": "us"}}, _entry("s2", "session b", 2))
        await state.save_mapping(StoredMapping("a", "# kept\nname: a\n"), _entry("a1", minutes=3))
        await state.save_mapping(StoredMapping("settings", "name: s\n"), _entry("other", minutes=4))
        await state.save_mapping(StoredMapping("a", "name: a2\n"), _entry("a2", minutes=5))
        await state.delete_mapping("a", _entry("a gone", minutes=6))
        await state.delete_mapping("never-saved", _entry("nothing"))

        settings = await state.history(SETTINGS_SUBJECT, limit=10)
        assert [(v.number, v.who, v.what) for v in settings] == [(2, "session b", "s2"), (1, "session a", "s1")]
        assert settings[0].at == AT + timedelta(minutes=2)
        assert json.loads(settings[1].text or "") == {"outbound": {"region": "eu", "write_key": "k" * 20}}
        assert settings[1].text == settings_text({"outbound": {"write_key": "k" * 20, "region": "eu"}})
        mapping = await state.history(mapping_subject("a"), limit=10)
        assert [(v.number, v.text, v.deleted) for v in mapping] == [
            (3, None, True),
            (2, "name: a2\n", False),
            (1, "# kept\nname: a\n", False),
        ]
        # A mapping keyed like the settings subject is its own subject.
        assert [v.text for v in await state.history(mapping_subject("settings"), limit=10)] == ["name: s\n"]
        assert await state.history(mapping_subject("never-saved"), limit=10) == []
        assert [v.number for v in await state.history(mapping_subject("a"), limit=1)] == [3]
        assert [v.number for v in await state.history(mapping_subject("a"), limit=5, before=3)] == [2, 1]
        assert await state.history(mapping_subject("a"), limit=5, before=1) == []
        assert await state.history(mapping_subject("a"), limit=0) == []
        one = await state.version_of(mapping_subject("a"), 1)
        assert one is not None and (one.subject, one.text, one.what) == ("mapping:a", "# kept\nname: a\n", "a1")
        assert await state.version_of(mapping_subject("a"), 4) is None
        assert await state.version_of(SETTINGS_SUBJECT, 0) is None

    backend.run(body)


def test_two_instances_number_one_subject_without_gaps_or_repeats(backend: Backend):
    async def body(one: ConfigState, two: ConfigState) -> None:
        saves = [
            (one if i % 2 else two).save_mapping(StoredMapping("m", f"name: m{i}\n"), _entry(f"save {i}"))
            for i in range(12)
        ]
        await asyncio.gather(*saves)
        for state in (one, two):
            kept = await state.history(mapping_subject("m"), limit=50)
            assert [v.number for v in kept] == list(range(12, 0, -1))
            assert sorted(v.what for v in kept) == sorted(f"save {i}" for i in range(12))
        _, stored = await one.mappings()
        assert stored[0].text == (await two.history(mapping_subject("m"), limit=1))[0].text

    backend.run(body, instances=2)


def test_the_memory_backend_keeps_the_newest_versions_per_subject_and_numbers_go_on():
    kept = MemoryVersions(keep=3)
    for i in range(5):
        kept.record("mapping:a", _entry(f"a{i}"), f"a{i}")
    kept.record("settings", _entry("s"), "{}")
    assert [v.number for v in kept.history("mapping:a", 10, None)] == [5, 4, 3]
    assert kept.version_of("mapping:a", 2) is None and kept.version_of("mapping:a", 3) is not None
    assert [v.number for v in kept.history("settings", 10, None)] == [1]

    async def default_bound() -> int:
        state = MemoryConfigState()
        for i in range(205):
            await state.save_mapping(StoredMapping("b", f"name: b{i}\n"), _entry("b"))
        found = await state.history(mapping_subject("b"), limit=500)
        return len(found) * 1000 + found[-1].number

    assert asyncio.run(default_bound()) == 200 * 1000 + 6


def _upgrade_to(url: str, target: str) -> None:
    from alembic import command

    from receiver.store.sql.migrate import alembic_config

    def run(connection: Any) -> None:
        config = alembic_config()
        with connection.begin():
            config.attributes["connection"] = connection
            command.upgrade(config, target)

    async def main() -> None:
        engine = make_engine(url)
        try:
            async with engine.connect() as conn:
                await conn.run_sync(run)
        finally:
            await engine.dispose()

    asyncio.run(main())


@pytest.fixture(params=["sqlite", "postgresql"])
def unmigrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        (tmp_path / "old.db").touch()
        return f"sqlite:///{tmp_path / 'old.db'}"
    return str(request.getfixturevalue("postgres_server").new_database())


def test_every_backend_keeps_the_newest_versions_of_a_subject_and_numbers_go_on(backend: Backend):
    async def body(state: ConfigState) -> None:
        for i in range(VERSIONS_KEPT_PER_SUBJECT + 5):
            await state.save_mapping(StoredMapping("b", f"name: b{i}\n"), _entry("b"))
        await state.save_settings({"n": 1}, _entry("s"))
        found = await state.history(mapping_subject("b"), limit=500)
        assert [v.number for v in found] == list(range(VERSIONS_KEPT_PER_SUBJECT + 5, 5, -1))
        assert await state.version_of(mapping_subject("b"), 5) is None
        sixth = await state.version_of(mapping_subject("b"), 6)
        assert sixth is not None and sixth.text == "name: b5\n"
        assert [v.number for v in await state.history(SETTINGS_SUBJECT, limit=10)] == [1]

    backend.run(body)


def test_what_was_saved_before_the_migration_becomes_version_1(unmigrated_url: str):
    from sqlalchemy import insert

    from receiver.store.sql.config_state import SqlConfigState
    from receiver.store.sql.config_tables import saved_settings, stored_mappings

    _upgrade_to(unmigrated_url, "0010")
    saved_at = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)

    async def save_old() -> None:
        engine = make_engine(unmigrated_url)
        try:
            async with engine.begin() as conn:
                await conn.execute(insert(saved_settings).values(id=1, saved={"outbound": {"region": "eu"}}))
                micros = int(saved_at.timestamp() * 1_000_000)
                await conn.execute(
                    insert(stored_mappings).values(key="old", text="# c\nname: old\n", updated_at=micros)
                )
        finally:
            await engine.dispose()

    asyncio.run(save_old())
    _upgrade_to(unmigrated_url, "head")

    async def read() -> None:
        engine = make_engine(unmigrated_url)
        try:
            state = SqlConfigState(engine)
            [mapping] = await state.history(mapping_subject("old"), limit=5)
            assert (mapping.number, mapping.text, mapping.at) == (1, "# c\nname: old\n", saved_at)
            [settings] = await state.history(SETTINGS_SUBJECT, limit=5)
            assert settings.number == 1 and settings.text == settings_text({"outbound": {"region": "eu"}})
            await state.save_mapping(StoredMapping("old", "name: new\n"), _entry("edited"))
            assert [v.number for v in await state.history(mapping_subject("old"), limit=5)] == [2, 1]
        finally:
            await engine.dispose()

    asyncio.run(read())
