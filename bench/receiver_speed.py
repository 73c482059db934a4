"""The receiver's speed, side by side with a reference measured in the same run.

Two measurements, each printed next to its reference and as a ratio:

1. Webhook: `serve` against `bench/bare_endpoint.py` (parse + `jsonschema` only), the same
   `point_add` body, 50 connections, 8 s. The server is pinned to core 0 and wrk to core 1
   (`taskset`), so both servers get one core each and the load generator never competes.
2. Ingest: `/v1/batch` with 100 `Points Earned` events per call (fresh `messageId`s per call,
   so nothing is deduplicated away), 8 connections; events/s through the full path.

On a durable store the ingest is printed beside the same-run limit: `bench/store_limit.py`, the
batched two-statement write (two `executemany` INSERTs per transaction of `--batch` events) from
Python through the bare driver, on the same database and core once the receiver has stopped —
into plain tables, and into copies of the receiver's own `events` and `log_entries` (their indexes).

Beside each rate, the server's own CPU time per request (per event for the ingest), read
from the process (psutil) around the load: on a machine other work is sharing, the rates and
latencies move with that load, the CPU cost per request much less.

With `--store URL` (repeatable) each measurement runs once per store backend, e.g.
`--store memory:// --store sqlite://temporary --store postgresql://temporary` (the last two make a
throwaway SQLite file and a throwaway PostgreSQL from Debian's binaries, as the tests do).
wrk (Debian package `wrk`) is used when present; otherwise a bounded httpx load generator,
which is itself CPU-bound and reads lower — the script says which it used.
Traffic goes to 127.0.0.1 only and every run is bounded in time.

    python bench/receiver_speed.py [--seconds 8] [--connections 50] [--store URL ...] [--workers N]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
WEBHOOK = "/v1/webhook/segment"
SERVER_CPU, LOAD_CPU = "0", "1"


SERVERS: dict[str, int] = {}
"""Base URL → the server's pid, to read the CPU time it spent (`server_cpu`)."""


@dataclass
class Figures:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    count: int = 0
    """Requests (or events) served."""
    cpu_us: float = float("nan")
    """The server's CPU time per request (or event): unlike the rates, barely moved by other load on the machine."""

    def row(self, label: str, unit: str = "req/s") -> str:
        return (
            f"  {label:<34} {self.rps:>10,.0f} {unit:<9} p50 {self.p50_ms:7.1f} ms   p99 {self.p99_ms:7.1f} ms   "
            f"CPU {self.cpu_us:7.1f} us/{unit.split('/')[0].rstrip('s')}   non-2xx {self.errors}"
        )


def server_cpu(url: str) -> float:
    """CPU seconds (user + system) the server at `url` has used, its worker processes included."""
    import psutil

    main = psutil.Process(SERVERS[url])
    total = 0.0
    for proc in [main, *main.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = proc.cpu_times()
            total += times.user + times.system
    return total


def with_cpu(url: str, run: Callable[[], Figures], per: int = 1) -> Figures:
    """`run()`'s figures, with the server's CPU time per request (per event: `per` events a request)."""
    before = server_cpu(url)
    figures = run()
    spent = server_cpu(url) - before
    figures.cpu_us = spent * 1e6 / (figures.count * per) if figures.count else float("nan")
    return figures


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(cmd: list[str], cpu: str) -> list[str]:
    return ["taskset", "-c", cpu, *cmd] if shutil.which("taskset") and (os.cpu_count() or 1) > 1 else cmd


def wait_ready(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1).status_code < 500:
                return
        time.sleep(0.1)
    raise SystemExit(f"server at {url} did not start")


@contextlib.contextmanager
def process(cmd: list[str], env: dict[str, str], ready: str) -> Iterator[None]:
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_ready(ready)
        SERVERS[ready.rsplit("/", 1)[0]] = proc.pid  # taskset execs the server: same pid
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextlib.contextmanager
def receiver(api_key: str, write_key: str, store: str | None, workers: int) -> Iterator[str]:
    port = free_port()
    cmd = [sys.executable, "-m", "antavo_actions", "serve", "--port", str(port), "--log-level", "warning"]
    if store:
        cmd += ["--store", store]
        # A durable store must be at the code's schema version before `serve` accepts it.
        upgrade = [sys.executable, "-m", "antavo_actions", "db", "upgrade", "--store", store]
        subprocess.run(upgrade, cwd=ROOT, check=True, capture_output=True, timeout=120)
    if workers > 1:
        cmd += ["--workers", str(workers)]
    env = {**os.environ, "ANTAVO_API_KEY": api_key, "ANTAVO_WRITE_KEY": write_key}
    server_cpus = SERVER_CPU if workers == 1 else f"0-{min(workers, os.cpu_count() or 1) - 1}"
    with process(pinned(cmd, server_cpus), env, f"http://127.0.0.1:{port}/healthz"):
        yield f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def bare_endpoint() -> Iterator[str]:
    port = free_port()
    cmd = pinned([sys.executable, str(ROOT / "bench" / "bare_endpoint.py"), str(port)], SERVER_CPU)
    with process(cmd, dict(os.environ), f"http://127.0.0.1:{port}/docs"):
        yield f"http://127.0.0.1:{port}"


def point_add(api_key: str) -> dict[str, object]:
    return {"customer": "bench-customer", "action": "point_add", "data": {"points": 1}, "api_key": api_key}


WRK_WEBHOOK = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [==[{body}]==]
"""

WRK_BATCH = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Basic {auth}"
local n = 0
local thread_id = math.random(1, 1000000000)
request = function()
  local parts = {{}}
  for i = 1, {size} do
    n = n + 1
    parts[i] = string.format([==[{{"type":"track","event":"Points Earned","userId":"bench-%d","messageId":"m-%d-%d","properties":{{"points":1}}}}]==], n % 50, thread_id, n)
  end
  return wrk.format(nil, "/v1/batch", nil, '{{"batch":[' .. table.concat(parts, ",") .. ']}}')
end
"""


def run_wrk(url: str, path: str, script: str, connections: int, seconds: int) -> Figures:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    cmd = pinned(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "30s",
            "--latency",
            "-s",
            lua.name,
            url + path,
        ],
        LOAD_CPU,
    )
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60).stdout
    os.unlink(lua.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    count = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors_match = re.search(r"Non-2xx or 3xx responses: (\d+)", out)

    def pct(p: str) -> float:
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    return Figures(rps, pct("50"), pct("99"), int(errors_match.group(1)) if errors_match else 0, count)


async def run_httpx(url: str, path: str, make, headers: dict[str, str], connections: int, seconds: int) -> Figures:
    latencies: list[float] = []
    errors = 0
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30, headers=headers) as client:

        async def worker(w: int) -> None:
            nonlocal errors
            i = 0
            while time.monotonic() < stop:
                i += 1
                t0 = time.perf_counter()
                r = await client.post(path, content=make(w, i))
                latencies.append((time.perf_counter() - t0) * 1000)
                errors += r.status_code >= 300

        started = time.monotonic()
        await asyncio.gather(*(worker(w) for w in range(connections)))
        elapsed = time.monotonic() - started
    q = statistics.quantiles(latencies, n=100)
    return Figures(len(latencies) / elapsed, q[49], q[98], errors, len(latencies))


def batch_body(size: int, w: int, i: int) -> bytes:
    events = [
        {
            "type": "track",
            "event": "Points Earned",
            "userId": f"bench-{(i * size + k) % 50}",
            "messageId": f"m-{w}-{i}-{k}",
            "properties": {"points": 1},
        }
        for k in range(size)
    ]
    return json.dumps({"batch": events}).encode()


TEMPORARY_POSTGRES, TEMPORARY_SQLITE = "postgresql://temporary", "sqlite://temporary"


@contextlib.contextmanager
def temporary_postgres() -> Iterator[str]:
    """A PostgreSQL from Debian's binaries in a temporary folder on a loopback port (the tests' own)."""
    sys.path.insert(0, str(ROOT / "tests" / "support"))
    from postgres import start_postgres

    server = start_postgres()
    try:
        yield server.new_database()
    finally:
        server.remove()


def measure(args: argparse.Namespace) -> None:
    api_key, write_key = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    use_wrk = shutil.which("wrk") is not None and not args.no_wrk
    print(f"load generator: {'wrk (core 1)' if use_wrk else 'httpx (no wrk found; reads lower)'}; servers on core 0")
    body = json.dumps(point_add(api_key))

    def webhook(url: str) -> Figures:
        if use_wrk:
            script = WRK_WEBHOOK.format(body=body)
            return with_cpu(url, lambda: run_wrk(url, WEBHOOK, script, args.connections, args.seconds))
        headers = {"content-type": "application/json"}
        load = run_httpx(url, WEBHOOK, lambda w, i: body.encode(), headers, args.connections, args.seconds)
        return with_cpu(url, lambda: asyncio.run(load))

    def ingest(url: str) -> Figures:
        auth = base64.b64encode(f"{write_key}:".encode()).decode()
        if use_wrk:
            script = WRK_BATCH.format(auth=auth, size=args.batch)
            run = lambda: run_wrk(url, "/v1/batch", script, args.batch_connections, args.seconds)
        else:
            headers = {"content-type": "application/json", "authorization": f"Basic {auth}"}
            make = lambda w, i: batch_body(args.batch, w, i)
            run = lambda: asyncio.run(run_httpx(url, "/v1/batch", make, headers, args.batch_connections, args.seconds))
        calls = with_cpu(url, run, args.batch)
        return Figures(calls.rps * args.batch, calls.p50_ms, calls.p99_ms, calls.errors, calls.count, calls.cpu_us)

    with bare_endpoint() as url:
        bare = webhook(url)
    print(f"\nWebhook, {args.connections} connections, {args.seconds} s, same point_add body:")
    print(bare.row("bare FastAPI + jsonschema"))
    for store in args.store:
        with contextlib.ExitStack() as stack:
            if store == TEMPORARY_POSTGRES:
                store = stack.enter_context(temporary_postgres())
            elif store == TEMPORARY_SQLITE:
                store = f"sqlite:///{stack.enter_context(tempfile.TemporaryDirectory())}/bench.db"
            durable = None if store == "memory://" else store
            with receiver(api_key, write_key, durable, args.workers) as url:
                figures = webhook(url)
                batch = ingest(url)
            # The receiver has stopped: the database's own limit, on the same core, the same database.
            limits = (
                [database_limit(durable, args.seconds, args.batch, tables) for tables in LIMIT_TABLES]
                if durable
                else []
            )
        label = f"receiver [{store.split(':')[0]}{f', {args.workers} workers' if args.workers > 1 else ''}]"
        print(figures.row(label))
        print(
            f"  {'':<34} ratio {figures.rps / bare.rps:.2f}x req/s, p99 {figures.p99_ms / bare.p99_ms:.2f}x, "
            f"CPU per request {figures.cpu_us / bare.cpu_us:.2f}x"
        )
        print(f"  /v1/batch x{args.batch}, {args.batch_connections} connections:")
        print(batch.row("  ingest", "events/s"))
        for tables, limit in zip(LIMIT_TABLES, limits):  # none for the memory store
            print(
                f"    {'same-run limit, ' + tables + ' tables':<32} {limit['events_per_s']:>10,.0f} events/s  "
                f"(bare driver, 2 x executemany per {args.batch}-event transaction, CPU {limit['cpu_us_per_event']:.1f} us/event)"
            )
            print(f"    {'  ingest / limit':<32} {batch.rps / limit['events_per_s']:>10.2f}x")


LIMIT_TABLES = ("plain", "receiver")
"""`store_limit.py --tables`: scratch tables without indexes, and copies of the receiver's own (every index)."""


def database_limit(url: str, seconds: int, batch: int, tables: str) -> dict[str, float]:
    """`bench/store_limit.py` on `url`, pinned to the server's core: the batched two-statement write's rate."""
    cmd = pinned([sys.executable, str(ROOT / "bench" / "store_limit.py"), url, "--seconds", str(seconds)], SERVER_CPU)
    cmd += ["--batch", str(batch), "--tables", tables]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise SystemExit(f"store_limit.py failed on {url}: {done.stderr.strip()}")
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--batch-connections", type=int, default=8)
    parser.add_argument(
        "--store",
        action="append",
        default=None,
        help=f"store URL (repeatable; default memory://); {TEMPORARY_SQLITE} and {TEMPORARY_POSTGRES} make throwaway ones",
    )
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--no-wrk", action="store_true", help="use the httpx generator even when wrk exists")
    args = parser.parse_args()
    args.store = args.store or ["memory://"]
    if args.seconds > 120 or args.connections > 500:
        raise SystemExit("bounded runs only: --seconds <= 120, --connections <= 500")
    measure(args)


if __name__ == "__main__":
    main()
