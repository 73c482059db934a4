"""Concurrent requests against a real server: no lost updates, no overdraft, no double apply."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest

pytestmark = pytest.mark.parametrize("receiver_backend", ["memory", "sqlite"], indirect=True)

WEBHOOK = "/v1/webhook/segment"


def _points(api_key: str, action: str, points: int, customer: str = "u1") -> dict:
    return {"customer": customer, "action": action, "data": {"points": points}, "api_key": api_key}


def test_200_concurrent_point_adds_all_count(receiver_server):
    async def main() -> list[int]:
        async with receiver_server.async_client(limits=httpx.Limits(max_connections=50)) as client:
            body = _points(receiver_server.api_key, "point_add", 1)
            responses = await asyncio.gather(*(client.post(WEBHOOK, json=body) for _ in range(200)))
            return [r.status_code for r in responses]

    statuses = asyncio.run(main())
    assert statuses == [202] * 200
    customer = receiver_server.customer("u1")
    assert customer.balances == {"default": 200}
    assert customer.event_count == 200


def test_concurrent_subtractions_never_overdraw(receiver_server):
    key = receiver_server.api_key

    async def main() -> Counter:
        async with receiver_server.async_client() as client:
            assert (await client.post(WEBHOOK, json=_points(key, "point_add", 30))).status_code == 202
            body = _points(key, "point_subtract", 2)
            responses = await asyncio.gather(*(client.post(WEBHOOK, json=body) for _ in range(40)))
            return Counter(r.status_code for r in responses)

    statuses = asyncio.run(main())
    assert statuses == Counter({202: 15, 422: 25})
    customer = receiver_server.customer("u1")
    assert customer.balances == {"default": 0}
    assert customer.event_count == 16


def test_concurrent_duplicates_with_one_idempotency_key_apply_once(receiver_server):
    body = _points(receiver_server.api_key, "point_add", 7)

    async def main() -> list:
        async with receiver_server.async_client() as client:
            headers = {"Idempotency-Key": "same-request"}
            return await asyncio.gather(*(client.post(WEBHOOK, json=body, headers=headers) for _ in range(30)))

    responses = asyncio.run(main())
    assert {r.status_code for r in responses} == {202}
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 29
    assert receiver_server.customer("u1").balances == {"default": 7}


def test_concurrent_checkouts_with_one_transaction_id_apply_once(receiver_server):
    key = receiver_server.api_key

    async def main() -> Counter:
        async with receiver_server.async_client() as client:
            bodies = [
                {
                    "customer": f"c{i}",
                    "action": "checkout",
                    "data": {"transaction_id": "tx", "total": 5},
                    "api_key": key,
                }
                for i in range(20)
            ]
            responses = await asyncio.gather(*(client.post(WEBHOOK, json=b) for b in bodies))
            return Counter(r.status_code for r in responses)

    assert asyncio.run(main()) == Counter({202: 1, 409: 19})
