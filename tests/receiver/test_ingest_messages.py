"""The Tracking API's message rules, the messageId deduplicator, and Basic auth / gzip decoding."""

from __future__ import annotations

import asyncio
import base64
import gzip
from datetime import UTC, datetime

import pytest

from receiver.ingest.dedup import MessageDeduplicator
from receiver.ingest.messages import EVENT_LIMIT, TrackingError, encoded_size, parse_batch, parse_call
from receiver.ingest.service import basic_user, gunzip
from receiver.store.limits import StoreLimits
from receiver.store.memory.store import MemoryStore

RECEIVED = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def refused(call, *args) -> TrackingError:
    with pytest.raises(TrackingError) as caught:
        call(*args)
    assert caught.value.status == 400
    return caught.value


def test_a_call_gets_type_message_id_and_received_at_filled_in():
    [message] = parse_call(
        {"userId": "u1", "event": "Signed Up", "type": "identify", "writeKey": "k"}, "track", RECEIVED
    )
    assert message["type"] == "track"  # the route decides
    assert message["messageId"].startswith("api-") and len(message["messageId"]) > 10
    assert message["receivedAt"] == "2024-05-01T12:00:00.000Z"
    assert message["timestamp"] == message["receivedAt"]  # no client time: the time it arrived
    assert "writeKey" not in message and "originalTimestamp" not in message


def test_timestamp_is_corrected_for_the_clients_clock_skew():
    # The client's clock runs 10 minutes fast: it sent at 12:10 (its time) an event of 12:05 (its time).
    body = {"userId": "u", "event": "e", "timestamp": "2024-05-01T12:05:00Z", "sentAt": "2024-05-01T12:10:00+00:00"}
    [message] = parse_call(body, "track", RECEIVED)
    assert message["timestamp"] == "2024-05-01T11:55:00.000Z"  # receivedAt - (sentAt - originalTimestamp)
    assert message["originalTimestamp"] == "2024-05-01T12:05:00Z"
    assert message["sentAt"] == "2024-05-01T12:10:00+00:00"


def test_without_sent_at_the_given_timestamp_is_kept():
    [message] = parse_call({"userId": "u", "timestamp": "2024-01-02T03:04:05.678+02:00"}, "identify", RECEIVED)
    assert message["timestamp"] == "2024-01-02T01:04:05.678Z"


def test_a_batch_gives_its_sent_at_context_and_integrations_to_every_message():
    body = {
        "sentAt": "2024-05-01T12:00:30Z",
        "context": {"library": {"name": "x"}, "ip": "1.2.3.4"},
        "integrations": {"All": False, "Antavo (Actions)": True},
        "batch": [
            {"type": "track", "userId": "u", "event": "a", "timestamp": "2024-05-01T12:00:00Z", "messageId": "m1"},
            {"type": "identify", "anonymousId": "anon", "context": {"ip": "5.6.7.8"}, "integrations": {"All": True}},
        ],
    }
    first, second = parse_batch(body, RECEIVED)
    assert first["messageId"] == "m1" and first["timestamp"] == "2024-05-01T11:59:30.000Z"
    assert first["sentAt"] == "2024-05-01T12:00:30Z"
    assert first["context"] == {"library": {"name": "x"}, "ip": "1.2.3.4"}
    assert second["context"] == {"library": {"name": "x"}, "ip": "5.6.7.8"}  # the message's own entries win
    assert first["integrations"] == {"All": False, "Antavo (Actions)": True}
    assert second["integrations"] == {"All": True, "Antavo (Actions)": True}
    assert second["type"] == "identify" and second["messageId"] != first["messageId"]


def test_integer_ids_are_taken_as_strings():
    [message] = parse_call({"userId": 42, "anonymousId": None}, "identify", RECEIVED)
    assert message["userId"] == "42"


@pytest.mark.parametrize(
    ("body", "route", "field", "fragment"),
    [
        ({"event": "e"}, "track", "userId", "'userId' or an 'anonymousId'"),
        ({"userId": "", "anonymousId": None, "event": "e"}, "track", "userId", "'userId' or an 'anonymousId'"),
        ({"userId": "u"}, "track", "event", "must have 'event'"),
        ({"userId": "u", "event": 3}, "track", "event", "must have 'event'"),
        ({"userId": ["u"]}, "identify", "userId", "'userId' must be a string"),
        ({"userId": True}, "identify", "userId", "'userId' must be a string"),
        ({"userId": "u", "traits": []}, "identify", "traits", "'traits' must be a JSON object"),
        ({"userId": "u", "event": "e", "properties": "x"}, "track", "properties", "'properties' must be"),
        ({"userId": "u", "context": 1}, "identify", "context", "'context' must be"),
        ({"userId": "u", "messageId": 7}, "identify", "messageId", "'messageId' must be a string"),
        ({"userId": "u", "messageId": "m" * 256}, "identify", "messageId", "1 to 255"),
        ({"userId": "u", "timestamp": "yesterday"}, "identify", "timestamp", "ISO 8601"),
        ({"userId": "u", "timestamp": 1714564800}, "identify", "timestamp", "ISO 8601"),
        (
            {"userId": "u", "timestamp": "0001-01-01T00:00:00Z", "sentAt": "9999-01-01T00:00:00Z"},
            "identify",
            "timestamp",
            "outside the years",
        ),
    ],
)
def test_malformed_calls_are_refused_with_the_field(body, route, field, fragment):
    error = refused(parse_call, body, route, RECEIVED)
    assert error.code == "INVALID_MESSAGE" and error.field == field
    assert fragment in error.message
    assert error.body() == {
        "success": False,
        "code": "INVALID_MESSAGE",
        "message": error.message,
        "error": {"code": "INVALID_MESSAGE", "message": error.message, "field": field},
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([], ""),
        ({"batch": {}}, "batch"),
        ({"batch": [1]}, "batch[0]"),
        ({"batch": [{"userId": "u", "event": "e"}]}, "batch[0].type"),
        ({"batch": [{"type": "purchase", "userId": "u"}]}, "batch[0].type"),
        ({"batch": [{"type": "identify", "userId": "u"}, {"type": "track", "userId": "u"}]}, "batch[1].event"),
        ({"batch": [{"type": "group", "userId": "u"}]}, "batch[0].groupId"),
        ({"batch": [{"type": "alias", "userId": "u"}]}, "batch[0].previousId"),
        ({"batch": [], "sentAt": "soon"}, "sentAt"),
        ({"batch": [], "context": "x"}, "context"),
    ],
)
def test_a_batch_is_refused_whole_naming_the_bad_message(body, field):
    assert refused(parse_batch, body, RECEIVED).field == field


def test_a_message_over_32_kb_in_a_batch_is_refused():
    big = {"type": "track", "userId": "u", "event": "e", "properties": {"blob": "x" * EVENT_LIMIT}}
    error = refused(parse_batch, {"batch": [{"type": "identify", "userId": "u"}, big]}, RECEIVED)
    assert error.code == "PAYLOAD_TOO_LARGE" and error.field == "batch[1]" and "32 KB" in error.message
    assert error.item is big
    assert encoded_size({"a": "é"}) == len('{"a":"é"}'.encode())


def test_the_deduplicator_remembers_for_the_window_only():
    now = [0.0]
    seen = MessageDeduplicator(MemoryStore(StoreLimits(clock=lambda: now[0])), window=10)

    def first(message_id: str) -> bool:
        return asyncio.run(seen.first_time(message_id))

    assert first("m1") and not first("m1")
    now[0] = 9.9
    assert not first("m1") and first("m2")
    now[0] = 10.0  # m1 expires; m2 (seen at 9.9) has not
    assert first("m1") and not first("m2")


def test_the_memory_deduplicator_is_bounded_forgetting_the_oldest_first():
    seen = MessageDeduplicator(MemoryStore(StoreLimits(max_messages=3)), window=3600)

    def first(message_id: str) -> bool:
        return asyncio.run(seen.first_time(message_id))

    for message_id in ("a", "b", "c", "d"):
        assert first(message_id)
    assert not first("d") and not first("b")
    assert first("a")  # forgotten to make room


def test_basic_credentials_give_the_user_name():
    encoded = base64.b64encode(b"wk-1:").decode()
    assert basic_user(f"Basic {encoded}") == "wk-1"
    assert basic_user(f"basic {base64.b64encode(b'wk-2').decode()}") == "wk-2"  # no colon: Segment still accepts
    not_utf8 = base64.b64encode(bytes([0xFF]) + b":").decode()
    for header in ("Bearer abc", "Basic !!!", f"Basic {not_utf8}"):
        with pytest.raises(TrackingError) as caught:
            basic_user(header)
        assert caught.value.status == 401 and "WWW-Authenticate" in caught.value.headers


def test_gzip_bodies_are_inflated_within_the_limit():
    assert gunzip(gzip.compress(b'{"a": 1}'), 100, "The body") == b'{"a": 1}'
    bomb = gzip.compress(b"0" * 10_000)
    assert len(bomb) < 100
    assert refused(gunzip, bomb, 1000, "The body").code == "PAYLOAD_TOO_LARGE"
    assert refused(gunzip, b"not gzip", 1000, "The body").code == "INVALID_CONTENT_ENCODING"
    assert refused(gunzip, gzip.compress(b"x" * 50)[:-10], 1000, "The body").code == "INVALID_CONTENT_ENCODING"
