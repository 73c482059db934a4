"""Engines for a store URL: the async driver, the pool, timeouts, and SQLite's locking rules.

`sqlite:///path` runs on aiosqlite in WAL mode (readers never wait for the writer) with a
busy timeout, and every write transaction starts with `BEGIN IMMEDIATE`: it takes the write
lock up front, so writers from several processes queue on the busy timeout instead of failing
with "database is locked" when a reader upgrades. `postgresql://…` runs on asyncpg with a
settable pool and bounded connect / acquire / statement times, so a database that is down
answers 503 quickly instead of hanging a request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from receiver import jsontext

READ_ONLY = "antavo_read_only"


class JsonText(str):
    """A JSON column's value already written as JSON text (a log body, measured as text for its size
    rule): stored as it is instead of being written a second time."""

    __slots__ = ()


def json_text(value: Any) -> str:
    """JSON columns' text, as the logs write JSON (`receiver.jsontext`: orjson, the standard library
    for what orjson refuses); a `JsonText` as it is."""
    if type(value) is JsonText:
        return value
    return jsontext.dumps_text(value)


def json_value(text: str | bytes) -> Any:
    """A JSON column's value: orjson's reading, except where it reads differently or refuses
    (integers past 64 bits) — `receiver.jsontext.loads` decides, as for request bodies."""
    return jsontext.loads(text.encode() if isinstance(text, str) else text)[0]


@dataclass(frozen=True)
class EngineSettings:
    """Pool and time limits (seconds) for one engine."""

    pool_size: int = 5
    max_overflow: int = 5
    connect_timeout: float = 5.0
    acquire_timeout: float = 30.0
    statement_timeout: float = 15.0
    busy_timeout: float = 10.0


def driver_url(url: str) -> URL:
    """`sqlite:///f.db` → `sqlite+aiosqlite:///f.db`, `postgresql://…` → `postgresql+asyncpg://…`."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise ValueError("a SQLite store needs a file: sqlite:///path/to/file.db")
        return parsed.set(drivername="sqlite+aiosqlite")
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg")
    raise ValueError(f"unknown store URL scheme {parsed.drivername!r}; use memory://, sqlite:///… or postgresql://…")


def make_engine(url: str, settings: EngineSettings | None = None) -> AsyncEngine:
    settings = settings or EngineSettings()
    target = driver_url(url)
    common: dict[str, Any] = {
        "json_serializer": json_text,
        "json_deserializer": json_value,
        "pool_size": settings.pool_size,
        "max_overflow": settings.max_overflow,
        "pool_timeout": settings.acquire_timeout,
        # No ping per checkout (a round trip per transaction): a connection that died is invalidated on
        # its first error (that request gets 503 + Retry-After) and replaced by the pool.
    }
    if target.get_backend_name() == "sqlite":
        engine = create_async_engine(target, connect_args={"timeout": settings.busy_timeout}, **common)
        _sqlite_rules(engine.sync_engine, settings)
        return engine
    connect_args = {
        "timeout": settings.connect_timeout,
        "command_timeout": settings.statement_timeout,
        "server_settings": {"application_name": "antavo-receiver"},
    }
    return create_async_engine(target, connect_args=connect_args, **common)


def make_sqlite_engine(url: str, settings: EngineSettings | None = None) -> Engine:
    """The standard library's blocking `sqlite3` driver, for `runner.ThreadRunner`'s own threads."""
    settings = settings or EngineSettings()
    target = driver_url(url).set(drivername="sqlite+pysqlite")
    engine = create_engine(
        target,
        connect_args={"timeout": settings.busy_timeout, "check_same_thread": False},
        json_serializer=json_text,
        json_deserializer=json_value,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_timeout=settings.acquire_timeout,
    )
    _sqlite_rules(engine, settings)
    return engine


def _sqlite_rules(engine: Engine, settings: EngineSettings) -> None:
    busy_ms = int(settings.busy_timeout * 1000)

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own BEGIN is turned off so that `on_begin` decides how each transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", f"busy_timeout={busy_ms}", "synchronous=NORMAL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def is_postgres(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"
