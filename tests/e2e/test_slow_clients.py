"""Slow, stalled and oversized clients against a real receiver: limits, timeouts and a bounded shutdown."""

from __future__ import annotations

import contextlib
import signal
import socket
import time

import httpx

WEBHOOK = "/v1/webhook/segment"


def _port(base_url: str) -> int:
    return int(base_url.rsplit(":", 1)[1])


def _answer(sock: socket.socket) -> bytes:
    chunks = []
    with contextlib.suppress(OSError):
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_headers_too_large_or_too_many_get_431(start_receiver):
    receiver = start_receiver(limits={"max_header_bytes": 4096, "max_headers": 20})
    port = _port(receiver.base_url)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 1_000_000)
        big = _answer(sock)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(
            b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % n for n in range(30)) + b"\r\n"
        )
        many = _answer(sock)
    assert big.startswith(b"HTTP/1.1 431 ") and b"REQUEST_HEADER_FIELDS_TOO_LARGE" in big
    assert many.startswith(b"HTTP/1.1 431 ") and b"more than 20 headers" in many
    with receiver.client() as client:
        assert client.get("/healthz", headers={f"X-{n}": "1" for n in range(10)}).status_code == 200


def test_slow_and_stalled_clients_are_cut_off_and_healthz_stays_fast(start_receiver):
    receiver = start_receiver(limits={"header_timeout_seconds": 1.5, "body_timeout_seconds": 1.5})
    port = _port(receiver.base_url)
    sockets = []
    for n in range(50):  # slow headers: a line, then nothing
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + str(n).encode())
        sockets.append(sock)
    for _ in range(20):  # stalled bodies: 5 bytes of 1000
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(
            f"POST {WEBHOOK} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n".encode()
            + b'{"a":'
        )
        sockets.append(sock)
    with receiver.client() as client:
        client.get("/healthz")
        timings = []
        for _ in range(10):
            started = time.perf_counter()
            assert client.get("/healthz").status_code == 200
            timings.append(time.perf_counter() - started)
    assert min(timings) < 0.1, timings
    started = time.monotonic()
    answers = [_answer(sock) for sock in sockets]  # each returns when the server closes it
    waited = time.monotonic() - started
    for sock in sockets:
        sock.close()
    assert waited < 8, waited
    assert all(answer.startswith(b"HTTP/1.1 408 ") for answer in answers[:50])
    assert all(answer == b"" for answer in answers[50:])


def test_above_the_connection_cap_requests_get_503(start_receiver):
    receiver = start_receiver(limits={"max_connections": 5})
    port = _port(receiver.base_url)
    idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(5)]
    try:
        time.sleep(0.2)
        with receiver.client() as client:
            assert client.get("/healthz").status_code == 503
    finally:
        for sock in idle:
            sock.close()
    time.sleep(0.2)
    with receiver.client() as client:
        assert client.get("/healthz").status_code == 200


def test_sigterm_exits_within_the_shutdown_limit_despite_a_stalled_client(serve_process):
    serving = serve_process(
        "--log-level",
        "warning",
        env={
            "ANTAVO_API_KEY": "sigterm-test-key-0001",
            "ANTAVO_LIMITS_SHUTDOWN_TIMEOUT_SECONDS": "2",
            "ANTAVO_LIMITS_BODY_TIMEOUT_SECONDS": "60",
        },
    )
    assert serving.until(lambda url: httpx.get(f"{url}/healthz", timeout=0.5).status_code == 200, timeout=60)
    with socket.create_connection(("127.0.0.1", serving.port), timeout=10) as sock:
        sock.sendall(
            f"POST {WEBHOOK} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n".encode()
            + b'{"a":'
        )
        time.sleep(0.3)
        started = time.monotonic()
        serving.proc.send_signal(signal.SIGTERM)
        serving.proc.communicate(timeout=30)
        took = time.monotonic() - started
    assert serving.proc.returncode is not None
    assert took < 2 + 2.5, took
