"""The store's unit of work alone (`LoyaltyStore.write_batch`), beside what the database allows, in one run.

No HTTP, no routing: calls of `--batch` messages, each one keyed `point_add` for one of 50
customers with its inbound-log entry — the writes a `/v1/batch` call of `Points Earned` events
makes — handed to the store by one caller, pinned to core 0. Printed per backend: messages/s,
the process's CPU per message (the SQLite writer thread included), and beside them
`bench/store_limit.py` on the same database (plain tables, and copies of the receiver's own).
What the unit writes besides the limit's two rows per event: the messageId and key claims, the
customers' rows, their balances, and the keys' answers.

    python bench/store_unit.py [--seconds 4] [--batch 100] [--store sqlite|postgresql ...]
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from receiver_speed import ROOT, SERVER_CPU, database_limit, pinned, temporary_postgres

from receiver.store import make_store
from receiver.store.contract import BatchMessage, BatchRequest, BatchWindows, Change, NewLogEntry, RequestOutcome

WINDOWS = BatchWindows(dedup=600, ttl=600, lease=30)


def entry(message_id: str, outcome: RequestOutcome | None = None) -> NewLogEntry:
    event = outcome.event if outcome is not None else None
    return NewLogEntry(
        id=message_id,
        timestamp=datetime.now(UTC),
        customer_id="bench",
        event_type="track",
        status=202,
        response_time=0.001,
        error=None,
        error_code=None,
        request={"customer": "bench", "action": "point_add", "data": {"points": 1}},
        response={"id": event.id if event else None, "status": "accepted"},
        source="segment:bench",
    )


def earn(_view: object) -> Change:
    return Change("default", "point_add", {"points": 1, "reason": "bench"}, points=1)


def call(counter: Iterator[int], size: int) -> list[BatchMessage]:
    messages = []
    for _ in range(size):
        n = next(counter)
        mid = f"m{n}"
        request = BatchRequest(lambda outcome, mid=mid: entry(mid, outcome), f"bench-{n % 50}", earn, f"k{n}", "fp")
        messages.append(BatchMessage(mid, lambda mid=mid: entry(mid), (request,)))
    return messages


async def unit(url: str, seconds: float, size: int) -> tuple[float, float]:
    """(messages/s, CPU µs per message) of `write_batch` calls from one caller."""
    store = make_store(url)
    await store.open()
    counter = itertools.count()
    try:
        for _ in range(3):  # warm: connections, prepared statements
            await store.write_batch(call(counter, size), WINDOWS)
        cpu, start, done = time.process_time(), time.perf_counter(), 0
        while time.perf_counter() - start < seconds:
            await store.write_batch(call(counter, size), WINDOWS)
            done += size
        return done / (time.perf_counter() - start), (time.process_time() - cpu) * 1e6 / done
    finally:
        await store.close()


def measure(backend: str, seconds: float, size: int) -> None:
    sys.path.insert(0, str(ROOT / "tests" / "support"))  # the tests' `migrate`, as `db upgrade` does it
    from stores import migrate, sqlite_url

    with contextlib.ExitStack() as stack:
        if backend == "sqlite":
            url = sqlite_url(Path(stack.enter_context(tempfile.TemporaryDirectory())) / "unit.db")
        else:
            url = stack.enter_context(temporary_postgres())
        migrate(url)
        code = (
            "import asyncio, json, sys; sys.path[:0] = [sys.argv[1], sys.argv[1] + '/bench'];"
            " from store_unit import unit;"
            " print(json.dumps(asyncio.run(unit(sys.argv[2], float(sys.argv[3]), int(sys.argv[4])))))"
        )
        cmd = pinned([sys.executable, "-c", code, str(ROOT), url, str(seconds), str(size)], SERVER_CPU)
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120, env=dict(os.environ))
        if done.returncode != 0:
            raise SystemExit(f"the unit run failed on {backend}: {done.stderr.strip()[-2000:]}")
        rate, cpu = json.loads(done.stdout)
        limits = {tables: database_limit(url, int(seconds), size, tables) for tables in ("plain", "receiver")}
    print(f"{backend}: write_batch x{size}, one caller")
    print(f"  {'store unit of work':<34} {rate:>10,.0f} messages/s   CPU {cpu:6.1f} us/message")
    for tables, limit in limits.items():
        print(
            f"  {'limit, ' + tables + ' tables':<34} {limit['events_per_s']:>10,.0f} events/s     "
            f"CPU {limit['cpu_us_per_event']:6.1f} us/event   unit at {rate / limit['events_per_s']:.2f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--store", action="append", choices=("sqlite", "postgresql"), default=None)
    args = parser.parse_args()
    if not 0 < args.seconds <= 60 or not 0 < args.batch <= 1000:
        raise SystemExit("bounded runs only: 0 < --seconds <= 60, 0 < --batch <= 1000")
    for backend in args.store or ["sqlite", "postgresql"]:
        measure(backend, args.seconds, args.batch)


if __name__ == "__main__":
    main()
