"""Nothing per request grows with a customer's history: one with 100,000 events against new ones.

In one process, on the memory store: a customer is given `--history` events first (through
the store, as the webhook writes them), then the same `point_add` request goes through the
webhook core (`WebhookService.deliver`: checks, rules, store, inbound log) alternately for
that customer and for a customer never seen before, `--requests` times each. Alternating
puts both under the same machine load; the figures are printed side by side with their ratio.
A ratio near 1.0 is the goal: a cost that grew with the history would show as a ratio far above it.

    python bench/history_cost.py [--history 100000] [--requests 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import time

from receiver.app import create_app
from receiver.config import ReceiverConfig
from receiver.core.calls import InProcessCall


def body(api_key: str, customer: str) -> dict[str, object]:
    return {"customer": customer, "action": "point_add", "data": {"points": 1}, "api_key": api_key}


async def measure(history: int, requests: int) -> None:
    api_key = secrets.token_urlsafe(24)
    config = ReceiverConfig(api_key=api_key)  # type: ignore[arg-type]
    app = create_app(config)
    service, store = app.state.service, app.state.store
    await store.open()
    action = service.contract.classify(body(api_key, "x"))
    payload = service.checker.check(action, body(api_key, "old"))
    decide = service.rules.decide(action, payload, "point_add").decide
    started = time.perf_counter()
    for _ in range(history):
        await store.apply("old", decide)
    filled = time.perf_counter() - started
    print(f"customer 'old' given {history:,} events in {filled:.1f} s; {requests:,} requests each, alternating")
    old: list[float] = []
    new: list[float] = []
    for n in range(requests):
        for customer, times in (("old", old), (f"new-{n}", new)):
            t0 = time.perf_counter()
            done = await service.deliver(InProcessCall(body(api_key, customer), None, None, source="bench"))
            times.append((time.perf_counter() - t0) * 1e6)
            if done.status != 202:
                raise SystemExit(f"request for {customer} answered {done.status}: {done.body}")
    snapshot = await store.customer("old")
    assert snapshot is not None and snapshot.event_count == history + requests

    def row(label: str, times: list[float]) -> str:
        q = statistics.quantiles(times, n=100)
        return f"  {label:<36} median {statistics.median(times):8.1f} us   p99 {q[98]:8.1f} us"

    print(row(f"customer with {history:,} events", old))
    print(row("a new customer each time (reference)", new))
    print(f"  {'':<36} ratio median {statistics.median(old) / statistics.median(new):.2f}x")
    await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--history", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=3_000)
    args = parser.parse_args()
    if args.history > 2_000_000 or args.requests > 100_000:
        raise SystemExit("bounded runs only: --history <= 2,000,000, --requests <= 100,000")
    asyncio.run(measure(args.history, args.requests))


if __name__ == "__main__":
    main()
