"""`DirectWebhook` (a POST to the webhook goes straight to the service) answers what FastAPI's route answers.

The same requests go once down the direct path and once through routing (a dependency
override turns the direct path off): every status, body, header and log entry agrees, and
the metrics still name the route.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from receiver.routes import deps
from receiver.store.entries import LogFilter


def requests(key: str, customer: str) -> list[dict[str, Any]]:
    """One of each kind of answer: accepted, replayed, refused by a rule, schema, key, media type, JSON, size."""
    body = {"customer": customer, "action": "point_add", "data": {"points": 3}, "api_key": key}
    json_headers = {"content-type": "application/json"}
    return [
        {"json": body},
        {"json": body, "headers": {"Idempotency-Key": f"k-{customer}"}},
        {"json": body, "headers": {"Idempotency-Key": f"k-{customer}"}},
        {"json": {**body, "data": {"points": -1}}},
        {"json": {**body, "customer": 5}},
        {"json": {**body, "api_key": "wrong-key-0123456789"}},
        {"content": b'{"a": 1}', "headers": {"content-type": "text/plain"}},
        {"content": b'{"customer": ', "headers": json_headers},
        {"content": b"[" * 70 + b"]" * 70, "headers": json_headers},
        {"content": b'{"total": 1e400}', "headers": json_headers},
        {"content": b"x" * 2_000_000, "headers": json_headers},
        {"json": {**body, "note": "\u00e9\u4e2d"}},
    ]


def answers(client: httpx.Client, url: str, key: str, customer: str) -> list[tuple[int, Any, dict[str, str]]]:
    seen = []
    for request in requests(key, customer):
        response = client.post(url, **request)
        body = response.json()
        if isinstance(body, dict) and isinstance(body.get("id"), str):
            body = {**body, "id": re.sub(r"[0-9a-f]{32}", "<hex>", body["id"])}
        headers = {
            name: response.headers[name]
            for name in ("content-type", "cache-control", "idempotent-replayed", "retry-after")
            if name in response.headers
        }
        seen.append((response.status_code, body, headers))
    return seen


def test_the_direct_path_answers_and_logs_exactly_what_the_routed_path_does(start_receiver):
    receiver = start_receiver(metrics=True)
    app = receiver.app
    with receiver.client() as client:
        direct = answers(client, receiver.webhook_url, receiver.api_key, "direct")
        app.dependency_overrides[deps.get_service] = lambda: app.state.service
        try:
            routed = answers(client, receiver.webhook_url, receiver.api_key, "routed")
        finally:
            app.dependency_overrides.clear()
        metrics = client.get("/metrics", headers=receiver.auth).text
    assert direct == routed
    assert [status for status, _, _ in direct] == [202, 202, 202, 422, 422, 401, 415, 400, 400, 422, 413, 202]
    assert direct[2][2]["idempotent-replayed"] == "true"
    assert all(headers["cache-control"] == "no-store" for _, _, headers in direct)
    log = receiver.app.state.log
    for customer in ("direct", "routed"):
        page = receiver.call(log.query(LogFilter(customer_id=customer), limit=100))
        assert [entry.status for entry in reversed(page.entries)] == [202, 202, 202, 422, 202]
    routed_label = re.search(
        r'^antavo_receiver_http_requests_total\{method="POST",route="/v1/webhook/segment",status="202"\} (\S+)$',
        metrics,
        re.MULTILINE,
    )
    assert routed_label and float(routed_label.group(1)) == 8


def test_other_methods_and_paths_still_go_through_routing(receiver_server):
    with receiver_server.client() as client:
        assert client.get(receiver_server.webhook_url).status_code == 405
        assert client.post(receiver_server.webhook_url + "/x", json={}).status_code == 404
