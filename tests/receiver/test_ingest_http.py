"""The Tracking API over real HTTP (httpx, no library): size limits, write keys, and `serve`."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from served import on_every_store

from receiver.ingest.messages import BATCH_LIMIT, EVENT_LIMIT
from receiver.store.entries import LogFilter

pytest_generate_tests = on_every_store


def padded(body: dict[str, Any], size: int) -> bytes:
    """`body` with a `properties.pad` string making its JSON exactly `size` bytes."""
    body = {**body, "properties": {"pad": ""}}
    empty = len(json.dumps(body).encode())
    body["properties"]["pad"] = "x" * (size - empty)
    raw = json.dumps(body).encode()
    assert len(raw) == size
    return raw


def post(server: Any, path: str, content: bytes, **kwargs: Any) -> httpx.Response:
    headers = {"Content-Type": "application/json", **kwargs.pop("headers", {})}
    return httpx.post(f"{server.base_url}{path}", content=content, headers=headers, timeout=30, **kwargs)


def test_an_event_over_32_kb_is_refused_and_one_at_the_limit_accepted(receiver_server):
    auth = (receiver_server.write_key, "")
    event = {"userId": "big", "event": "Product Viewed"}
    assert post(receiver_server, "/v1/track", padded(event, EVENT_LIMIT), auth=auth).status_code == 200
    for path in ("/v1/track", "/v1/identify"):
        response = post(receiver_server, path, padded(event, EVENT_LIMIT + 1), auth=auth)
        assert response.status_code == 400
        assert response.json()["code"] == "PAYLOAD_TOO_LARGE" and "32 KB" in response.json()["message"]


def test_a_batch_over_500_kb_is_refused_and_a_big_one_under_it_accepted(receiver_server):
    auth = (receiver_server.write_key, "")
    item = {"type": "track", "userId": "b", "event": "Product Viewed", "properties": {"pad": "y" * 1000}}
    under = json.dumps({"batch": [item] * 450}).encode()
    over = json.dumps({"batch": [item] * 520}).encode()
    assert len(under) < BATCH_LIMIT < len(over)
    response = post(receiver_server, "/v1/batch", over, auth=auth)
    assert response.status_code == 400
    assert response.json()["code"] == "PAYLOAD_TOO_LARGE" and "500 KB" in response.json()["message"]
    assert post(receiver_server, "/v1/batch", under, auth=auth).json() == {"success": True}
    assert receiver_server.app.state.ingest.fanout.stats.unmatched == 450


def test_one_message_over_32_kb_refuses_its_whole_batch(receiver_server):
    earn = {"type": "track", "userId": "b2", "event": "Points Earned", "properties": {"points": 5}}
    huge = {"type": "track", "userId": "b2", "event": "Points Earned", "properties": {"pad": "z" * EVENT_LIMIT}}
    response = post(
        receiver_server, "/v1/batch", json.dumps({"batch": [earn, huge]}).encode(), auth=(receiver_server.write_key, "")
    )
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "PAYLOAD_TOO_LARGE",
        "field": "batch[1]",
        "message": "This message is larger than 32 KB, the Tracking API's limit.",
    }
    assert receiver_server.writes() == 0
    [entry] = receiver_server.call(receiver_server.app.state.log.query(LogFilter(error=True), limit=5)).entries
    assert (entry.error_code, entry.customer_id, entry.request) == ("PAYLOAD_TOO_LARGE", "b2", None)  # not kept


@pytest.mark.parametrize(
    ("auth", "headers", "body_key"),
    [
        (("wrong", ""), {}, None),
        (None, {}, "wrong"),
        (None, {}, None),
        (None, {}, 12345),
        (None, {"Authorization": "Bearer x"}, "RIGHT"),
        (None, {"Authorization": "Basic %%%"}, "RIGHT"),
        (("wrong", ""), {}, "RIGHT"),  # the header, when sent, decides
    ],
)
def test_a_missing_or_wrong_write_key_gets_401(receiver_server, auth, headers, body_key):
    body: dict[str, Any] = {"userId": "k", "event": "Points Earned", "properties": {"points": 1}}
    if body_key is not None:
        body["writeKey"] = receiver_server.write_key if body_key == "RIGHT" else body_key
    response = post(receiver_server, "/v1/track", json.dumps(body).encode(), auth=auth, headers=headers)
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED" and response.headers["WWW-Authenticate"].startswith("Basic")
    assert receiver_server.writes() == 0


def test_curl_style_calls_with_the_key_in_the_body_or_as_basic_user(receiver_server):
    key = receiver_server.write_key
    identify = {"writeKey": key, "userId": "curl-1", "traits": {"first_name": "Ada", "tier": "gold"}}
    track = {"userId": "curl-1", "event": "Points Earned", "properties": {"points": 30, "source": "s", "reason": "r"}}
    batch = {
        "writeKey": key,
        "batch": [{"type": "track", "userId": "curl-1", "event": "Signed Up", "properties": {"loyalty_consent": True}}],
    }
    assert post(receiver_server, "/v1/identify", json.dumps(identify).encode()).json() == {"success": True}
    assert post(receiver_server, "/v1/track", json.dumps(track).encode(), auth=(key, "")).status_code == 200
    assert post(receiver_server, "/v1/batch", json.dumps(batch).encode()).status_code == 200
    customer = receiver_server.customer("curl-1")
    assert (customer.profile, customer.balances, customer.opted_in) == ({"first_name": "Ada"}, {"default": 30}, True)


def test_a_body_that_is_not_json_gets_400(receiver_server):
    response = post(receiver_server, "/v1/batch", b"{batch: [", auth=(receiver_server.write_key, ""))
    assert response.status_code == 400 and response.json()["code"] == "INVALID_JSON"


def test_serve_starts_the_tracking_api_and_never_prints_the_write_key(serve_process):
    key = "serve-write-key-4d2c9e"
    serving = serve_process(
        "--log-level", "warning", env={"ANTAVO_API_KEY": "serve-api-key-77aa", "ANTAVO_WRITE_KEY": key}
    )
    answer = serving.until(
        lambda url: httpx.post(f"{url}/v1/identify", json={"userId": "s1"}, auth=(key, ""), timeout=1)
    )
    assert answer is not None and answer.json() == {"success": True}
    output = serving.interrupt()
    assert f"Tracking API (host): {serving.base_url}" in output
    assert key not in output
