"""Runs a `ConfigState` test body on the memory state, SQLite files and a real PostgreSQL (the `backend` fixture)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from stores import sqlite_url

from receiver.store.config_state import ConfigState
from receiver.store.memory.config_state import MemoryConfigState
from receiver.store.sql.config_state import SqlConfigState
from receiver.store.sql.engine import make_engine

Body = Callable[..., Awaitable[Any]]


class Backend:
    """Runs a test body on `instances` states that share their data, in one event loop.

    A durable backend gets a fresh migrated database per run (as `antavo-actions db upgrade`
    leaves it), and one engine per instance, made as the store makes its own.
    """

    def __init__(self, name: str, new_url: Callable[[], str]) -> None:
        self.name = name
        self._new_url = new_url

    def run(self, body: Body, *, instances: int = 1) -> Any:
        url = "" if self.name == "memory" else self._new_url()

        async def main() -> Any:
            if self.name == "memory":
                state = MemoryConfigState()
                return await body(*([state] * instances))
            engines = [make_engine(url) for _ in range(instances)]
            try:
                states: list[ConfigState] = [SqlConfigState(engine) for engine in engines]
                return await body(*states)
            finally:
                for engine in engines:
                    await engine.dispose()

        return asyncio.run(main())


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "memory":
        return Backend("memory", str)
    if request.param == "sqlite":
        files = itertools.count(1)
        return Backend("sqlite", lambda: sqlite_url(tmp_path / f"config-{next(files)}.db"))
    return Backend("postgresql", request.getfixturevalue("postgres_url"))
