"""The contract suite's fixture: one store per backend (memory, SQLite file, PostgreSQL), a settable clock.

Adding a backend means adding it here, and nothing else in the suite.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from stores import sqlite_url

from receiver.store import make_store
from receiver.store.contract import LoyaltyStore
from receiver.store.limits import StoreLimits

T = TypeVar("T")


@dataclass
class Clock:
    now: float = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Backend:
    """A store URL and how to run a test body on stores opened on it (inside one event loop)."""

    name: str
    url: str
    clock: Clock = field(default_factory=Clock)

    def run(self, body: Callable[..., Awaitable[T]], *, stores: int = 1, **limits: Any) -> T:
        """`body(store, …)` with `stores` stores on the same data (separate engines, as separate processes have)."""

        async def main() -> T:
            opened: list[LoyaltyStore] = []
            first = make_store(self.url, StoreLimits(clock=self.clock, **limits))
            opened.append(first)
            for _ in range(stores - 1):
                # The memory store is one process's: its "second process" is itself.
                twin = first if self.name == "memory" else make_store(self.url, StoreLimits(clock=self.clock, **limits))
                opened.append(twin)
            for store in dict.fromkeys(opened):
                await store.open()
            try:
                return await body(*opened)
            finally:
                for store in dict.fromkeys(opened):
                    await store.close()

        return asyncio.run(main())


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "memory":
        return Backend("memory", "memory://")
    if request.param == "sqlite":
        return Backend("sqlite", sqlite_url(tmp_path / "store.db"))
    return Backend("postgresql", request.getfixturevalue("postgres_url")())
