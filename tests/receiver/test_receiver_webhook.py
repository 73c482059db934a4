"""The webhook on a real uvicorn server: every documented status, with the one error shape."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from cases import CONFORMANCE, load_cases

pytestmark = pytest.mark.parametrize("receiver_backend", ["memory", "sqlite"], indirect=True)

WEBHOOK = "/v1/webhook/segment"
REFERENCE = CONFORMANCE / "antavo_reference.jsonl"


def event(api_key: str, customer: str = "u1", action: str = "point_add", **extra: Any) -> dict[str, Any]:
    return {"customer": customer, "action": action, "account": "acc-1", "api_key": api_key, **extra}


def profile(api_key: str, customer: str = "u1", **data: Any) -> dict[str, Any]:
    return {"customer": customer, "account": "", "data": data, "action": "profile", "api_key": api_key}


def assert_error(response: httpx.Response, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "field"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    if field is not None:
        assert body["error"]["field"] == field
    return body["error"]


def test_point_add_is_accepted_and_applied(receiver_server):
    with receiver_server.client() as client:
        response = client.post(WEBHOOK, json=event(receiver_server.api_key, data={"points": 5}))
        assert response.status_code == 202
        body = response.json()
        assert body["status"] == "accepted" and body["id"].startswith("evt_")
        customer = client.get("/v1/customers/u1", headers=receiver_server.auth).json()
        assert customer["balances"] == {"default": 5}
        events = client.get("/v1/customers/u1/events", headers=receiver_server.auth).json()
        assert [e["id"] for e in events["items"]] == [body["id"]]
        assert events["items"][0]["points"] == 5


def test_profile_update_uses_the_definition_extras(receiver_server):
    with receiver_server.client() as client:
        body = profile(receiver_server.api_key, first_name="Ada", birth_date="1815-12-10", tier="gold")
        assert client.post(WEBHOOK, json=body).status_code == 202
        customer = client.get("/v1/customers/u1", headers=receiver_server.auth).json()
        assert customer["profile"] == {"first_name": "Ada", "birth_date": "1815-12-10"}
        assert customer["attributes"] == {"tier": "gold"}
        assert customer["event_count"] == 1


def test_reference_requests_from_segment_are_accepted(receiver_server):
    """Every request Segment's runtime produced in the reference cases lands (key swapped in)."""
    cases = load_cases("action", [REFERENCE])
    bodies = [c["expect"]["request"]["json"] for c in cases if "request" in c["expect"]]
    assert bodies
    with receiver_server.client() as client:
        for body in bodies:
            body = {**body, "api_key": receiver_server.api_key}
            response = client.post(WEBHOOK, json=body)
            assert response.status_code == 202, (body, response.text)


@pytest.mark.parametrize(
    "body_key, value",
    [("api_key", None), ("api_key", "wrong"), ("api_key", ""), ("api_key", 123)],
)
def test_missing_or_wrong_key_is_401(receiver_server, body_key, value):
    body = event(receiver_server.api_key, data={"points": 1})
    if value is None:
        del body[body_key]
    else:
        body[body_key] = value
    with receiver_server.client() as client:
        assert_error(client.post(WEBHOOK, json=body), 401, "UNAUTHORIZED")
        assert client.get("/v1/customers/u1", headers=receiver_server.auth).status_code == 404


@pytest.mark.parametrize(
    "content, code",
    [
        (b"{not json", "INVALID_JSON"),
        (b"", "INVALID_JSON"),
        (b"[1, 2]", "INVALID_BODY"),
        (b'"text"', "INVALID_BODY"),
        (b'{"a": NaN}', "INVALID_JSON"),
        (b"[" * 100 + b"]" * 100, "INVALID_JSON"),
        (b'{"a": "\\ud800"}', "INVALID_JSON"),
    ],
)
def test_bad_json_is_400(receiver_server, content, code):
    with receiver_server.client() as client:
        response = client.post(WEBHOOK, content=content, headers={"Content-Type": "application/json"})
        assert_error(response, 400, code)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_wrong_content_type_is_415(receiver_server, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    content = json.dumps(event(receiver_server.api_key)).encode()
    with receiver_server.client() as client:
        response = client.post(WEBHOOK, content=content, headers=headers)
        assert_error(response, 415, "UNSUPPORTED_MEDIA_TYPE")


def test_json_content_type_with_charset_is_fine(receiver_server):
    content = json.dumps(event(receiver_server.api_key, action="opt_in")).encode()
    with receiver_server.client() as client:
        response = client.post(WEBHOOK, content=content, headers={"Content-Type": "Application/JSON; charset=utf-8"})
        assert response.status_code == 202


def test_oversized_body_is_413_by_content_length(start_receiver):
    server = start_receiver(max_body_bytes=1024)
    body = event(server.api_key, action="custom", data={"blob": "x" * 2000})
    with server.client() as client:
        assert_error(client.post(WEBHOOK, json=body), 413, "PAYLOAD_TOO_LARGE")
        small = event(server.api_key, action="custom", data={"blob": "x" * 100})
        assert client.post(WEBHOOK, json=small).status_code == 202


def test_oversized_streamed_body_is_413_without_content_length(start_receiver):
    server = start_receiver(max_body_bytes=1024)

    def chunks():
        yield b'{"customer": "u1", "action": "custom", "data": {"blob": "'
        for _ in range(64):
            yield b"x" * 512
        yield b'"}}'

    with server.client() as client:
        response = client.post(WEBHOOK, content=chunks(), headers={"Content-Type": "application/json"})
        assert "content-length" not in response.request.headers
        assert_error(response, 413, "PAYLOAD_TOO_LARGE")


def test_default_limit_is_segments_32kb(receiver_server):
    with receiver_server.client() as client:
        big = event(receiver_server.api_key, action="custom", data={"blob": "x" * (32 * 1024)})
        assert_error(client.post(WEBHOOK, json=big), 413, "PAYLOAD_TOO_LARGE")


def test_schema_errors_are_422_with_segments_message(receiver_server):
    key = receiver_server.api_key
    with receiver_server.client() as client:
        err = assert_error(
            client.post(WEBHOOK, json={"action": "x", "api_key": key}), 422, "INVALID_PAYLOAD", "customer"
        )
        assert err["message"] == "The root value is missing the required field 'customer'."
        err = assert_error(client.post(WEBHOOK, json=event(key, data="s")), 422, "INVALID_PAYLOAD", "data")
        assert err["message"] == "Event data must be an object but it was a string."
        err = assert_error(client.post(WEBHOOK, json=event(key, customer=123)), 422, "INVALID_PAYLOAD", "customer")
        assert "must be a string" in err["message"]  # no type coercion on Antavo's side
        bad_profile = {**profile(key), "data": {"first_name": {}}}
        err = assert_error(client.post(WEBHOOK, json=bad_profile), 422, "INVALID_PAYLOAD", "data.first_name")
        assert err["message"] == "First name must be a string but it was an object."
        no_data = {k: v for k, v in profile(key).items() if k != "data"}
        err = assert_error(client.post(WEBHOOK, json=no_data), 422, "INVALID_PAYLOAD", "data")
        assert err["message"] == "The root value is missing the required field 'data'."


def test_business_rule_errors(receiver_server):
    key = receiver_server.api_key
    with receiver_server.client() as client:
        assert_error(client.post(WEBHOOK, json=event(key, data={"points": -3})), 422, "INVALID_POINTS", "data.points")
        assert_error(
            client.post(WEBHOOK, json=event(key, action="point_subtract", data={"points": 1})),
            422,
            "INSUFFICIENT_POINTS",
            "data.points",
        )
        assert_error(
            client.post(WEBHOOK, json=profile(key, birth_date="10/12/1815")), 422, "INVALID_DATE", "data.birth_date"
        )
        checkout = event(key, action="checkout", data={"transaction_id": "tx-1", "total": 10})
        assert client.post(WEBHOOK, json=checkout).status_code == 202
        assert_error(client.post(WEBHOOK, json=checkout), 409, "ERR_TX_ALREADY_EXISTS", "data.transaction_id")
        customer = client.get("/v1/customers/u1", headers=receiver_server.auth).json()
        assert customer["balances"] == {"default": 10} and customer["event_count"] == 1


def test_multi_accounts_refusals(start_receiver):
    server = start_receiver(multi_accounts=True, accounts=["acc-1", "acc-2"])
    key = server.api_key
    with server.client() as client:
        no_account = {k: v for k, v in event(key, action="opt_in").items() if k != "account"}
        assert_error(client.post(WEBHOOK, json=no_account), 422, "ACCOUNT_REQUIRED", "account")
        assert_error(client.post(WEBHOOK, json={**no_account, "account": ""}), 422, "ACCOUNT_REQUIRED", "account")
        assert_error(client.post(WEBHOOK, json=profile(key, first_name="A")), 422, "ACCOUNT_REQUIRED", "account")
        unknown = client.post(WEBHOOK, json={**no_account, "account": "acc-9"})
        assert_error(unknown, 422, "UNKNOWN_ACCOUNT", "account")
        assert unknown.json()["error"]["message"] == (
            "The brand has no account 'acc-9'; the field 'account' must name one of: 'acc-1', 'acc-2'."
        )
        assert client.get("/v1/customers/u1", headers=server.auth).status_code == 404
        for account, points in [("acc-1", 3), ("acc-2", 4)]:
            body = {**event(key, data={"points": points}), "account": account}
            assert client.post(WEBHOOK, json=body).status_code == 202
        assert client.get("/v1/customers/u1", headers=server.auth).json()["balances"] == {"acc-1": 3, "acc-2": 4}


def test_idempotency_key_replays_without_applying_again(receiver_server):
    key = receiver_server.api_key
    body = event(key, data={"points": 5})
    headers = {"Idempotency-Key": "retry-1"}
    with receiver_server.client() as client:
        first = client.post(WEBHOOK, json=body, headers=headers)
        again = client.post(
            WEBHOOK, content=json.dumps(body, indent=2), headers={**headers, "Content-Type": "application/json"}
        )
        assert first.status_code == again.status_code == 202
        assert again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"
        assert client.get("/v1/customers/u1", headers=receiver_server.auth).json()["balances"] == {"default": 5}
        other = event(key, data={"points": 6})
        assert_error(client.post(WEBHOOK, json=other, headers=headers), 422, "IDEMPOTENCY_KEY_REUSED")
        assert_error(
            client.post(WEBHOOK, json=body, headers={"Idempotency-Key": "k" * 256}), 400, "INVALID_IDEMPOTENCY_KEY"
        )
        assert client.post(WEBHOOK, json=body, headers={"Idempotency-Key": "k" * 255}).status_code == 202
        assert client.get("/v1/customers/u1", headers=receiver_server.auth).json()["balances"] == {"default": 10}


def test_idempotency_replays_refusals_too(receiver_server):
    body = event(receiver_server.api_key, action="point_subtract", data={"points": 1})
    headers = {"Idempotency-Key": "sub-1"}
    with receiver_server.client() as client:
        first = assert_error(client.post(WEBHOOK, json=body, headers=headers), 422, "INSUFFICIENT_POINTS")
        client.post(WEBHOOK, json=event(receiver_server.api_key, data={"points": 5}))
        replay = client.post(WEBHOOK, json=body, headers=headers)
        assert replay.status_code == 422 and replay.json()["error"] == first
        assert client.get("/v1/customers/u1", headers=receiver_server.auth).json()["balances"] == {"default": 5}
