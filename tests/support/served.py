"""One real receiver (uvicorn on loopback) for a whole test module, on the store a test chooses.

Hypothesis runs each example in the test's own thread; a durable store's pooled connections
belong to one event loop, so the examples reach the store only through HTTP (a sync httpx
client) and through `call`, which runs a store coroutine on the server's own loop.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
from fastapi import FastAPI
from stores import migrate, sqlite_url

from receiver.app import create_app, store_from_config
from receiver.config import ReceiverConfig
from receiver.store.contract import LoyaltyStore
from receiver.web.server import GuardedServer, make_server

T = TypeVar("T")
BACKENDS = ("memory", "sqlite", "postgresql")
"""The stores a module-wide receiver (`served`) runs on."""
RECEIVER_BACKENDS = ("memory", "sqlite")
"""The stores `on_every_store` runs a module's receiver tests on (`start_receiver` makes a SQLite file per receiver)."""
STARTUP_TIMEOUT = 10.0


@dataclass
class Served:
    """A receiver serving on loopback, a keep-alive client to it, and its store."""

    base_url: str
    app: FastAPI
    store: LoyaltyStore
    server: GuardedServer
    client: httpx.Client

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a store coroutine on the server's event loop (where the store's connections live)."""
        loop = self.server.servers[0].get_loop()
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=30)


def store_url(request: Any, folder: Path) -> str:
    """A fresh store for `request.param` (a module fixture's request): memory, a SQLite file, or a
    new database on the test process's PostgreSQL (`tests/support/postgres.py`)."""
    backend = request.param
    if backend == "memory":
        return "memory://"
    if backend == "sqlite":
        return sqlite_url(folder / "served.db")
    if backend == "postgresql":
        return migrate(request.getfixturevalue("postgres_server").new_database())
    raise ValueError(f"unknown backend {backend!r}")


@contextmanager
def served(config: ReceiverConfig) -> Iterator[Served]:
    """Serve `config` (its `store.url` chooses the store) until the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    store = store_from_config(config)
    app = create_app(config, store=store)
    server = make_server(app, config, log_config=None, log_level="warning", access_log=False, lifespan="on")
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not (server.started and _healthy(base_url)):
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError(f"the receiver did not start within {STARTUP_TIMEOUT}s")
            time.sleep(0.02)
        with httpx.Client(base_url=base_url, timeout=30.0) as client:
            yield Served(base_url, app, store, server, client)
    finally:
        server.should_exit = True
        thread.join(STARTUP_TIMEOUT)
        sock.close()


def _healthy(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/healthz", timeout=1.0).status_code == 200
    except httpx.TransportError:
        return False


def on_every_store(metafunc: Any) -> None:
    """A test module's `pytest_generate_tests`: each test that starts receivers runs once per `RECEIVER_BACKENDS`.

    (Through the `receiver_backend` fixture the `start_receiver` fixture reads; tests that start none are left alone.)
    """
    if "receiver_backend" in metafunc.fixturenames and not _chosen(metafunc, "receiver_backend"):
        metafunc.parametrize("receiver_backend", RECEIVER_BACKENDS, indirect=True)


def _chosen(metafunc: Any, name: str) -> bool:
    """The test parametrises `name` itself (its own choice of stores wins)."""
    for marker in metafunc.definition.iter_markers("parametrize"):
        names = marker.args[0] if marker.args else marker.kwargs.get("argnames", ())
        if name in ([part.strip() for part in names.split(",")] if isinstance(names, str) else names):
            return True
    return False
