"""Where one ingested event's time goes: each step of the `/v1/batch` path timed alone, beside the whole.

`receiver_speed.py` says how many events/s the ingest takes; this says what each one costs
and which part of that cost is the work the receiver must do. The same batches (100 `Points
Earned` events per call, fresh messageIds, 50 customers, as `receiver_speed.py` sends them)
go through each step on its own, in this process, then through the whole path
(`Fanout.process_all`, everything but HTTP):

    decode            the body's JSON (orjson)
    tracking checks   Segment's message rules and fill-ins (`parse_batch`)
    messageId claim   deduplication (a store write per message)
    pipeline          the enabled subscriptions: trigger, mapping, validation, the request
    webhook checks    classify, API key, redaction, the loyalty rules' decision (no store)
    idempotency       the Idempotency-Key claim (a store write per request)
    apply             the store's check-and-write of the event and balance, the key's answer
    log entry         the inbound-log entry with its request and response bodies (a store write)
    whole path        all of it, as a call runs it (dedup, mapping, the webhook core, the log)

Store steps run as the whole path runs them: one after another on memory, the call's
messages side by side on SQLite and PostgreSQL (so the group commit takes them together).
"glue" is the whole path minus the steps: the coroutines, objects and hand-overs that join
them. The last columns say what the 20,000 (memory) and 10,000 (SQLite, PostgreSQL) events/s
targets allow per event. Prints, asserts nothing.

    python bench/ingest_budget.py [--store memory:// --store sqlite://temporary --store postgresql://temporary]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import gc
import itertools
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from receiver_speed import TEMPORARY_POSTGRES, TEMPORARY_SQLITE, batch_body, temporary_postgres  # noqa: E402

from receiver.app import create_app  # noqa: E402
from receiver.config import load_config  # noqa: E402
from receiver.core.checks import MESSAGE_ID_HEADERS, check_api_key  # noqa: E402
from receiver.core.idempotency import HEADER as IDEMPOTENCY_HEADER  # noqa: E402
from receiver.core.idempotency import fingerprint  # noqa: E402
from receiver.ingest.messages import parse_batch  # noqa: E402
from receiver.jsontext import loads  # noqa: E402
from receiver.store.contract import NewLogEntry  # noqa: E402
from receiver.store.sql.migrate import upgrade  # noqa: E402

BATCH = 100
TARGETS = {"memory": 20_000, "sqlite": 10_000, "postgresql": 10_000}
_runs = itertools.count(1_000)


def bodies(calls: int) -> list[bytes]:
    """Fresh batches (each run of a step gets messageIds no earlier run used)."""
    run = next(_runs)
    return [batch_body(BATCH, run, i) for i in range(calls)]


class Steps:
    """The receiver's own objects, built as `serve` builds them, and each step over a list of calls."""

    def __init__(self, app: Any) -> None:
        self.fanout = app.state.ingest.fanout
        self.service = self.fanout.service
        self.grouped = self.service.store.groups_writes

    def messages(self, raw: Iterable[bytes]) -> list[list[dict[str, Any]]]:
        return [parse_batch(loads(body)[0], datetime.now(UTC)) for body in raw]

    def requests(self, calls: list[list[dict[str, Any]]]) -> list[list[tuple[dict[str, Any], dict[str, Any]]]]:
        """Each message's webhook request (body, headers), as the pipeline makes it."""
        made = []
        for call in calls:
            made.append(
                [
                    (outcome.request.json, {**outcome.request.headers, MESSAGE_ID_HEADERS[0]: message["messageId"]})
                    for message in call
                    for outcome in self.fanout.pipeline.run(message)
                ]
            )
        return made

    def decisions(self, requests: list[list[tuple[dict[str, Any], dict[str, Any]]]]) -> list[list[Any]]:
        """The webhook core's checks up to the store: what `apply` is handed."""
        service, contract = self.service, self.service.contract
        trusted = next((route.action.validator.schema for route in self.fanout.pipeline.routes), None)
        made = []
        for call in requests:
            decided = []
            for body, headers in call:
                action = contract.classify(body)
                check_api_key(body, contract.auth_field, service.api_gate, None)
                service.redact(body)  # the request as the log keeps it
                verdict = service.verdict(action, body, trusted)
                decided.append((verdict, headers.get(IDEMPOTENCY_HEADER), fingerprint(body)))
            made.append(decided)
        return made

    async def each_call(self, calls: list[list[Any]], step: Callable[[Any], Awaitable[Any]]) -> None:
        for items in calls:
            await self.each(items, step)

    async def each(self, items: list[Any], step: Callable[[Any], Awaitable[Any]]) -> None:
        """A call's items as the whole path runs them: side by side on a grouping store, else in turn."""
        if self.grouped:
            await asyncio.gather(*(step(item) for item in items))
        else:
            for item in items:
                await step(item)


def timed(calls: int, run: Callable[[], Any]) -> float:
    """µs per event of `run`, a sync function (collected garbage first, so one step does not pay for another's)."""
    gc.collect()
    started = time.perf_counter()
    result = run()
    if asyncio.iscoroutine(result):
        raise TypeError("use atimed for coroutines")
    return (time.perf_counter() - started) / (calls * BATCH) * 1e6


async def atimed(calls: int, run: Callable[[], Awaitable[Any]]) -> float:
    gc.collect()
    started = time.perf_counter()
    await run()
    return (time.perf_counter() - started) / (calls * BATCH) * 1e6


async def one_round(steps: Steps, calls: int) -> dict[str, float]:
    """Each step's µs per event over `calls` fresh calls."""
    service, dedup, now = steps.service, steps.fanout.dedup, datetime.now(UTC)
    figures: dict[str, float] = {}
    raw = bodies(calls)
    figures["decode"] = timed(calls, lambda: [loads(body) for body in raw])
    figures["tracking checks"] = timed(calls, lambda: steps.messages(raw))
    messages = steps.messages(raw)

    async def claims() -> None:
        for call in messages:
            await steps.each([m["messageId"] for m in call], dedup.first_time)

    figures["messageId claim"] = await atimed(calls, claims)
    figures["pipeline"] = timed(calls, lambda: [steps.fanout.pipeline.run(m) for call in messages for m in call])
    requests = steps.requests(messages)
    figures["webhook checks"] = timed(calls, lambda: steps.decisions(requests))
    decided = steps.decisions(requests)

    async def begin(item: Any) -> None:
        await service.idempotency.begin(item[1], item[2])

    async def apply(item: Any) -> None:
        await service.store.apply(item[0].customer, item[0].decide, idempotency_key=item[1])

    def entry(body: dict[str, Any], headers: dict[str, Any]) -> NewLogEntry:
        return NewLogEntry(
            headers[MESSAGE_ID_HEADERS[0]], now, "bench", "point_add", 202, 0.001, None, None,
            service.redact(body), {"id": "evt_0", "status": "accepted"}, True, None, "tracking",
        )  # fmt: skip

    async def log(request: tuple[dict[str, Any], dict[str, Any]]) -> None:
        await service.store.log_add("inbound", [entry(*request)])

    for name, items, step in (
        ("idempotency", decided, begin),
        ("apply", decided, apply),
        ("log entry", requests, log),
    ):
        figures[name] = await atimed(calls, functools.partial(steps.each_call, items, step))
    whole = steps.messages(bodies(calls))

    async def path() -> None:
        for call in whole:
            await steps.fanout.process_all(call)

    figures["whole path"] = await atimed(calls, path)
    return figures


async def measure(app: Any, calls: int) -> dict[str, float]:
    """Each step's µs per event, best of three rounds of `calls` calls."""
    steps = Steps(app)
    best: dict[str, float] = {}
    for _ in range(3):
        for name, value in (await one_round(steps, calls)).items():
            best[name] = min(best.get(name, value), value)
    return best


async def budget(url: str, calls: int) -> dict[str, float]:
    os.environ["ANTAVO_STORE_URL"] = url
    if not url.startswith("memory"):
        await upgrade(url)
    app = create_app(load_config(None))
    async with app.router.lifespan_context(app):
        return await measure(app, calls)


@contextlib.contextmanager
def store_url(name: str) -> Iterator[str]:
    if name == TEMPORARY_POSTGRES:
        with temporary_postgres() as url:
            yield url
    elif name == TEMPORARY_SQLITE:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/budget.db"
    else:
        yield name


def report(name: str, figures: dict[str, float]) -> None:
    kind = name.split(":", 1)[0]
    target = TARGETS.get(kind, TARGETS["memory"])
    allowed = 1e6 / target
    whole = figures.pop("whole path")
    parts = sum(figures.values())
    print(f"\n[{name}] µs per event (best of 3), whole path {whole:.1f} µs = {1e6 / whole:,.0f} events/s")
    print(f"  {'step':<18}{'µs/event':>10}{'share':>8}")
    for step, value in figures.items():
        print(f"  {step:<18}{value:>10.1f}{value / whole:>8.0%}")
    print(f"  {'glue':<18}{whole - parts + figures['decode'] + figures['tracking checks']:>10.1f}")
    total = whole + figures["decode"] + figures["tracking checks"]
    print(f"  decode + checks + whole path: {total:.1f} µs = {1e6 / total:,.0f} events/s before HTTP")
    print(f"  target {target:,} events/s allows {allowed:.0f} µs per event, HTTP included;")
    print(f"  the steps alone take {parts:.1f} µs ({1e6 / parts:,.0f} events/s if the glue cost nothing)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", action="append", help="store URL (repeatable; default memory://)")
    parser.add_argument("--calls", type=int, default=40, help="calls of 100 events per round (at most 200)")
    args = parser.parse_args()
    os.environ.setdefault("ANTAVO_API_KEY", secrets.token_hex(16))
    os.environ.setdefault("ANTAVO_WRITE_KEY", secrets.token_hex(16))
    for name in args.store or ["memory://"]:
        with store_url(name) as url:
            report(name, asyncio.run(budget(url, min(args.calls, 200))))


if __name__ == "__main__":
    main()
