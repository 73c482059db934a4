"""The durable stores' schema: `db upgrade` creates and versions it, a store behind it is refused by name."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from typer.testing import CliRunner

from antavo_actions.cli.app import build_app
from receiver.store import make_store
from receiver.store.sql.migrate import SchemaBehind, head_revision, upgrade


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        (tmp_path / "fresh.db").touch()  # an existing, empty file: a missing one is refused earlier
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    return request.getfixturevalue("postgres_server").new_database()


def test_a_store_without_the_schema_is_refused_naming_the_command(empty_url):
    async def main() -> None:
        store = make_store(empty_url)
        try:
            with pytest.raises(SchemaBehind) as refused:
                await store.open()
        finally:
            await store.close()
        assert "antavo-actions db upgrade --store" in str(refused.value) and "no receiver schema" in str(refused.value)

    asyncio.run(main())


def test_db_upgrade_creates_the_schema_once_and_then_says_it_is_current(empty_url):
    runner = CliRunner()
    first = runner.invoke(build_app(), ["db", "upgrade", "--store", empty_url])
    assert first.exit_code == 0, first.output
    assert f"schema upgraded from empty to {head_revision()}" in first.output
    again = runner.invoke(build_app(), ["db", "upgrade", "--store", empty_url])
    assert again.exit_code == 0 and f"schema already at {head_revision()}" in again.output

    async def opens() -> int:
        store = make_store(empty_url)
        await store.open()
        try:
            return await store.event_count()
        finally:
            await store.close()

    assert asyncio.run(opens()) == 0


def test_concurrent_upgrades_do_not_race(empty_url):
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: asyncio.run(upgrade(empty_url)), range(4)))
    head = head_revision()
    assert all(after == head for _, after in results)
    assert sum(before is None for before, _ in results) == 1, "exactly one of them created the schema"


def test_db_upgrade_refuses_the_memory_store_and_a_bad_url():
    runner = CliRunner()
    memory = runner.invoke(build_app(), ["db", "upgrade", "--store", "memory://"])
    assert memory.exit_code == 2 and "memory store has no schema" in memory.output
    bad = runner.invoke(build_app(), ["db", "upgrade", "--store", "redis://x"])
    assert bad.exit_code == 2 and "store.url" in bad.output


def test_the_migrations_build_exactly_the_schema_the_code_declares(empty_url):
    """Every column, index and table of `tables.py` (and the pages' tables) comes from a migration, and no more."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import MetaData

    from receiver.store.sql import config_tables, tables
    from receiver.store.sql.engine import make_engine

    declared = MetaData()
    for source in (tables.metadata, config_tables.metadata):
        for table in source.tables.values():
            table.to_metadata(declared)

    async def main() -> list[object]:
        await upgrade(empty_url)
        engine = make_engine(empty_url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(lambda sync: compare_metadata(MigrationContext.configure(sync), declared))
        finally:
            await engine.dispose()

    assert asyncio.run(main()) == []
