"""Memory under unauthenticated abuse: 3,000 requests with a wrong key and 32 KB bodies.

Starts `antavo-actions serve` in a child process, writes 50 authenticated events, then sends
3,000 webhook requests with a wrong `api_key` and a 32 KB body of many small values (the
shape that cost ~800 KiB per log entry before the log was bounded by bytes). It prints the
server's RSS growth beside a reference measured in the same run (3,000 `/healthz` calls),
once with the default limits (the failed-key rate limit answers 429 after 20 failures) and
once with the rate limit lifted (the log's own bounds alone), and checks that the 50
authenticated entries are still in the log.

    python bench/abuse_memory.py          # needs psutil (in the test extras)
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
API_KEY = "bench-abuse-api-key-0001"
REQUESTS = 3_000
AUTHENTICATED = 50


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _body(n: int) -> bytes:
    """Just under 32 KB of many small values (each a Python object once parsed)."""
    data = {f"k{i}": i for i in range(2_300)}
    return json.dumps({"customer": f"chosen-{n}", "action": "custom", "data": data, "api_key": "wrong-key"}).encode()


def _rss(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


def run(extra_env: dict[str, str]) -> dict[str, float]:
    port = _free_port()
    code = "import typer; from antavo_actions.cli.serve import serve; typer.run(serve)"
    env = {**os.environ, "ANTAVO_API_KEY": API_KEY, **extra_env}
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "--port", str(port), "--log-level", "warning"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            for _ in range(600):
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            webhook = "/v1/webhook/segment"
            for n in range(AUTHENTICATED):
                client.post(webhook, json={"customer": f"real-{n}", "action": "opt_in", "api_key": API_KEY})
            start = _rss(proc.pid)
            for _ in range(REQUESTS):
                client.get("/healthz")
            reference = _rss(proc.pid) - start
            body = _body(0)
            assert len(body) <= 32 * 1024 and json.loads(body)
            before = _rss(proc.pid)
            statuses: dict[int, int] = {}
            # The abuser comes from another loopback address, so the honest client is not the one rate-limited.
            attacker = httpx.Client(base_url=base, timeout=30, transport=httpx.HTTPTransport(local_address="127.0.0.9"))
            with attacker:
                for n in range(REQUESTS):
                    answer = attacker.post(webhook, content=_body(n), headers={"Content-Type": "application/json"})
                    statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
            growth = _rss(proc.pid) - before
            auth = {"Authorization": f"Bearer {API_KEY}"}
            items = client.get("/v1/logs", params={"limit": 500, "error": "false"}, headers=auth).json()["items"]
            kept = sum(1 for item in items if str(item.get("customer_id", "")).startswith("real-"))
    finally:
        proc.terminate()
        proc.wait(30)
    return {"growth": growth, "reference": reference, "kept": kept, "statuses": statuses}  # type: ignore[dict-item]


def main() -> None:
    print(f"{REQUESTS} unauthenticated webhook requests of 32 KB each; RSS growth of the server (MiB)")
    print(f"{'limits':<34}{'abuse':>10}{'reference':>12}{'auth entries kept':>20}  statuses")
    worst = 0.0
    for label, env in (
        ("defaults (rate limit on)", {}),
        (
            "rate limit lifted (log bounds only)",
            {"ANTAVO_LIMITS_AUTH_FAILURES_BURST": "100000000", "ANTAVO_LIMITS_KEY_FAILURES_BURST": "100000000"},
        ),
    ):
        found = run(env)
        worst = max(worst, found["growth"])
        print(
            f"{label:<34}{found['growth']:>10.1f}{found['reference']:>12.1f}"
            f"{found['kept']:>12}/{AUTHENTICATED:<7}  {found['statuses']}"
        )
        if found["kept"] != AUTHENTICATED:
            sys.exit("authenticated entries were pushed out of the log")
    print(f"goal: growth < 50 MiB — {'met' if worst < 50 else 'NOT met'} (worst {worst:.1f} MiB)")
    sys.exit(0 if worst < 50 else 1)


if __name__ == "__main__":
    main()
