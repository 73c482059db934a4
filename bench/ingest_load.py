"""Drive a running receiver's Tracking-API ingest with Segment's own Python library.

Start the receiver with the README's first command, then:

    python bench/ingest_load.py --events 1000          # keys default to the README's dev keys

Sends N mixed identify/track calls (some that map cleanly, some that fail validation, some that
a loyalty rule refuses, some that match no mapping), waits for the library to flush, then reads
the inbound log and prints where every message ended up, the accounting, and events/s.
Traffic goes to loopback only; the run is bounded by --events.
"""

from __future__ import annotations

import argparse
import collections
import ipaddress
import random
import time
import urllib.parse
import uuid

import httpx

try:
    from segment.analytics.client import Client
except ImportError:  # only the test extras install Segment's library
    raise SystemExit(
        "bench/ingest_load.py needs Segment's Python library: pip install -e '.[test]' "
        "(or pip install segment-analytics-python)"
    ) from None


def mixed_events(n: int, run: str, seed: int = 11) -> list[tuple[str, dict]]:
    rng = random.Random(seed)
    calls: list[tuple[str, dict]] = []
    for i in range(n):
        user = f"{run}-c{rng.randint(1, 50)}"
        mid = f"{run}-{i}"
        roll = rng.random()
        if roll < 0.25:
            calls.append(
                (
                    "identify",
                    dict(
                        user_id=user,
                        message_id=mid,
                        traits={
                            "first_name": rng.choice(["Ada", "Alan", "Grace"]),
                            "email": f"{user}@example.com",
                            "birthday": rng.choice(["1990-12-10", "not-a-date"]),
                            "tier": "gold",
                        },
                    ),
                )
            )
        elif roll < 0.50:
            calls.append(
                (
                    "track",
                    dict(
                        user_id=user,
                        message_id=mid,
                        event="Points Earned",
                        properties=rng.choice(
                            [{"points": rng.randint(1, 100), "source": "game", "reason": "level"}, {"source": "game"}]
                        ),
                    ),
                )
            )
        elif roll < 0.75:
            calls.append(
                (
                    "track",
                    dict(
                        user_id=user,
                        message_id=mid,
                        event="Order Completed",
                        properties={
                            "order_id": f"{run}-o{rng.randint(1, 400)}",
                            "total": round(rng.uniform(5, 300), 2),
                        },
                    ),
                )
            )
        elif roll < 0.85:
            calls.append(
                ("track", dict(user_id=user, message_id=mid, event="Signed Up", properties={"loyalty_consent": True}))
            )
        else:
            calls.append(
                (
                    "track",
                    dict(user_id=user, message_id=mid, event="Product Viewed", properties={"product_id": "SKU-1"}),
                )
            )
    return calls


def log_entries(url: str, api_key: str, prefix: str) -> list[dict]:
    """Every inbound-log entry whose identifier starts with this run's prefix."""
    found, cursor = [], None
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {api_key}"}, timeout=30) as client:
        for _ in range(10_000):
            params = {"limit": 500, **({"cursor": cursor} if cursor else {})}
            page = client.get("/v1/logs", params=params).raise_for_status().json()
            found += [e for e in page["items"] if e["id"].startswith(prefix)]
            cursor = page["next_cursor"]
            if cursor is None:
                break
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--write-key", default="dev-write-key")
    parser.add_argument("--api-key", default="dev-secret")
    parser.add_argument("--events", type=int, default=1000)
    args = parser.parse_args()
    if not ipaddress.ip_address(urllib.parse.urlsplit(args.url).hostname or "0.0.0.0").is_loopback:
        raise SystemExit("--url must be a loopback address")

    run = f"load-{uuid.uuid4().hex[:8]}"
    calls = mixed_events(args.events, run)
    errors: list[str] = []
    client = Client(
        write_key=args.write_key,
        host=args.url,
        max_retries=2,
        upload_size=100,
        on_error=lambda error, batch: errors.append(str(error)),
    )
    start = time.perf_counter()
    for kind, kwargs in calls:
        getattr(client, kind)(**kwargs)
    client.flush()
    elapsed = time.perf_counter() - start
    client.shutdown()

    entries = log_entries(args.url, args.api_key, run)
    by_message: dict[str, list[dict]] = collections.defaultdict(list)
    for entry in entries:
        by_message[entry["id"]].append(entry)
    outcomes: collections.Counter[str] = collections.Counter()
    for _, kwargs in calls:
        seen = by_message.get(kwargs["message_id"], [])
        if not seen:
            outcomes["missing from the log"] += 1
        for entry in seen:
            if entry["status"] == 202:
                outcomes["applied (202)"] += 1
            elif entry["status"] == 200:
                outcomes[f"ignored: {(entry['response'] or {}).get('reason', 'no mapping')}"] += 1
            else:
                outcomes[f"{entry['status']} {entry['error_code']}"] += 1
    print(
        f"sent {len(calls)} calls in {elapsed:.2f}s ({len(calls) / elapsed:,.0f} events/s), library errors: {len(errors)}"
    )
    print(f"{len(by_message)}/{len(calls)} messages are in the inbound log ({len(entries)} entries: one per request)")
    for outcome, count in outcomes.most_common():
        print(f"  {count:5d}  {outcome}")


if __name__ == "__main__":
    main()
