"""Customer ID mapping inbound: an external ID finds (or creates, once) the customer holding it."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from signed_in import Browser

# On SQLite the mapping, the external IDs and the log's internal IDs live in the store's database.
pytestmark = pytest.mark.parametrize("receiver_backend", ["memory", "sqlite"], indirect=True)

CRM = "crm_id"


def _set_mapping(receiver, attribute: str) -> None:
    browser = Browser(receiver.base_url, receiver.api_key)
    try:
        answer = browser.post("/settings/customer-id-mapping", {"outbound__user_id_attribute": attribute})
        assert answer.status_code == 303, answer.text
    finally:
        browser.close()


def test_concurrent_first_events_for_one_external_id_make_one_customer(receiver_server):
    _set_mapping(receiver_server, CRM)

    async def burst() -> list[int]:
        async with receiver_server.async_client() as client:
            answers = await asyncio.gather(
                *(
                    client.post(
                        receiver_server.webhook_url,
                        json={
                            "api_key": receiver_server.api_key,
                            "customer": "ext-42",
                            "action": "point_add",
                            "data": {"points": 1},
                        },
                    )
                    for _ in range(30)
                )
            )
        return [a.status_code for a in answers]

    assert asyncio.run(burst()) == [202] * 30
    store = receiver_server.store
    assert asyncio.run(store.customer_count()) == 1
    with receiver_server.client(headers=receiver_server.auth) as client:
        by_external = client.get("/v1/customers/ext-42").json()
        internal = by_external["id"]
        assert internal.startswith("cus_") and internal != "ext-42"
        assert by_external["attributes"][CRM] == "ext-42"
        assert by_external["external_ids"] == {CRM: "ext-42"}
        assert by_external["balances"] == {"default": 30}
        assert client.get(f"/v1/customers/{internal}").json() == by_external
        assert client.get("/v1/customers/ext-42/events").json()["total"] == 30
        logged = client.get("/v1/logs", params={"customer_id": internal}).json()["items"]
        assert len(logged) == 30
        assert {(e["customer_id"], e["internal_customer_id"]) for e in logged} == {("ext-42", internal)}


def test_an_event_cannot_move_a_customer_off_its_external_id(receiver_server):
    _set_mapping(receiver_server, CRM)
    with receiver_server.client(headers=receiver_server.auth) as client:
        body = {"api_key": receiver_server.api_key, "customer": "ext-7", "action": "profile"}
        sent = client.post(receiver_server.webhook_url, json={**body, "data": {CRM: "someone-else", "tier": "gold"}})
        assert sent.status_code == 202
        found = client.get("/v1/customers/ext-7").json()
        assert found["attributes"] == {CRM: "ext-7", "tier": "gold"}


def test_without_a_mapping_the_customer_id_is_the_internal_id(receiver_server):
    with httpx.Client(base_url=receiver_server.base_url, headers=receiver_server.auth) as client:
        body = {"api_key": receiver_server.api_key, "customer": "u1", "action": "point_add", "data": {"points": 2}}
        assert client.post("/v1/webhook/segment", json=body).status_code == 202
        found = client.get("/v1/customers/u1").json()
        assert found["id"] == "u1" and found["external_ids"] == {}
        assert client.get("/v1/logs").json()["items"][0]["internal_customer_id"] is None
    # Switching the mapping on afterwards leaves u1 as it was; the external ID u1 is a new customer.
    _set_mapping(receiver_server, CRM)
    with httpx.Client(base_url=receiver_server.base_url, headers=receiver_server.auth) as client:
        body = {"api_key": receiver_server.api_key, "customer": "u1", "action": "point_add", "data": {"points": 5}}
        assert client.post("/v1/webhook/segment", json=body).status_code == 202
        assert client.get("/v1/customers/u1").json()["balances"] == {"default": 2}
    assert asyncio.run(receiver_server.store.customer_count()) == 2


def test_customers_holding_the_attribute_before_the_mapping_are_indexed_when_it_is_set(receiver_server):
    def send(customer: str, action: str, data: dict) -> None:
        body = {"api_key": receiver_server.api_key, "customer": customer, "action": action, "data": data}
        assert httpx.post(receiver_server.webhook_url, json=body).status_code == 202

    send("old-1", "profile", {CRM: "C-1"})
    send("old-2", "profile", {CRM: "C-1"})
    send("old-3", "profile", {CRM: "C-3"})
    send("old-4", "profile", {"tier": "gold"})
    _set_mapping(receiver_server, CRM)
    send("C-3", "point_add", {"points": 4})
    send("C-1", "point_add", {"points": 6})
    assert asyncio.run(receiver_server.store.customer_count()) == 4
    with receiver_server.client(headers=receiver_server.auth) as client:
        assert client.get("/v1/customers/old-3").json()["balances"] == {"default": 4}
        assert client.get("/v1/customers/C-1").json()["id"] == "old-1"
        assert client.get("/v1/customers/old-1").json()["balances"] == {"default": 6}
        assert client.get("/v1/customers/old-2").json()["external_ids"] == {}
    browser = Browser(receiver_server.base_url, receiver_server.api_key)
    try:
        page = browser.get("/settings").text
        assert "2 existing customers holding <code>crm_id</code> indexed" in page
        assert 'id="mapping-conflicts"' in page and "<code>old-2</code></a> holds" in page
        customer = browser.get("/customers/C-3").text
        assert 'id="customer-id">old-3<' in customer
        assert 'id="external-ids"' in customer and '<code class="cid">C-3</code>' in customer
    finally:
        browser.close()
    assert any("both hold crm_id=C-1" in line for line in receiver_server.log_lines)
