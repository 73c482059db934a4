"""What a new user reads in the receiver's answers and log (issue 16): who an ignored message was for,
`field` null or a real path, Tracking-API 404s with a hint, and a 409 that says whose and when."""

from __future__ import annotations

from typing import Any

import httpx
from served import on_every_store

pytest_generate_tests = on_every_store

CHECKOUT = "checkout"


def track(server: Any, path: str = "/v1/track", **message: Any) -> httpx.Response:
    return httpx.post(f"{server.base_url}{path}", json=message, auth=(server.write_key, ""), timeout=30)


def log_entries(server: Any, **filters: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{server.base_url}/v1/logs", params=filters, headers=server.auth, timeout=30)
    assert response.status_code == 200, response.text
    body = response.json()
    return body["items"] if isinstance(body, dict) else body


def test_ignored_messages_are_logged_under_the_user_they_carried(receiver_server):
    assert track(receiver_server, userId="cust-ign-1", event="Nothing Subscribes To This", messageId="m-ign-1").json()
    off = {"All": False}
    track(receiver_server, anonymousId="anon-ign-2", event="Points Earned", messageId="m-ign-2", integrations=off)
    for customer, message_id in (("cust-ign-1", "m-ign-1"), ("anon-ign-2", "m-ign-2")):
        entries = log_entries(receiver_server, customer_id=customer)
        assert [e["id"] for e in entries] == [message_id], entries
        assert entries[0]["response"]["status"] == "ignored"


def test_error_fields_are_null_or_the_real_path(receiver_server):
    refused = httpx.post(receiver_server.webhook_url, json={"api_key": "wrong"}, timeout=30)
    assert refused.status_code == 401 and refused.json()["error"]["field"] is None
    inspect = httpx.get(f"{receiver_server.base_url}/v1/logs", timeout=30)
    assert inspect.status_code == 401 and inspect.json()["error"]["field"] is None
    track(
        receiver_server, anonymousId="anon-map-1", event="Points Earned", messageId="m-map-1", properties={"points": 3}
    )
    [entry] = log_entries(receiver_server, id="m-map-1")
    assert entry["status"] == 400 and entry["response"]["error"]["code"] == "MAPPING_FAILED"
    assert entry["response"]["error"]["field"] == "customer"
    assert entry["customer_id"] == "anon-map-1"


def test_tracking_api_404s_speak_segments_shape_with_a_hint(receiver_server):
    for path in ("/v1/v1/batch", "/v1/v1/track", "/api/v1/identify"):
        response = track(receiver_server, path, userId="u", event="E")
        body = response.json()
        assert response.status_code == 404 and body["success"] is False and body["code"] == "NOT_FOUND", body
        assert "without /v1" in body["message"] and body["error"]["code"] == "NOT_FOUND"
    page = track(receiver_server, "/v1/page", userId="u", name="Home")
    assert page.status_code == 404 and "/v1/track, /v1/identify, /v1/batch" in page.json()["message"]
    other = httpx.get(f"{receiver_server.base_url}/no/such/route", timeout=30)
    assert other.status_code == 404 and set(other.json()) == {"error"}
    assert other.json()["error"] == {"code": "NOT_FOUND", "message": "Not Found", "field": None}


def test_a_duplicate_transaction_says_whose_and_when_but_not_its_amounts(receiver_server):
    def checkout(customer: str, total: float) -> httpx.Response:
        body = {
            "customer": customer,
            "action": CHECKOUT,
            "data": {"transaction_id": "tx-dup-77", "total": total},
            "api_key": receiver_server.api_key,
        }
        return httpx.post(receiver_server.webhook_url, json=body, timeout=30)

    assert checkout("cust-first", 123.45).status_code == 202
    for second in ("cust-second", "cust-first"):
        refused = checkout(second, 9.5)
        error = refused.json()["error"]
        assert refused.status_code == 409 and error["code"] == "ERR_TX_ALREADY_EXISTS"
        assert "customer 'cust-first'" in error["message"], error
        [event] = httpx.get(
            f"{receiver_server.base_url}/v1/customers/cust-first/events", headers=receiver_server.auth, timeout=30
        ).json()["items"]
        assert event["received_at"][:19] in error["message"]
        assert "123" not in error["message"] and receiver_server.api_key not in error["message"]
