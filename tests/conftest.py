"""Shared fixtures: receiver settings, and a real uvicorn receiver on 127.0.0.1.

`receiver_server` runs the app in a uvicorn thread on a socket this process bound to a free
loopback port, waits (bounded) until it serves, and shuts it down after the test. It yields
the base URL, the API key, the app's store and the log lines the server wrote.
"""

from __future__ import annotations

import logging
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from receiver.app import create_app
from receiver.config import ReceiverConfig
from receiver.store import MemoryStore

STARTUP_TIMEOUT = 10.0
SHUTDOWN_TIMEOUT = 10.0


@pytest.fixture
def api_key() -> str:
    return f"test-key-{secrets.token_hex(12)}"


@pytest.fixture
def make_config(api_key: str) -> Callable[..., ReceiverConfig]:
    """Settings for tests: the fixture's key, no file, no environment; override any field."""

    def make(**overrides: Any) -> ReceiverConfig:
        return ReceiverConfig.model_validate({"api_key": api_key, "stack": "test", **overrides})

    return make


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@dataclass
class RunningReceiver:
    """A receiver serving on loopback, and handles to look inside it."""

    base_url: str
    api_key: str
    app: FastAPI
    store: MemoryStore
    log_lines: list[str] = field(default_factory=list)

    @property
    def webhook_url(self) -> str:
        return f"{self.base_url}/v1/webhook/segment"

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=10.0, **kwargs)

    def async_client(self, **kwargs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, timeout=30.0, **kwargs)


def _wait_until_serving(server: uvicorn.Server, thread: threading.Thread, base_url: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError("the receiver thread exited during startup")
        if server.started:
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
        time.sleep(0.02)
    raise RuntimeError(f"the receiver did not start within {STARTUP_TIMEOUT}s")


@pytest.fixture(scope="session")
def _stopping_receivers() -> Iterator[list[tuple[uvicorn.Server, threading.Thread]]]:
    """Receivers told to stop; joined once at the end so no test waits for uvicorn's shutdown ticks."""
    stopping: list[tuple[uvicorn.Server, threading.Thread]] = []
    yield stopping
    for _, thread in stopping:
        thread.join(SHUTDOWN_TIMEOUT)
    assert not any(thread.is_alive() for _, thread in stopping), "a receiver did not shut down"


@pytest.fixture
def start_receiver(
    make_config: Callable[..., ReceiverConfig],
    _stopping_receivers: list[tuple[uvicorn.Server, threading.Thread]],
) -> Iterator[Callable[..., RunningReceiver]]:
    """Start receivers with given settings overrides; every one is stopped after the test."""
    running: list[tuple[uvicorn.Server, threading.Thread, _Capture]] = []

    def start(**overrides: Any) -> RunningReceiver:
        config = make_config(**overrides)
        store = MemoryStore()
        app = create_app(config, store=store)
        # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on connections of TCP-typed sockets.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        capture = _Capture()
        capture.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        logging.getLogger().addHandler(capture)
        logging.getLogger("receiver").setLevel(logging.INFO)
        server = uvicorn.Server(uvicorn.Config(app, log_config=None, log_level="info", access_log=True, lifespan="off"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        running.append((server, thread, capture))
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_serving(server, thread, base_url)
        return RunningReceiver(base_url, config.api_key.get_secret_value(), app, store, capture.lines)

    yield start
    for server, thread, capture in running:
        server.should_exit = True
        logging.getLogger().removeHandler(capture)
        _stopping_receivers.append((server, thread))


@pytest.fixture
def receiver_server(start_receiver: Callable[..., RunningReceiver]) -> RunningReceiver:
    """A receiver with default settings (Multi Accounts off)."""
    return start_receiver()
