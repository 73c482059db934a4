"""Events/s for the destination's hot path: trigger match, mapping, removal of empty values, validation.

Run on one core: `python bench/pipeline.py [--events 1000] [--rounds 20] [--subscriptions presets|mappings]
[--profile] [--json]`.
The events are realistic mixed Segment track and identify calls; the subscriptions are the
default ones (the "Loyalty events" and "Profile updates" presets, i.e. the actions' default
triggers with their default mappings) or the shipped `mappings/`. Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import time
from typing import Any

from destination.definition.model import load_definition
from destination.definition.subscriptions import load_mappings, load_presets
from destination.delivery.pipeline import Pipeline

EVENTS = ["Order Completed", "Points Earned", "Signed Up", "Product Viewed", "Product Reviewed", "Cart Viewed"]


def make_events(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    events = []
    for i in range(n):
        user = f"cust-{rng.randint(1, 500)}"
        base = {
            "messageId": f"bench-{i}",
            "timestamp": "2026-11-20T10:00:00.000Z",
            "anonymousId": f"anon-{i}",
            "userId": user,
            "context": {
                "ip": "203.0.113.7",
                "library": {"name": "analytics-python", "version": "2.3.3"},
                "locale": "en-GB",
                "page": {"path": "/shop", "url": "https://shop.example/shop"},
            },
        }
        if rng.random() < 0.3:
            base.update(
                type="identify",
                traits={
                    "first_name": rng.choice(["Ada", "Alan", "Grace"]),
                    "last_name": "Example",
                    "email": f"{user}@example.com",
                    "birthday": "1990-12-10",
                    "phone": rng.randint(10**8, 10**9),
                    "tier": rng.choice(["gold", "silver", None]),
                    "plan": "premium",
                },
            )
        else:
            name = rng.choice(EVENTS)
            base.update(
                type="track",
                event=name,
                properties={
                    "order_id": f"ORD-{i}",
                    "total": round(rng.uniform(5, 500), 2),
                    "currency": "EUR",
                    "points": rng.randint(1, 500),
                    "source": "game",
                    "reason": "level up",
                    "loyalty_consent": True,
                    "product_id": f"SKU-{rng.randint(1, 99)}",
                    "rating": rng.randint(1, 5),
                    "products": [{"product_id": "SKU-1", "price": 9.5, "quantity": 2}],
                },
            )
        events.append(base)
    return events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--subscriptions", choices=["presets", "mappings"], default="presets")
    parser.add_argument("--profile", action="store_true", help="print the profile's top entries")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    definition = load_definition()
    if args.subscriptions == "presets":
        subs = [
            p
            for p in load_presets(definition)
            if p.subscribe in {a.default_subscription for a in definition.actions.values()}
        ]
    else:
        subs = [s for s in load_mappings(definition) if s.enabled]
    pipeline = Pipeline(definition, subs, {"stack": "bench", "api_key": "bench-key"})
    events = make_events(args.events)
    for event in events[:100]:
        pipeline.run(event)

    def run() -> tuple[int, int]:
        ok = failed = 0
        for event in events:
            for outcome in pipeline.run(event):
                ok += outcome.ok
                failed += not outcome.ok
        return ok, failed

    start = time.perf_counter()
    for _ in range(args.rounds):
        ok, failed = run()
    elapsed = time.perf_counter() - start
    total = args.events * args.rounds
    if args.json:
        print(
            json.dumps(
                {
                    "subscriptions": args.subscriptions,
                    "events": args.events,
                    "rounds": args.rounds,
                    "prepared": ok,
                    "refused": failed,
                    "events_per_second": round(total / elapsed),
                    "microseconds_per_event": round(elapsed * 1e6 / total, 2),
                }
            )
        )
    else:
        print(f"subscriptions: {args.subscriptions} ({len(subs)}: {', '.join(s.name for s in subs)})")
        print(f"events: {args.events} x {args.rounds} rounds, per round {ok} requests prepared, {failed} refused")
        print(f"throughput: {total / elapsed:,.0f} events/s on one core ({elapsed * 1e6 / total:.1f} µs/event)")
    if args.profile:
        cProfile.runctx("run()", globals(), locals(), "/tmp/pipeline.prof")
        pstats.Stats("/tmp/pipeline.prof").sort_stats("tottime").print_stats(12)


if __name__ == "__main__":
    main()
