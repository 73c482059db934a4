"""Shared fixtures: receiver settings and mappings folders, and a real uvicorn receiver on 127.0.0.1.

`receiver_server` runs the app in a uvicorn thread on a socket this process bound to a free
loopback port, waits (bounded) until it serves, and shuts it down after the test. It yields
the base URL, the API key, the app's store, the log lines the server wrote and the write key
of its Tracking API ingest. `serve_process` runs the `serve` command itself in a child process.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from hypothesis import settings
from stores import sqlite_url

from destination.definition.model import PROJECT_ROOT
from receiver.app import create_app, store_from_config
from receiver.config import ConfigError, ReceiverConfig, load_config
from receiver.store.contract import CustomerSnapshot, LoyaltyStore
from receiver.web.server import make_server

pytest_plugins = ["postgres", "segment_peer"]

# Timing is the benchmarks' business: on a loaded 2-core CI machine a per-example deadline only
# makes property tests flaky, so examples are judged on behaviour alone.
settings.register_profile("project", deadline=None)
settings.load_profile("project")

STARTUP_TIMEOUT = 10.0
SHUTDOWN_TIMEOUT = 10.0


@pytest.fixture
def api_key() -> str:
    return f"test-key-{secrets.token_hex(12)}"


@pytest.fixture
def write_key() -> str:
    return f"test-write-key-{secrets.token_hex(12)}"


@pytest.fixture
def make_config(api_key: str, write_key: str) -> Callable[..., ReceiverConfig]:
    """Settings for tests: the fixtures' keys, no file, no environment, no tracking plan (the tests of live
    plan checks name theirs); override any field."""

    def make(**overrides: Any) -> ReceiverConfig:
        fixed = {"api_key": api_key, "write_key": write_key, "stack": "test", "tracking_plan": "none"}
        return ReceiverConfig.model_validate({**fixed, **overrides})

    return make


@pytest.fixture
def settings_file(tmp_path: Path) -> Callable[[str], Path]:
    """Write a `receiver.yaml` with the given text (in the test's own folder) and return its path."""

    def write(text: str) -> Path:
        path = tmp_path / "receiver.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def config_error(settings_file: Callable[[str], Path]) -> Callable[[str], str]:
    """The message of the ConfigError `load_config` raises for a `receiver.yaml` with this text."""

    def refused(text: str) -> str:
        with pytest.raises(ConfigError) as caught:
            load_config(settings_file(text), environ={})
        return str(caught.value)

    return refused


@pytest.fixture
def write_mappings(tmp_path: Path) -> Callable[..., Path]:
    """A mappings folder for a receiver: YAML texts by file stem, plus copies of shipped mappings.

    `shipped` names files of the project's `mappings/` to copy, or is True for all of them.
    Calling it again adds to the same folder.
    """

    def write(files: Mapping[str, str], *, shipped: bool | Sequence[str] = ()) -> Path:
        folder = tmp_path / "mappings"
        if shipped is True:
            shutil.copytree(PROJECT_ROOT / "mappings", folder, dirs_exist_ok=True)
        folder.mkdir(exist_ok=True)
        for name in () if isinstance(shipped, bool) else shipped:
            shutil.copy(PROJECT_ROOT / "mappings" / name, folder / name)
        for stem, text in files.items():
            (folder / f"{stem}.yaml").write_text(text, encoding="utf-8")
        return folder

    return write


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
    store: LoyaltyStore
    log_lines: list[str] = field(default_factory=list)
    write_key: str = ""
    server: uvicorn.Server | None = None

    def call(self, coro: Any) -> Any:
        """Run a store coroutine on the server's own event loop (the store's connections live there)."""
        assert self.server is not None and self.server.servers
        loop = self.server.servers[0].get_loop()
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=30)

    def customer(self, customer_id: str) -> CustomerSnapshot | None:
        return self.call(self.store.customer(customer_id))

    def writes(self) -> int:
        """Events accepted so far (through the store's contract)."""
        return int(self.call(self.store.event_count()))

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
def receiver_backend(request: pytest.FixtureRequest) -> str:
    """The store receivers start on: `memory` unless a test module parametrises it (indirect)."""
    return str(getattr(request, "param", "memory"))


@pytest.fixture
def start_receiver(
    make_config: Callable[..., ReceiverConfig],
    _stopping_receivers: list[tuple[uvicorn.Server, threading.Thread]],
    receiver_backend: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> Iterator[Callable[..., RunningReceiver]]:
    """Start receivers with given settings overrides; every one is stopped after the test.

    An override may be a function of the receiver's own base URL (e.g. to send its outbound
    sync to its own Tracking API ingest).
    """
    running: list[tuple[uvicorn.Server, threading.Thread, _Capture]] = []

    def start(*, config_state: Any = None, **overrides: Any) -> RunningReceiver:
        # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on connections of TCP-typed sockets.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        own_url = f"http://127.0.0.1:{port}"
        # A callable override is given the receiver's own base URL (to point the receiver at itself).
        if "store" not in overrides and receiver_backend == "sqlite":
            overrides["store"] = {"url": sqlite_url(tmp_path / f"receiver-{port}.db")}
        elif "store" not in overrides and receiver_backend == "postgresql":
            overrides["store"] = {"url": request.getfixturevalue("postgres_url")()}
        config = make_config(**{name: v(own_url) if callable(v) else v for name, v in overrides.items()})
        store = store_from_config(config)
        app = create_app(config, store=store, config_state=config_state)
        capture = _Capture()
        capture.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        logging.getLogger().addHandler(capture)
        logging.getLogger("receiver").setLevel(logging.INFO)
        server = make_server(app, config, log_config=None, log_level="info", access_log=True, lifespan="on")
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        running.append((server, thread, capture))
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_serving(server, thread, base_url)
        write_key = config.write_key.get_secret_value() if config.write_key is not None else ""
        return RunningReceiver(
            base_url, config.api_key.get_secret_value(), app, store, capture.lines, write_key, server
        )

    yield start
    for server, thread, capture in running:
        server.should_exit = True
        logging.getLogger().removeHandler(capture)
        _stopping_receivers.append((server, thread))


def free_port() -> int:
    """A loopback port nobody listens on right now (for a child process to bind)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServeProcess:
    """The `serve` command running in a child process on `port`; its output is read when it stops."""

    proc: subprocess.Popen[str]
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def until(self, probe: Callable[[str], Any], timeout: float = 15.0) -> Any:
        """What `probe(base_url)` answers once it is neither None nor False (None on timeout).

        A connection error means "not serving yet", so the probe is asked again.
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                answer = probe(self.base_url)
            except httpx.TransportError:
                answer = None
            if answer is not None and answer is not False:
                return answer
            time.sleep(0.05)
        return None

    def interrupt(self) -> str:
        """Ctrl-C, as a person stops it; everything it printed."""
        self.proc.send_signal(signal.SIGINT)
        output, _ = self.proc.communicate(timeout=SHUTDOWN_TIMEOUT + 5)
        return output


@pytest.fixture
def serve_process() -> Iterator[Callable[..., ServeProcess]]:
    """Start `serve` with these options and extra environment variables; killed after the test if still up."""
    started: list[ServeProcess] = []

    def start(*options: str, env: Mapping[str, str]) -> ServeProcess:
        port = free_port()
        code = "import typer; from antavo_actions.cli.serve import serve; typer.run(serve)"
        proc = subprocess.Popen(
            [sys.executable, "-c", code, "--port", str(port), *options],
            cwd=PROJECT_ROOT,
            env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: `serve --workers N` children go with it
        )
        started.append(ServeProcess(proc, port))
        return started[-1]

    yield start
    for running in started:
        try:
            os.killpg(running.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if running.proc.returncode is None:
            running.proc.communicate(timeout=5)


@pytest.fixture
def receiver_server(start_receiver: Callable[..., RunningReceiver]) -> RunningReceiver:
    """A receiver with default settings (Multi Accounts off)."""
    return start_receiver()


@dataclass
class SegmentCall:
    """One request the stub Segment endpoint received, and what it answered."""

    path: str
    authorization: str | None
    body: Any
    status: int

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("batch", [])) if isinstance(self.body, dict) else []


@dataclass
class SegmentStub:
    """A tiny real HTTP server on loopback playing Segment's Tracking API.

    It answers the statuses in `script` first (one per request), then 200; each answer waits
    `delay` seconds first, and a refusal carries `retry_after` as its `Retry-After` header when
    set. Every request is recorded in `calls`.
    """

    url: str
    script: deque[int] = field(default_factory=deque)
    delay: float = 0.0
    retry_after: str | None = None
    calls: list[SegmentCall] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def delivered(self) -> list[dict[str, Any]]:
        """The messages of the batches it answered with a 2xx, in arrival order."""
        with self.lock:
            return [m for call in self.calls if 200 <= call.status < 300 for m in call.messages]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.delivered()
            if len(found) >= count:
                return found
            time.sleep(0.01)
        raise AssertionError(f"the stub got {len(self.delivered())} message(s), expected {count}")


def _stub_handler(stub: SegmentStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body: Any = json.loads(raw)
            except ValueError:
                body = None
            with stub.lock:
                status = stub.script.popleft() if stub.script else 200
            if stub.delay:
                time.sleep(stub.delay)
            with stub.lock:
                stub.calls.append(SegmentCall(self.path, self.headers.get("Authorization"), body, status))
            answer = json.dumps({"success": True} if status < 400 else {"error": "stub"}).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                if status >= 400 and stub.retry_after is not None:
                    self.send_header("Retry-After", stub.retry_after)
                self.end_headers()
                self.wfile.write(answer)
            except OSError:
                pass  # the client gave up (a receiver stopping mid-request): nothing to answer

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@pytest.fixture
def segment_stub() -> Iterator[SegmentStub]:
    """A stub Segment Tracking API on a free loopback port, stopped after the test."""
    stub = SegmentStub(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _stub_handler(stub))
    server.daemon_threads = True
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield stub
    server.shutdown()
    server.server_close()
    thread.join(SHUTDOWN_TIMEOUT)


FOLDER_MARKERS = {"e2e": "e2e", "browser": "browser"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests by folder (`-m "not browser"` and friends), so no test forgets its marker."""
    for item in items:
        marker = FOLDER_MARKERS.get(item.path.parent.name)
        if marker:
            item.add_marker(marker)
