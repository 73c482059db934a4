"""`/v1/batch` as one unit of work, from two `serve` processes on one database at once: every call sent to
both, so each message is claimed by one of them and applied once, each transaction ID taken once."""

from __future__ import annotations

import asyncio
import base64
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from stores import migrate, sqlite_url
from test_store_scale_out import BEARER, WRITE_KEY, env, healthy

CALLS, SIZE = 16, 50
AUTH = {"Authorization": "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()}


def batch(call: int) -> list[dict[str, Any]]:
    """Points for 10 customers, and every fifth message a checkout whose order ID call `call + 8` sends too."""
    messages = []
    for k in range(SIZE):
        if k % 5 == 0:
            props = {"order_id": f"ORD-{call % 8}{k:04d}", "total": 3}  # as the project's tracking plan has them
            messages.append({"type": "track", "event": "Order Completed", "properties": props})
        else:
            messages.append({"type": "track", "event": "Points Earned", "properties": {"points": 1 + k % 3}})
        messages[-1] |= {"userId": f"u{(call + k) % 10}", "messageId": f"m{call}-{k}"}
    return messages


async def send(bases: list[str]) -> list[int]:
    """Each call to every server at once (a sender retrying a call on another instance)."""
    async with httpx.AsyncClient(timeout=60, headers=AUTH) as client:

        async def post(base: str, call: int) -> int:
            for _ in range(20):  # a 503 says retry shortly (Retry-After): as a library does
                answer = await client.post(f"{base}/v1/batch", json={"batch": batch(call)})
                if answer.status_code != 503:
                    return answer.status_code
                await asyncio.sleep(0.2)
            return 503

        return list(await asyncio.gather(*(post(base, call) for call in range(CALLS) for base in bases)))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_processes_take_the_same_calls_and_apply_each_message_once(serve_process, postgres_url, backend, tmp_path):
    url = postgres_url() if backend == "postgresql" else migrate(sqlite_url(Path(tmp_path) / "unit.db"))
    options = ("--store", url, "--log-level", "warning")
    servers = [serve_process(*options, env=env()), serve_process(*options, env=env())]
    for server in servers:
        assert server.until(healthy, timeout=30), server.interrupt()
    assert set(asyncio.run(send([server.base_url for server in servers]))) == {200}

    with httpx.Client(base_url=servers[0].base_url, timeout=30, headers=BEARER) as client:
        events: list[dict[str, Any]] = []
        for n in range(10):
            found = client.get(f"/v1/customers/u{n}/events", params={"limit": 500}).json()["items"]
            balance = sum(client.get(f"/v1/customers/u{n}").json()["balances"].values())
            assert sum(event["points"] for event in found) == balance >= 0
            events += found
        actions = Counter(event["action"] for event in events)
        assert actions["point_add"] == CALLS * (SIZE - SIZE // 5), "each Points Earned message applied once"
        assert actions["checkout"] == 8 * (SIZE // 5), "each order ID taken once, by one of its two messages"
        entries: list[dict[str, Any]] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 500, **({"cursor": cursor} if cursor else {})}
            page = client.get("/v1/logs", params=params).json()
            entries += page["items"]
            if page["next_cursor"] is None:
                break
            cursor = page["next_cursor"]
    # One entry per message, whichever server claimed it: the other copy is a duplicate, not logged again.
    assert Counter(Counter(entry["id"] for entry in entries).values()) == Counter({1: CALLS * SIZE})
    statuses = Counter(entry["status"] for entry in entries)
    assert statuses == Counter({202: CALLS * (SIZE - SIZE // 5) + 8 * (SIZE // 5), 409: 8 * (SIZE // 5)})
