"""`antavo-actions db`: the store's database schema (Alembic migrations shipped with the package).

`db upgrade` brings a SQLite file or a PostgreSQL database to the code's schema (creating
the tables on first use); `serve` refuses a database that is behind and names this command.
Two upgrades started together apply each migration once (each takes a lock first).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer

from receiver.config import ConfigError, env_name, load_config
from receiver.errors import ApiError
from receiver.store import make_store
from receiver.store.contract import LoyaltyStore, StoreUnavailable
from receiver.store.limits import StoreLimits

EXIT_USAGE = 2
EXIT_FAILED = 1
T = TypeVar("T")

app = typer.Typer(help="The store's database: schema migrations.", no_args_is_help=True)
StoreOption = Annotated[str | None, typer.Option(metavar="URL", help="Store URL (default: the settings').")]
"""`--store` of the commands that work on the store's database (`users`, `audit`)."""
ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", metavar="FILE", help="Settings file.")]


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """`Error: <message>` on stderr, and exit (2: a usage error, unless told otherwise)."""
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code=code)


def store_url(store: str | None, config: Path | None) -> str:
    """The URL given, else the settings' (`store.url` in receiver.yaml, `ANTAVO_STORE_URL`)."""
    try:
        settings = load_config(config, overrides={"store": {"url": store}} if store else None)
    except ConfigError as exc:
        fail(str(exc))
    return settings.store.url


def run_on_store(
    store: str | None, config: Path | None, work: Callable[[LoyaltyStore], Awaitable[T]], memory: str
) -> T:
    """`work` on the store opened from `--store` (else the settings'), closed after; a memory store is
    refused with the message `memory` (it would forget everything at exit). A refusal of the work
    (`ApiError`) or a store that cannot be reached exits 1 naming it."""
    url = store_url(store, config)
    if url.startswith("memory:"):
        fail(memory)

    async def main() -> T:
        opened = make_store(url, StoreLimits())
        await opened.open()
        try:
            return await work(opened)
        finally:
            await opened.close()

    try:
        return asyncio.run(main())
    except ApiError as exc:
        fail(exc.message, EXIT_FAILED)
    except StoreUnavailable as exc:
        fail(f"{exc.message} {exc.detail}".strip(), EXIT_FAILED)


@app.command(short_help="Apply the schema migrations to the store's database.")
def upgrade(
    store: Annotated[
        str | None,
        typer.Option(
            metavar="URL", help=f"Store URL (default: store.url from the settings, or {env_name('store_url')})."
        ),
    ] = None,
    config: Annotated[Path | None, typer.Option("--config", "-c", metavar="FILE", help="Settings file.")] = None,
) -> None:
    """Apply the schema migrations to the store's database (SQLite or PostgreSQL)."""
    from sqlalchemy.exc import SQLAlchemyError

    from receiver.store.sql.migrate import redact_url
    from receiver.store.sql.migrate import upgrade as run_upgrade

    url = store_url(store, config)
    if url.startswith("memory:"):
        fail("the memory store has no schema to upgrade; give a sqlite:/// or postgresql:// URL (--store)")
    try:
        before, after = asyncio.run(run_upgrade(url))
    except (ValueError, StoreUnavailable) as exc:
        fail(str(exc))
    except (SQLAlchemyError, OSError) as exc:
        typer.echo(f"Error: cannot upgrade {redact_url(url)}: {type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(EXIT_FAILED) from None
    if before == after:
        typer.echo(f"{redact_url(url)}: schema already at {after}")
    else:
        typer.echo(f"{redact_url(url)}: schema upgraded from {before or 'empty'} to {after}")
