"""The store backends side by side: webhook req/s and p50/p99 at 50 connections, and bytes per stored event.

Four runs in one go, each on a fresh store: memory, SQLite (a temporary file), PostgreSQL with
one worker and with two (`serve --workers 2`), PostgreSQL started from Debian's binaries in a
temporary folder on a loopback port. The same `point_add` requests (spread over 500
customers, so the runs measure the store and not one hot row) go to each; the memory run is
the reference the others are read against. Bytes per stored event: the SQLite file (and its
WAL), PostgreSQL's database size, the memory server's resident set — each grown by the run,
divided by the events it stored (with their inbound-log entries). Prints, asserts nothing.

wrk is used when installed, else a bounded httpx load generator (which is CPU-bound itself and
reads lower); servers are pinned to core 0 (workers to 0-1) and the generator to core 1.

    python bench/store.py [--seconds 6] [--connections 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent / "tests" / "support")]

from postgres import start_postgres  # noqa: E402  (tests/support: the same PostgreSQL the tests start)
from receiver_speed import WEBHOOK, Figures, receiver, run_httpx, run_wrk  # noqa: E402

CUSTOMERS = 500

WRK_SPREAD = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = math.random(1, 1000000)
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, string.format([==[{{"customer":"bench-%d","action":"point_add","data":{{"points":1}},"api_key":"{key}"}}]==], n % {customers}))
end
"""


def body(api_key: str, n: int) -> bytes:
    event = {"customer": f"bench-{n % CUSTOMERS}", "action": "point_add", "data": {"points": 1}, "api_key": api_key}
    return json.dumps(event).encode()


def load(url: str, api_key: str, args: argparse.Namespace) -> Figures:
    if shutil.which("wrk") and not args.no_wrk:
        return run_wrk(
            url, WEBHOOK, WRK_SPREAD.format(key=api_key, customers=CUSTOMERS), args.connections, args.seconds
        )
    headers = {"content-type": "application/json"}
    make = lambda w, i: body(api_key, w * 100_003 + i)
    return asyncio.run(run_httpx(url, WEBHOOK, make, headers, args.connections, args.seconds))


def stored_events(url: str, api_key: str) -> int:
    auth = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=url, headers=auth, timeout=30) as client:
        found = (client.get(f"/v1/customers/bench-{n}") for n in range(CUSTOMERS))
        return sum(r.json()["event_count"] for r in found if r.status_code == 200)


def rss_bytes(port: int) -> int:
    """The resident set of the process listening on `port` (the memory run's one server)."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"serve" in cmdline and f"{port}".encode() in cmdline:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    return 0


def migrate(url: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "antavo_actions", "db", "upgrade", "--store", url], capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(done.stderr)


def pg_size(url: str) -> int:
    async def size() -> int:
        import asyncpg

        conn = await asyncpg.connect(url)
        try:
            return int(await conn.fetchval("SELECT pg_database_size(current_database())"))
        finally:
            await conn.close()

    return asyncio.run(size())


def run(
    label: str, store: str, workers: int, api_key: str, args: argparse.Namespace, size
) -> tuple[str, Figures, float]:
    with receiver(api_key, "unused-write-key-0123456789", None if store == "memory://" else store, workers) as url:
        port = int(url.rsplit(":", 1)[1])
        before = size(port)
        figures = load(url, api_key, args)
        events = stored_events(url, api_key)
        grown = size(port) - before
    return label, figures, grown / events if events else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--no-wrk", action="store_true")
    args = parser.parse_args()
    if args.seconds > 120 or args.connections > 500:
        raise SystemExit("bounded runs only: --seconds <= 120, --connections <= 500")
    api_key = secrets.token_urlsafe(24)
    generator = "wrk" if shutil.which("wrk") and not args.no_wrk else "httpx (no wrk found; reads lower)"
    print(
        f"webhook point_add over {CUSTOMERS} customers, {args.connections} connections, {args.seconds} s; {generator}"
    )
    rows = [run("memory", "memory://", 1, api_key, args, rss_bytes)]
    folder = Path(tempfile.mkdtemp(prefix="antavo-bench-"))
    sqlite = f"sqlite:///{folder / 'bench.db'}"
    migrate(sqlite)

    def file_size(_port: int) -> int:
        return sum(path.stat().st_size for path in folder.glob("bench.db*"))

    rows.append(run("sqlite", sqlite, 1, api_key, args, file_size))
    server = start_postgres()
    try:
        for workers in (1, 2):
            url = migrate_new(server)
            rows.append(
                run(f"postgresql, {workers} worker(s)", url, workers, api_key, args, lambda _p, u=url: pg_size(u))
            )
    finally:
        server.remove()
        shutil.rmtree(folder, ignore_errors=True)
    reference = rows[0][1]
    print(
        f"\n  {'store':<24} {'req/s':>8} {'vs memory':>10} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'bytes/event':>12}"
    )
    for label, figures, per_event in rows:
        ratio = figures.rps / reference.rps if reference.rps else float("nan")
        print(
            f"  {label:<24} {figures.rps:>8,.0f} {ratio:>9.2f}x {figures.p50_ms:>8.1f} {figures.p99_ms:>8.1f}"
            f" {figures.errors:>8} {per_event:>12,.0f}"
        )


def migrate_new(server) -> str:
    url = server.new_database()
    migrate(url)
    return url


if __name__ == "__main__":
    main()
