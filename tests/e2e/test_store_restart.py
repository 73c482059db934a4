"""The durable stores on real `serve` processes: a SIGKILL loses nothing that was answered, the outbox
survives it, the inbound log answers the same after a restart, and a database outage is a 503."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from typing import Any

import httpx
import pytest
from stores import migrate, sqlite_url

WEBHOOK = "/v1/webhook/segment"
API_KEY = "store-e2e-api-key-0123456789"
WRITE_KEY = "store-e2e-outbound-key-0123456789"


def env(stub_url: str | None = None) -> dict[str, str]:
    found = {"ANTAVO_API_KEY": API_KEY}
    if stub_url:
        found |= {
            "ANTAVO_OUTBOUND_WRITE_KEY": WRITE_KEY,
            "ANTAVO_OUTBOUND_BASE_URL": stub_url,
            "ANTAVO_OUTBOUND_EVENTS": "point_add",
            "ANTAVO_OUTBOUND_CUSTOMER_FIELDS": "",
            "ANTAVO_OUTBOUND_BATCH_MAX_MESSAGES": "20",
            "ANTAVO_OUTBOUND_REQUEST_TIMEOUT_SECONDS": "2",
            "ANTAVO_OUTBOUND_BACKOFF_SECONDS": "0.05",
        }
    return found


def mixed(n: int, tag: str) -> dict[str, Any]:
    """Request `n` of a burst: adds, subtractions (some refused), checkouts (some duplicates), profiles."""
    customer = f"c{n % 17}"
    kind = n % 5
    if kind in (0, 1):
        action, data = "point_add", {"points": 1 + n % 7}
    elif kind == 2:
        action, data = "point_subtract", {"points": 1 + n % 5}
    elif kind == 3:
        action, data = "checkout", {"transaction_id": f"{tag}-tx-{n // 10}", "total": 3}
    else:
        return {"customer": customer, "action": "profile", "data": {"first_name": f"F{n}"}, "api_key": API_KEY}
    return {"customer": customer, "action": action, "data": data, "api_key": API_KEY}


async def burst(base_url: str, bodies: list[dict[str, Any]], answered: list[tuple[int, Any]]) -> None:
    """Send concurrently (20 at a time); each answer is appended as it arrives, errors as status 0."""
    queue = list(bodies)

    async def worker(client: httpx.AsyncClient) -> None:
        while queue:
            body = queue.pop(0)
            try:
                response = await client.post(WEBHOOK, json=body)
                answered.append((response.status_code, response.json()))
            except httpx.HTTPError:
                answered.append((0, None))

    limits = httpx.Limits(keepalive_expiry=1.0)  # never reuse a connection the server is closing
    async with httpx.AsyncClient(base_url=base_url, timeout=10, limits=limits) as client:
        await asyncio.gather(*(worker(client) for _ in range(20)))


def answer(client: httpx.Client, path: str, params: dict[str, Any]) -> httpx.Response:
    """GET as a well-behaved client does: a 503 carries Retry-After (the store was briefly unavailable,
    e.g. while PostgreSQL reaps the killed process's sessions), so it is retried a bounded number of times."""
    for _ in range(20):
        response = client.get(path, params=params)
        if response.status_code != 503:
            return response
        assert "retry-after" in response.headers, response.text
        time.sleep(min(float(response.headers["retry-after"]), 1.0))
    return response


def history(client: httpx.Client, customer: str) -> list[dict[str, Any]]:
    found, offset = [], 0
    while True:
        page = answer(client, f"/v1/customers/{customer}/events", {"offset": offset, "limit": 500})
        if page.status_code == 404:
            return []
        assert page.status_code == 200, (page.status_code, page.text)
        body = page.json()
        found += body["items"]
        if body["next_offset"] is None:
            return found
        offset = body["next_offset"]


def healthy(url: str) -> bool:
    return httpx.get(f"{url}/healthz", timeout=1).status_code == 200


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "restart.db")
    return request.getfixturevalue("postgres_url")()


def log_answers(client: httpx.Client, until: str) -> dict[str, Any]:
    auth = {"Authorization": f"Bearer {API_KEY}"}
    filters = [{}, {"error": "true"}, {"customer_id": "c3"}, {"status": "409"}, {"event_type": "track"}]
    return {
        str(where): [
            e["id"]
            for e in client.get("/v1/logs", params={**where, "until": until, "limit": 500}, headers=auth).json()[
                "items"
            ]
        ]
        for where in filters
    }


def test_a_sigkill_loses_no_answered_event_and_the_outbox_is_sent_after_restart(serve_process, segment_stub, store_url):
    segment_stub.delay = 0.3  # Segment lags, so rows are still queued when the process dies
    first = serve_process("--store", store_url, "--log-level", "warning", env=env(segment_stub.url))
    assert first.until(healthy), first.interrupt()
    answered: list[tuple[int, Any]] = []
    asyncio.run(burst(first.base_url, [mixed(n, "a") for n in range(500)], answered))
    assert {status for status, _ in answered} <= {202, 409, 422} and len(answered) == 500
    cut = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() + 1)) + "Z"
    time.sleep(1.1)
    with httpx.Client(base_url=first.base_url, timeout=10) as client:
        before = log_answers(client, cut)

    async def second_burst() -> None:
        sending = asyncio.create_task(burst(first.base_url, [mixed(n, "b") for n in range(500, 1000)], answered))
        while len(answered) < 750:
            await asyncio.sleep(0.005)
        os.killpg(first.proc.pid, signal.SIGKILL)
        at_kill.extend(segment_stub.delivered())
        await sending

    at_kill: list[dict[str, Any]] = []

    asyncio.run(second_burst())
    first.proc.wait(timeout=10)
    assert any(status == 0 for status, _ in answered), "the kill really cut requests off"
    accepted = [body["id"] for status, body in answered if status == 202]
    second = serve_process("--store", store_url, "--log-level", "warning", env=env(segment_stub.url))
    assert second.until(healthy), second.interrupt()
    with httpx.Client(base_url=second.base_url, timeout=10, headers={"Authorization": f"Bearer {API_KEY}"}) as client:
        stored: Counter[str] = Counter()
        for customer in (f"c{n}" for n in range(17)):
            events = history(client, customer)
            stored.update(event["id"] for event in events)
            balances = client.get(f"/v1/customers/{customer}").json()["balances"] if events else {}
            assert sum(event["points"] for event in events) == sum(balances.values()), customer
        assert all(stored[event_id] == 1 for event_id in accepted), "every 2xx is there exactly once"
        assert set(stored) >= set(accepted) and max(stored.values()) == 1
        assert log_answers(client, cut) == before, "the inbound log answers the same after the restart"
        point_adds = {
            f"{event['id']}-track"
            for customer in (f"c{n}" for n in range(17))
            for event in history(client, customer)
            if event["action"] == "point_add"
        }
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline and not point_adds <= (
        sent := {m["messageId"] for m in segment_stub.delivered()}
    ):
        time.sleep(0.2)
    sent = {m["messageId"] for m in segment_stub.delivered()}
    assert len({m["messageId"] for m in at_kill}) < len(point_adds), "messages were still queued at the kill"
    assert point_adds <= sent, f"{len(point_adds - sent)} queued message(s) were not sent after the restart"
    assert sent <= point_adds, "nothing is sent for an event the store does not hold"
    second.interrupt()


def test_a_database_outage_is_a_503_with_retry_after_then_service_resumes(serve_process, tmp_path):
    from postgres import start_postgres

    server = start_postgres()
    try:
        url = migrate(server.new_database())
        running = serve_process("--store", url, "--log-level", "warning", env=env())
        assert running.until(healthy), running.interrupt()
        body = {"customer": "u1", "action": "point_add", "data": {"points": 1}, "api_key": API_KEY}
        with httpx.Client(base_url=running.base_url, timeout=30) as client:
            assert client.post(WEBHOOK, json=body).status_code == 202
            server.stop()
            started = time.monotonic()
            down = client.post(WEBHOOK, json=body)
            assert time.monotonic() - started < 15, "no hang"
            assert down.status_code == 503 and down.headers["Retry-After"] == "2"
            assert down.json()["error"]["code"] == "STORE_UNAVAILABLE" and set(down.json()) == {"error"}
            inspected = client.get("/v1/customers/u1", headers={"Authorization": f"Bearer {API_KEY}"})
            assert inspected.status_code == 503 and "Retry-After" in inspected.headers
            server.start()
            deadline = time.monotonic() + 20
            while (answer := client.post(WEBHOOK, json=body)).status_code != 202 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert answer.status_code == 202
            balances = client.get("/v1/customers/u1", headers={"Authorization": f"Bearer {API_KEY}"}).json()["balances"]
            assert balances == {"acc-1": 2}
        running.interrupt()
    finally:
        server.remove()


def test_serve_names_its_store_warns_on_memory_and_refuses_a_schema_behind(serve_process, tmp_path):
    memory = serve_process("--log-level", "warning", env=env())
    assert memory.until(healthy)
    said = memory.interrupt()
    assert "store 'memory'" in said and "a restart forgets every customer" in said
    fresh = f"sqlite:///{tmp_path / 'not-upgraded.db'}"
    refused = serve_process("--store", fresh, env=env())
    output, _ = refused.proc.communicate(timeout=30)
    assert refused.proc.returncode == 2
    assert f"run `antavo-actions db upgrade --store {fresh}`" in output
    durable = serve_process("--store", sqlite_url(tmp_path / "ok.db"), "--log-level", "warning", env=env())
    assert durable.until(healthy)
    assert httpx.get(f"{durable.base_url}/healthz").json()["store"] == "sqlite"
    said = durable.interrupt()
    assert "store 'sqlite'" in said and "restart forgets" not in said
