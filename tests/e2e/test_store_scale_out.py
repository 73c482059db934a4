"""Scaled out on one PostgreSQL: two `serve` processes (and `serve --workers 2`) take 2,000 concurrent mixed
requests between them, and the ledger is exactly what one process would have written."""

from __future__ import annotations

import asyncio
import base64
import itertools
from collections import Counter, defaultdict
from typing import Any

import httpx
import pytest

WEBHOOK = "/v1/webhook/segment"
API_KEY = "scale-out-api-key-0123456789"
WRITE_KEY = "scale-out-write-key-0123456789"
CUSTOMERS = [f"s{n}" for n in range(40)]
BEARER = {"Authorization": f"Bearer {API_KEY}"}


def requests() -> list[tuple[str, dict[str, Any], dict[str, str], str]]:
    """(path, body, headers, kind) × 2,000: every pair meant to collide goes to both servers."""
    sent: list[tuple[str, dict[str, Any], dict[str, str], str]] = []

    def event(customer: str, action: str, data: dict[str, Any]) -> dict[str, Any]:
        return {"customer": customer, "action": action, "data": data, "api_key": API_KEY}

    for n in range(700):
        sent.append((WEBHOOK, event(CUSTOMERS[n % 40], "point_add", {"points": 1 + n % 5}), {}, "add"))
    for n in range(400):
        sent.append((WEBHOOK, event(CUSTOMERS[n % 40], "point_subtract", {"points": 4}), {}, "subtract"))
    for n in range(200):  # each transaction ID twice, for two different customers
        for copy in range(2):
            data = {"transaction_id": f"tx-{n}", "total": 3}
            sent.append((WEBHOOK, event(CUSTOMERS[(n + copy) % 40], "checkout", data), {}, f"tx-{n}"))
    for n in range(100):  # one Idempotency-Key, sent twice
        for _ in range(2):
            body = event(CUSTOMERS[n % 40], "point_add", {"points": 10})
            sent.append((WEBHOOK, body, {"Idempotency-Key": f"idem-{n}"}, f"idem-{n}"))
    for n in range(100):
        sent.append((WEBHOOK, event(CUSTOMERS[n % 40], "profile", {"first_name": f"P{n}"}), {}, "profile"))
    auth = "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()
    for n in range(100):  # one messageId, sent twice through the Tracking API
        for _ in range(2):
            message = {"userId": CUSTOMERS[n % 40], "event": "Points Earned", "messageId": f"dd-{n}"}
            sent.append(("/v1/track", {**message, "properties": {"points": 2}}, {"Authorization": auth}, f"dd-{n}"))
    assert len(sent) == 2000
    return sent


async def send_all(bases: list[str]) -> list[tuple[str, int, Any]]:
    """Every request, concurrently (60 at a time), alternating between the servers; (kind, status, body)."""
    work = requests()
    order = list(range(len(work)))
    results: list[tuple[str, int, Any]] = [("", 0, None)] * len(work)
    turn = itertools.count()

    async def worker(clients: list[httpx.AsyncClient]) -> None:
        while order:
            index = order.pop()
            path, body, headers, kind = work[index]
            client = clients[next(turn) % len(clients)]
            response = await client.post(path, json=body, headers=headers)
            results[index] = (kind, response.status_code, response.json())

    # No keep-alive: on a loaded machine the client's loop can stall past the server's keep-alive (5 s), and
    # a POST sent on a connection the server is closing fails in transit (ReadError) — HTTP's own race.
    limits = httpx.Limits(max_connections=60, max_keepalive_connections=0)
    clients = [httpx.AsyncClient(base_url=base, timeout=60, limits=limits) for base in bases]
    try:
        await asyncio.gather(*(worker(clients) for _ in range(60)))
    finally:
        for client in clients:
            await client.aclose()
    return results


def env() -> dict[str, str]:
    return {"ANTAVO_API_KEY": API_KEY, "ANTAVO_WRITE_KEY": WRITE_KEY, "ANTAVO_STORE_POOL_SIZE": "10"}


def healthy(url: str) -> bool:
    return httpx.get(f"{url}/healthz", timeout=1).status_code == 200


@pytest.mark.parametrize("layout", ["two processes", "serve --workers 2"])
def test_two_servers_on_one_postgresql_keep_one_exact_ledger(serve_process, postgres_url, layout):
    url = postgres_url()
    options = ("--store", url, "--log-level", "warning")
    if layout == "two processes":
        servers = [serve_process(*options, env=env()), serve_process(*options, env=env())]
    else:
        servers = [serve_process(*options, "--workers", "2", env=env())]
    for server in servers:
        assert server.until(healthy, timeout=30), server.interrupt()
    try:
        results = asyncio.run(send_all([server.base_url for server in servers]))
    except httpx.HTTPError as exc:
        raise AssertionError("\n".join(server.interrupt()[-3000:] for server in servers)) from exc

    statuses = Counter(status for _, status, _ in results)
    assert set(statuses) <= {200, 202, 422, 409}, statuses
    for n in range(200):
        assert sorted(status for kind, status, _ in results if kind == f"tx-{n}") == [202, 409]
    for n in range(100):
        pair = [(status, body) for kind, status, body in results if kind == f"idem-{n}"]
        assert [status for status, _ in pair] == [202, 202] and pair[0][1]["id"] == pair[1][1]["id"]
    accepted = {body["id"] for _, status, body in results if status == 202}

    with httpx.Client(base_url=servers[-1].base_url, timeout=30, headers=BEARER) as client:
        stored: list[dict[str, Any]] = []
        for customer in CUSTOMERS:
            events = client.get(f"/v1/customers/{customer}/events", params={"limit": 500}).json()["items"]
            balance = sum(client.get(f"/v1/customers/{customer}").json()["balances"].values())
            assert sum(event["points"] for event in events) == balance >= 0, customer
            stored += events
        ids = Counter(event["id"] for event in stored)
        assert max(ids.values()) == 1 and set(ids) >= accepted
        by_action = Counter(event["action"] for event in stored)
        assert by_action["checkout"] == 200, "no transaction ID applied twice"
        ingest = [event for event in stored if event["id"] not in accepted]
        assert len(ingest) == 100, "each Tracking-API messageId applied once across both servers"
        assert len(stored) == len(accepted) + 100
        points: dict[str, int] = defaultdict(int)
        for event in stored:
            points[event["action"]] += event["points"]
        expected_adds = sum(1 + n % 5 for n in range(700)) + 100 * 10 + 100 * 2
        assert points["point_add"] == expected_adds
        webhook_requests = sum(1 for path, *_ in requests() if path == WEBHOOK)
        for server in servers:
            seen, cursor = 0, None
            while True:
                params: dict[str, Any] = {"limit": 500, **({"cursor": cursor} if cursor else {})}
                page = httpx.get(f"{server.base_url}/v1/logs", params=params, headers=BEARER, timeout=30).json()
                seen += sum(1 for entry in page["items"] if not entry["id"].startswith("dd-"))
                if page["next_cursor"] is None:
                    break
                cursor = page["next_cursor"]
            assert seen == webhook_requests, "the log on either server shows every request"
    for server in servers:
        server.interrupt()
