"""What the database allows: the batched two-statement write from Python, the limit beside the store's figures.

Per transaction of `--batch` events, two `executemany` INSERTs — one row per event into an events
table, one into a log table, rows shaped like the receiver's (IDs, a JSON body, integers) — on the
same database the receiver used, through the bare driver: the standard library's `sqlite3` (with
the store's own pragmas: WAL, synchronous=NORMAL) or asyncpg. No ORM, no rules, no HTTP: every
store figure reads as a fraction of this. The tables are scratch ones, made and dropped here.

    python bench/store_limit.py URL [--seconds 4] [--batch 100]

prints one line of JSON: {"events_per_s": …, "cpu_us_per_event": …} (this process's CPU per event).
`bench/receiver_speed.py` runs it pinned to the server's core, after the receiver has stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sqlite3
import time
from collections.abc import Callable
from urllib.parse import urlsplit

EVENTS = "bench_limit_events"
LOG = "bench_limit_log"
BODY = json.dumps({"type": "track", "event": "Points Earned", "userId": "bench-1", "properties": {"points": 1}})


def rows(counter: itertools.count[int], batch: int) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    now = time.time_ns() // 1000
    ids = [f"evt_{next(counter):024d}" for _ in range(batch)]
    events = [(i, f"bench-{n % 50}", "default", "point_add", BODY, 1, now) for n, i in enumerate(ids)]
    log = [(i, now, f"bench-{n % 50}", "track", 202, BODY, '{"status":"accepted"}') for n, i in enumerate(ids)]
    return events, log


def timed(seconds: float, batch: int, one: Callable[[], None]) -> dict[str, float]:
    cpu, start = time.process_time(), time.perf_counter()
    done = 0
    while time.perf_counter() - start < seconds:
        one()
        done += batch
    elapsed, spent = time.perf_counter() - start, time.process_time() - cpu
    return {"events_per_s": done / elapsed, "cpu_us_per_event": spent * 1e6 / done}


def sqlite_limit(path: str, seconds: float, batch: int) -> dict[str, float]:
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "busy_timeout=5000", "synchronous=NORMAL"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute(
        f"CREATE TABLE {EVENTS} (id TEXT PRIMARY KEY, customer_id TEXT, account TEXT, action TEXT,"
        " data TEXT, points INTEGER, received_at INTEGER)"
    )
    conn.execute(
        f"CREATE TABLE {LOG} (seq INTEGER PRIMARY KEY, id TEXT, timestamp INTEGER, customer_id TEXT,"
        " event_type TEXT, status INTEGER, request TEXT, response TEXT)"
    )
    counter = itertools.count()

    def one() -> None:
        events, log = rows(counter, batch)
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(f"INSERT INTO {EVENTS} VALUES (?, ?, ?, ?, ?, ?, ?)", events)
        conn.executemany(
            f"INSERT INTO {LOG} (id, timestamp, customer_id, event_type, status, request, response)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            log,
        )
        conn.execute("COMMIT")

    try:
        return timed(seconds, batch, one)
    finally:
        conn.execute(f"DROP TABLE {EVENTS}")
        conn.execute(f"DROP TABLE {LOG}")
        conn.close()


async def postgres_limit(url: str, seconds: float, batch: int) -> dict[str, float]:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"), timeout=10)
    await conn.execute(
        f"CREATE TABLE {EVENTS} (id TEXT PRIMARY KEY, customer_id TEXT, account TEXT, action TEXT,"
        " data JSONB, points INTEGER, received_at BIGINT)"
    )
    await conn.execute(
        f"CREATE TABLE {LOG} (seq BIGSERIAL PRIMARY KEY, id TEXT, timestamp BIGINT, customer_id TEXT,"
        " event_type TEXT, status INTEGER, request JSONB, response JSONB)"
    )
    counter = itertools.count()
    insert_log = (
        f"INSERT INTO {LOG} (id, timestamp, customer_id, event_type, status, request, response)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )
    try:
        cpu, start = time.process_time(), time.perf_counter()
        done = 0
        while time.perf_counter() - start < seconds:
            events, log = rows(counter, batch)
            async with conn.transaction():
                await conn.executemany(f"INSERT INTO {EVENTS} VALUES ($1, $2, $3, $4, $5, $6, $7)", events)
                await conn.executemany(insert_log, log)
            done += batch
        elapsed, spent = time.perf_counter() - start, time.process_time() - cpu
        return {"events_per_s": done / elapsed, "cpu_us_per_event": spent * 1e6 / done}
    finally:
        await conn.execute(f"DROP TABLE {EVENTS}")
        await conn.execute(f"DROP TABLE {LOG}")
        await conn.close()


def limit(url: str, seconds: float, batch: int) -> dict[str, float]:
    scheme = urlsplit(url).scheme
    if scheme.startswith("sqlite"):
        return sqlite_limit(url.split("///", 1)[1], seconds, batch)
    if scheme.startswith("postgres"):
        return asyncio.run(postgres_limit(url, seconds, batch))
    raise SystemExit(f"no limit to measure for {url!r}: give a sqlite:/// or postgresql:// URL")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url")
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    if not 0 < args.seconds <= 120 or not 0 < args.batch <= 10_000:
        raise SystemExit("bounded runs only: 0 < --seconds <= 120, 0 < --batch <= 10000")
    print(json.dumps(limit(args.url, args.seconds, args.batch)))


if __name__ == "__main__":
    main()
