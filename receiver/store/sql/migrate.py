"""Schema migrations with Alembic: `antavo-actions db upgrade` applies them, `serve` checks them.

The migration scripts are package data (`receiver/store/sql/migrations/`), versioned with
the code. Upgrading runs in one transaction that first takes a lock — PostgreSQL's
transaction-level advisory lock, SQLite's write lock (`BEGIN IMMEDIATE`) — so two workers or
two `db upgrade` runs starting together apply each migration once, the second seeing the
first's result. A database behind the code is refused at start with the command to run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from receiver.store.sql.engine import EngineSettings, make_engine

MIGRATIONS = Path(__file__).parent / "migrations"
ADVISORY_LOCK_ID = 0x616E7461766F  # "antavo"


class SchemaBehind(Exception):
    """The database's schema is older than the code (or missing); the message names the command to run."""


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _current(connection: Any) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _upgrade(connection: Any) -> tuple[str | None, str | None]:
    config = alembic_config()
    with connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": ADVISORY_LOCK_ID})
        before = _current(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        return before, _current(connection)


UPGRADE_ENGINE = EngineSettings(pool_size=1, max_overflow=0, busy_timeout=300.0, statement_timeout=300.0)
"""An upgrade queued behind another one waits for all of its migrations, not a request's few seconds."""


async def upgrade(url: str) -> tuple[str | None, str | None]:
    """Bring the database at `url` to the newest schema; (revision before, revision after)."""
    engine = make_engine(url, UPGRADE_ENGINE)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_upgrade)
    finally:
        await engine.dispose()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(_current)


async def check_current(engine: AsyncEngine, url: str) -> None:
    """Refuse a database whose schema is not the code's (the message says which command fixes it).

    A SQLite file that does not exist is refused before connecting, which would create it empty."""
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and not Path(database).exists():
        raise SchemaBehind(
            f"the store database {redact_url(url)} does not exist yet: "
            f"run `antavo-actions db upgrade --store {redact_url(url)}` to create it"
        )
    current, head = await current_revision(engine), head_revision()
    if current != head:
        state = "has no receiver schema yet" if current is None else f"is at schema {current}, the code needs {head}"
        raise SchemaBehind(
            f"the store database {redact_url(url)} {state}: run `antavo-actions db upgrade --store {redact_url(url)}`"
        )


def redact_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<the configured store URL>"
