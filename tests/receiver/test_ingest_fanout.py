"""The ingest in process: which subscriptions run, fan-out, and where every message ends up in the log."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx
import pytest

from destination.definition.model import load_definition
from destination.definition.subscriptions import load_mappings
from receiver.app import create_app
from receiver.store.entries import LogEntry, LogFilter


def call(
    app: Any, path: str, body: Any, *, key: str | None = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as client:
            auth = (key, "") if key is not None else None
            return await client.post(path, json=body, auth=auth, headers=headers)

    return asyncio.run(send())


def entries(app: Any, **where: Any) -> list[LogEntry]:
    return asyncio.run(app.state.log.query(LogFilter(**where), limit=500)).entries


def logged(app: Any, message_id: str, expected: tuple[int, str, str, str]) -> LogEntry:
    """The one log entry of `message_id`, checked for (status, error code, customer, event type)."""
    [entry] = entries(app, id=message_id)
    assert (entry.status, entry.error_code, entry.customer_id, entry.event_type) == expected
    return entry


CHECKOUT = """
name: Order Completed → checkout
subscribe: type = "track" and event = "Order Completed"
partnerAction: event
mapping:
  action: checkout
  data:
    transaction_id: {"@path": $.properties.order_id}
    total: {"@path": $.properties.total}
"""
LAST_ORDER = """
name: Order Completed → profile
subscribe: type = "track" and event = "Order Completed"
partnerAction: profile
mapping:
  data:
    last_order: {"@path": $.properties.order_id}
"""
EVERY_TRACK_ADDS_POINTS = """
name: Every track → point_add (off)
enabled: false
subscribe: type = "track"
partnerAction: event
mapping:
  action: point_add
  data:
    points: 1000
"""
NAMED_BY_PROPERTY = """
name: Custom → named action
subscribe: type = "track" and event = "Custom"
partnerAction: event
mapping:
  action: {"@path": $.properties.name}
"""


@pytest.fixture
def app_with(make_config, write_mappings):
    def make(**mappings: str) -> Any:
        folder = write_mappings(mappings)
        return create_app(make_config(mappings_dir=str(folder), log_size=100))

    return make


def test_disabled_shipped_mappings_are_not_run(make_config, write_key):
    app = create_app(make_config())
    shipped = load_mappings(load_definition())
    running = {s.name for s in app.state.ingest.fanout.subscriptions}
    assert running == {s.name for s in shipped if s.enabled}
    disabled = [s.name for s in shipped if not s.enabled]
    assert disabled and not running & set(disabled)
    # The disabled multi-account checkout matches this event too; only the enabled one may run.
    body = {
        "userId": "c1",
        "event": "Order Completed",
        "messageId": "m-oc",
        "properties": {"order_id": "o1", "total": 20, "store_id": "store-9"},
    }
    assert call(app, "/v1/track", body, key=write_key).json() == {"success": True}
    [entry] = entries(app, id="m-oc")
    assert entry.status == 202
    assert asyncio.run(app.state.store.customer("c1")).balances == {app.state.config.default_account: 20}


def test_a_disabled_mapping_whose_trigger_matches_does_nothing(app_with, write_key):
    app = app_with(off=EVERY_TRACK_ADDS_POINTS, checkout=CHECKOUT)
    assert [s.name for s in app.state.ingest.fanout.subscriptions] == ["Order Completed → checkout"]
    call(app, "/v1/track", {"userId": "c1", "event": "Played", "messageId": "m-1"}, key=write_key)
    [entry] = entries(app, id="m-1")
    assert entry.status == 200 and entry.error is None
    assert entry.response == {
        "status": "ignored",
        "code": "NO_TRIGGER_MATCHED",
        "reason": "No enabled subscription's trigger matches this track call.",
    }
    assert asyncio.run(app.state.store.customer("c1")) is None and app.state.ingest.fanout.stats.unmatched == 1


def test_one_event_fans_out_to_every_matching_subscription(app_with, write_key):
    app = app_with(checkout=CHECKOUT, profile=LAST_ORDER)
    body = {
        "userId": "c2",
        "event": "Order Completed",
        "messageId": "m-2",
        "properties": {"order_id": "o7", "total": 9.5},
    }
    assert call(app, "/v1/track", body, key=write_key).status_code == 200
    found = entries(app, id="m-2")
    assert sorted(e.status for e in found) == [202, 202]
    assert {e.request["action"] for e in found} == {"checkout", "profile"}
    customer = asyncio.run(app.state.store.customer("c2"))
    assert customer.attributes == {"last_order": "o7"} and sum(customer.balances.values()) == 9
    assert customer.event_count == 2


ORDER_BONUS = """
name: Order Completed → point_add bonus
subscribe: type = "track" and event = "Order Completed"
partnerAction: event
mapping:
  action: point_add
  data:
    points: 5
    reason: order bonus
"""


def test_two_subscriptions_of_the_same_action_both_apply_and_stay_idempotent(app_with, write_key):
    app = app_with(checkout=CHECKOUT, bonus=ORDER_BONUS)
    body = {
        "userId": "c5",
        "event": "Order Completed",
        "messageId": "m-5",
        "properties": {"order_id": "o9", "total": 20},
    }
    assert call(app, "/v1/track", body, key=write_key).status_code == 200
    assert sorted(e.request["action"] for e in entries(app, id="m-5")) == ["checkout", "point_add"]
    assert sum(asyncio.run(app.state.store.customer("c5")).balances.values()) == 20 + 5
    # the same event again under a new messageId is a new order: the duplicate transaction is refused,
    # the bonus (a different subscription, its own Idempotency-Key) is applied
    assert call(app, "/v1/track", {**body, "messageId": "m-6"}, key=write_key).status_code == 200
    assert sorted(e.status for e in entries(app, id="m-6")) == [202, 409]


def test_a_mapping_failure_is_logged_with_message_id_customer_type_and_reason(app_with, write_key):
    app = app_with(custom=NAMED_BY_PROPERTY)
    call(app, "/v1/track", {"userId": "c3", "event": "Custom", "messageId": "m-3", "properties": {}}, key=write_key)
    entry = logged(app, "m-3", (400, "MAPPING_FAILED", "c3", "track"))
    assert entry.error == "Custom → named action: The root value is missing the required field 'action'."
    assert entry.request["event"] == "Custom"  # the Segment event that could not be mapped
    assert app.state.ingest.fanout.stats.mapping_failed == 1 and asyncio.run(app.state.store.event_count()) == 0


def test_a_refusal_by_the_webhook_is_logged_under_the_message_id(receiver_app, write_key):
    body = {"userId": "c4", "event": "Points Earned", "messageId": "m-4", "properties": {"source": "quiz"}}
    call(receiver_app, "/v1/track", body, key=write_key)
    entry = logged(receiver_app, "m-4", (422, "INVALID_POINTS", "c4", "track"))
    assert entry.request["api_key"] == "[REDACTED]"


@pytest.fixture
def receiver_app(make_config) -> Any:
    return create_app(make_config(log_size=100))


@pytest.mark.parametrize(
    ("integrations", "applied"),
    [
        ({"Antavo (Actions)": False}, False),
        ({"All": False}, False),
        ({"All": False, "Antavo (Actions)": True}, True),
        ({"All": False, "Antavo (Actions)": {"option": 1}}, True),
        ({"Salesforce": False}, True),
    ],
)
def test_integrations_can_turn_the_destination_off(receiver_app, write_key, integrations, applied):
    body = {
        "userId": "c5",
        "event": "Points Earned",
        "messageId": "m-5",
        "properties": {"points": 3},
        "integrations": integrations,
    }
    call(receiver_app, "/v1/track", body, key=write_key)
    [entry] = entries(receiver_app, id="m-5")
    assert (entry.status == 202) is applied
    assert (asyncio.run(receiver_app.state.store.event_count()) == 1) is applied
    if not applied:
        assert entry.response["reason"] == "The message's 'integrations' turn off the Antavo (Actions) destination."


def test_duplicates_in_one_batch_and_across_calls_apply_once(receiver_app, write_key):
    earn = {"type": "track", "userId": "c6", "event": "Points Earned", "messageId": "m-6", "properties": {"points": 5}}
    assert call(receiver_app, "/v1/batch", {"batch": [earn, earn]}, key=write_key).status_code == 200
    assert call(receiver_app, "/v1/track", earn, key=write_key).status_code == 200
    assert asyncio.run(receiver_app.state.store.customer("c6")).balances == {"default": 5}
    assert len(entries(receiver_app, id="m-6")) == 1
    stats = receiver_app.state.ingest.fanout.stats
    assert (stats.accepted, stats.duplicates, stats.delivered) == (1, 2, 1)


def test_without_a_write_key_every_call_is_refused_saying_how_to_set_one(make_config):
    app = create_app(make_config(write_key=None))
    for path in ("/v1/track", "/v1/identify", "/v1/batch"):
        response = call(app, path, {"userId": "u", "event": "e", "writeKey": ""}, key="anything")
        assert response.status_code == 401
        assert response.json()["code"] == "WRITE_KEY_NOT_CONFIGURED"
        assert "ANTAVO_WRITE_KEY" in response.json()["message"] and "--write-key" in response.json()["message"]
    assert asyncio.run(app.state.log.count(LogFilter())) == 0


def test_a_refused_call_is_logged_only_when_the_sender_is_authenticated(receiver_app, write_key):
    bad = {"batch": [{"type": "track", "userId": "c7", "messageId": "m-7"}]}
    assert call(receiver_app, "/v1/batch", bad, key=write_key).status_code == 400
    logged(receiver_app, "m-7", (400, "INVALID_MESSAGE", "c7", "track"))
    assert call(receiver_app, "/v1/batch", bad, key="wrong").status_code == 401
    assert call(receiver_app, "/v1/batch", {"batch": []}).status_code == 401
    assert asyncio.run(receiver_app.state.log.count(LogFilter())) == 1


def test_the_write_key_is_never_logged_or_echoed(receiver_app, write_key, caplog):
    caplog.set_level(logging.DEBUG)
    leaky = {
        "writeKey": write_key,
        "userId": "c8",
        "event": "Points Earned",
        "messageId": "m-8",
        "properties": {"points": 2, "reason": f"key {write_key}", "source": write_key},
    }
    answers = [
        call(receiver_app, "/v1/track", leaky),
        call(receiver_app, "/v1/track", {**leaky, "messageId": "m-9", "event": ""}),
        call(receiver_app, "/v1/track", {**leaky, "writeKey": write_key + "x"}),
        call(receiver_app, "/v1/identify", {"userId": "c8"}, key=write_key[:-1]),
    ]
    assert [a.status_code for a in answers] == [200, 400, 401, 401]
    everything = [a.text for a in answers] + [caplog.text]
    everything += [json.dumps(vars(e), default=str) for e in entries(receiver_app)]
    everything.append(json.dumps(asyncio.run(receiver_app.state.store.customer("c8")).attributes))
    assert all(write_key not in text for text in everything)
    assert len(entries(receiver_app)) == 2  # the applied track and the logged 400
