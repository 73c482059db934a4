"""What the database allows: the batched two-statement write from Python, the limit beside the store's figures.

Per transaction of `--batch` events, two `executemany` INSERTs — one row per event into an events
table, one into a log table, rows shaped like the receiver's (IDs, a JSON body, integers) — on the
same database the receiver used, through the bare driver: the standard library's `sqlite3` (with
the store's own pragmas: WAL, synchronous=NORMAL) or asyncpg. No ORM, no rules, no HTTP: every
store figure reads as a fraction of this. The tables are scratch ones, made and dropped here:
plain ones (`--tables plain`, the issue's measurement), or copies of the receiver's own `events`
and `log_entries` with all their indexes (`--tables receiver`: what the same rows cost the
database in the receiver's schema — the log alone keeps eleven indexes for the log API's filters).

    python bench/store_limit.py URL [--seconds 4] [--batch 100] [--tables plain|receiver]

prints one line of JSON: {"events_per_s": …, "cpu_us_per_event": …} (this process's CPU per event).
`bench/receiver_speed.py` runs it pinned to the server's core, after the receiver has stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the receiver's schema, for `--tables receiver`

EVENTS = "bench_limit_events"
LOG = "bench_limit_log"
BODY = json.dumps({"type": "track", "event": "Points Earned", "userId": "bench-1", "properties": {"points": 1}})


def rows(counter: itertools.count[int], batch: int) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    now = time.time_ns() // 1000
    ids = [f"evt_{next(counter):024d}" for _ in range(batch)]
    events = [(i, f"bench-{n % 50}", "default", "point_add", BODY, 1, now) for n, i in enumerate(ids)]
    answer = '{"status":"accepted"}'
    log = [("inbound", i, now, f"bench-{n % 50}", "track", 202, 0.001, BODY, answer) for n, i in enumerate(ids)]
    return events, log


def timed(seconds: float, batch: int, one: Callable[[], None]) -> dict[str, float]:
    cpu, start = time.process_time(), time.perf_counter()
    done = 0
    while time.perf_counter() - start < seconds:
        one()
        done += batch
    elapsed, spent = time.perf_counter() - start, time.process_time() - cpu
    return {"events_per_s": done / elapsed, "cpu_us_per_event": spent * 1e6 / done}


def receiver_tables(dialect: str) -> list[str]:
    """DDL of copies of the receiver's `events` and `log_entries` (columns, keys, every index) under scratch names."""
    from sqlalchemy import MetaData
    from sqlalchemy.dialects import postgresql, sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable

    from receiver.store.sql import tables as t

    scratch = MetaData()
    compiled = (postgresql if dialect == "postgresql" else sqlite).dialect()
    statements: list[str] = []
    for table, name in ((t.events, EVENTS), (t.log_entries, LOG)):
        copy = table.to_metadata(scratch, name=name)
        for index in copy.indexes:
            index.name = f"{name}_{index.name}"
        statements.append(str(CreateTable(copy).compile(dialect=compiled)))
        statements += [str(CreateIndex(index).compile(dialect=compiled)) for index in copy.indexes]
    return statements


PLAIN_SQLITE = [
    f"CREATE TABLE {EVENTS} (id TEXT PRIMARY KEY, customer_id TEXT, account TEXT, action TEXT,"
    " data TEXT, points INTEGER, received_at INTEGER)",
    f"CREATE TABLE {LOG} (seq INTEGER PRIMARY KEY, kind TEXT, id TEXT, timestamp INTEGER, customer_id TEXT,"
    " event_type TEXT, status INTEGER, response_time REAL, request TEXT, response TEXT)",
]
PLAIN_POSTGRES = [
    f"CREATE TABLE {EVENTS} (id TEXT PRIMARY KEY, customer_id TEXT, account TEXT, action TEXT,"
    " data JSONB, points INTEGER, received_at BIGINT)",
    f"CREATE TABLE {LOG} (seq BIGSERIAL PRIMARY KEY, kind TEXT, id TEXT, timestamp BIGINT, customer_id TEXT,"
    " event_type TEXT, status INTEGER, response_time FLOAT8, request JSONB, response JSONB)",
]
INSERT_EVENTS = f"INSERT INTO {EVENTS} (id, customer_id, account, action, data, points, received_at) VALUES "
INSERT_LOG = f"INSERT INTO {LOG} (kind, id, timestamp, customer_id, event_type, status, response_time, request, response) VALUES "
"""The columns a log entry of an accepted event fills; the receiver's other ones take their defaults or stay NULL."""


def sqlite_limit(path: str, seconds: float, batch: int, tables: list[str]) -> dict[str, float]:
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "busy_timeout=5000", "synchronous=NORMAL"):
        conn.execute(f"PRAGMA {pragma}")
    for statement in tables:
        conn.execute(statement)
    counter = itertools.count()

    def one() -> None:
        events, log = rows(counter, batch)
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(INSERT_EVENTS + "(?, ?, ?, ?, ?, ?, ?)", events)
        conn.executemany(INSERT_LOG + "(?, ?, ?, ?, ?, ?, ?, ?, ?)", log)
        conn.execute("COMMIT")

    try:
        return timed(seconds, batch, one)
    finally:
        conn.execute(f"DROP TABLE {EVENTS}")
        conn.execute(f"DROP TABLE {LOG}")
        conn.close()


async def postgres_limit(url: str, seconds: float, batch: int, tables: list[str]) -> dict[str, float]:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"), timeout=10)
    for statement in tables:
        await conn.execute(statement)
    counter = itertools.count()
    marks = "($1, $2, $3, $4, $5, $6, $7)"
    log_marks = "($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    try:
        cpu, start = time.process_time(), time.perf_counter()
        done = 0
        while time.perf_counter() - start < seconds:
            events, log = rows(counter, batch)
            async with conn.transaction():
                await conn.executemany(INSERT_EVENTS + marks, events)
                await conn.executemany(INSERT_LOG + log_marks, log)
            done += batch
        elapsed, spent = time.perf_counter() - start, time.process_time() - cpu
        return {"events_per_s": done / elapsed, "cpu_us_per_event": spent * 1e6 / done}
    finally:
        await conn.execute(f"DROP TABLE {EVENTS}")
        await conn.execute(f"DROP TABLE {LOG}")
        await conn.close()


def limit(url: str, seconds: float, batch: int, tables: str = "plain") -> dict[str, float]:
    scheme = urlsplit(url).scheme
    if scheme.startswith("sqlite"):
        ddl = PLAIN_SQLITE if tables == "plain" else receiver_tables("sqlite")
        return sqlite_limit(url.split("///", 1)[1], seconds, batch, ddl)
    if scheme.startswith("postgres"):
        ddl = PLAIN_POSTGRES if tables == "plain" else receiver_tables("postgresql")
        return asyncio.run(postgres_limit(url, seconds, batch, ddl))
    raise SystemExit(f"no limit to measure for {url!r}: give a sqlite:/// or postgresql:// URL")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url")
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--tables", choices=("plain", "receiver"), default="plain")
    args = parser.parse_args()
    if not 0 < args.seconds <= 120 or not 0 < args.batch <= 10_000:
        raise SystemExit("bounded runs only: 0 < --seconds <= 120, 0 < --batch <= 10000")
    print(json.dumps(limit(args.url, args.seconds, args.batch, args.tables)))


if __name__ == "__main__":
    main()
