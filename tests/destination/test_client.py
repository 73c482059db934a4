"""The client against a real HTTP server on 127.0.0.1: retries, backoff bounds, no secret leaks."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from destination.definition.model import load_definition
from destination.delivery.action import IDEMPOTENCY_HEADER, prepare_request
from destination.delivery.client import (
    AntavoClient,
    AsyncAntavoClient,
    DeliveryResult,
    RetryPolicy,
    parse_retry_after,
)

DEFINITION = load_definition()
API_KEY = "sk-live-0123456789"
SETTINGS = {"stack": "test", "api_key": API_KEY}
FAST = RetryPolicy(attempts=4, base=0.01, cap=0.02)


@dataclass
class Reply:
    status: int
    body: str = "{}"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class Script:
    """Answers in order; once the script runs out, the last reply repeats."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.seen: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def next(self, body: bytes, headers: dict[str, str]) -> Reply:
        with self.lock:
            self.seen.append({"json": json.loads(body or b"null"), "headers": headers})
            return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


@pytest.fixture
def server() -> Iterator[tuple[str, list[Script]]]:
    holder: list[Script] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            reply = holder[0].next(body, {k.lower(): v for k, v in self.headers.items()})
            if reply.delay:
                time.sleep(reply.delay)
            data = reply.body.encode()
            try:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (the timeout test)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", holder
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def request(base_url: str):  # type: ignore[no-untyped-def]
    event = {"messageId": "m-1", "userId": "u1", "event": "Order Completed"}
    mapping = {"customer": {"@path": "$.userId"}, "action": {"@path": "$.event"}}
    return prepare_request(DEFINITION, "event", event, mapping, SETTINGS, base_url=base_url)


def assert_no_secret(result: DeliveryResult) -> None:
    assert API_KEY not in repr(result)
    assert API_KEY not in (result.body or "")
    assert API_KEY not in (result.error or "")


def test_retries_500_then_429_then_succeeds(server: tuple[str, list[Script]], caplog: pytest.LogCaptureFixture) -> None:
    base_url, holder = server
    holder.append(Script(Reply(500, "oops"), Reply(429, headers={"Retry-After": "0"}), Reply(202, '{"ok":true}')))
    caplog.set_level(logging.DEBUG)
    started = time.monotonic()
    with AntavoClient(timeout=2, retry=FAST) as client:
        result = client.send(request(base_url))
    assert (result.status, result.attempts, result.ok) == (202, 3, True)
    assert result.body == '{"ok":true}' and result.error is None
    assert len(result.delays) == 2
    assert 0 <= result.delays[0] <= FAST.cap  # full jitter under the cap
    assert result.delays[1] == 0  # Retry-After: 0 honoured
    assert time.monotonic() - started < 2
    script = holder[0]
    assert [s["json"]["api_key"] for s in script.seen] == [API_KEY] * 3  # the key is sent...
    keys = {s["headers"][IDEMPOTENCY_HEADER.lower()] for s in script.seen}
    assert len(keys) == 1  # ...with one idempotency key across retries
    assert API_KEY not in caplog.text  # ...but never logged
    assert "retrying" in caplog.text
    assert_no_secret(result)


def test_gives_up_after_bounded_attempts_and_scrubs_echoed_secrets(server: tuple[str, list[Script]]) -> None:
    base_url, holder = server
    holder.append(Script(Reply(503, f"bad key {API_KEY}")))
    with AntavoClient(timeout=2, retry=FAST) as client:
        result = client.send(request(base_url))
    assert (result.status, result.attempts, result.ok) == (503, FAST.attempts, False)
    assert len(holder[0].seen) == FAST.attempts
    assert all(d <= FAST.cap for d in result.delays) and len(result.delays) == FAST.attempts - 1
    assert result.error is not None and "503" in result.error
    assert result.body == "bad key [redacted]"
    assert_no_secret(result)


def test_client_errors_are_not_retried(server: tuple[str, list[Script]]) -> None:
    base_url, holder = server
    holder.append(Script(Reply(400, '{"error":"invalid"}'), Reply(202)))
    with AntavoClient(retry=FAST) as client:
        result = client.send(request(base_url))
    assert (result.status, result.attempts, result.delays) == (400, 1, ())


def test_large_retry_after_falls_back_to_backoff(server: tuple[str, list[Script]]) -> None:
    base_url, holder = server
    holder.append(Script(Reply(429, headers={"Retry-After": "3600"}), Reply(200)))
    with AntavoClient(retry=FAST) as client:
        result = client.send(request(base_url))
    assert result.status == 200 and result.attempts == 2
    assert result.delays[0] <= FAST.cap


def test_timeouts_are_retried(server: tuple[str, list[Script]]) -> None:
    base_url, holder = server
    holder.append(Script(Reply(200, delay=0.5), Reply(202)))
    with AntavoClient(timeout=0.1, retry=FAST) as client:
        result = client.send(request(base_url))
    assert result.status == 202 and result.attempts == 2


def test_connection_refused_is_retried_then_reported() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    policy = RetryPolicy(attempts=3, base=0.001, cap=0.002)
    with AntavoClient(timeout=1, retry=policy) as client:
        result = client.send(request(f"http://127.0.0.1:{port}"))
    assert result.status is None and result.attempts == 3
    assert result.error is not None and "ConnectError" in result.error
    assert_no_secret(result)


def test_async_client_has_the_same_behaviour(server: tuple[str, list[Script]]) -> None:
    base_url, holder = server
    holder.append(Script(Reply(502), Reply(429, headers={"Retry-After": "0"}), Reply(202)))

    async def main() -> DeliveryResult:
        async with AsyncAntavoClient(timeout=2, retry=FAST) as client:
            return await client.send(request(base_url))

    result = asyncio.run(main())
    assert (result.status, result.attempts) == (202, 3)
    assert_no_secret(result)


def test_retry_after_parsing() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
