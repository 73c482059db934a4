"""Segment's HTTP Tracking API messages: what a call must hold, and what the API fills in.

Pure functions, no I/O: the ingest routes read and authenticate the request, then hand the
parsed JSON here. A call is refused whole (a `TrackingError`, answered 400) when any of its
messages is malformed, so a 200 always means every message was accepted.

What is checked, as Segment documents it: at most 32 KB per event and 500 KB per batch; a
`userId` or an `anonymousId` on every message; an `event` name on `track` (and `groupId` on
`group`, `previousId` on `alias`); a batch item's `type` naming a Segment call; object fields
(`properties`, `traits`, `context`, `integrations`) being objects; timestamps being ISO 8601.

What is filled in: `type` (from the route, or the batch item), `messageId` (generated when
absent), `receivedAt`, `sentAt` (a batch's applies to its messages), and `timestamp`,
corrected for the client's clock skew when `sentAt` is known:
`timestamp = receivedAt - (sentAt - originalTimestamp)`, the client's own value being kept as
`originalTimestamp`. A batch's `context` and `integrations` apply to each of its messages,
whose own entries win. `writeKey` is removed: it is a credential, never event data.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from destination.js.time import iso_string
from receiver.core import test_runs
from receiver.core.checks import MAX_MESSAGE_ID_LENGTH
from receiver.errors import ApiError
from receiver.ingest.integrations import effective_integrations
from receiver.jsontext import dumps_bytes

KB = 1024
EVENT_LIMIT = 32 * KB
BATCH_LIMIT = 500 * KB
CALL_TYPES = ("identify", "track", "page", "screen", "group", "alias")
REQUIRED_BY_TYPE: Mapping[str, tuple[str, ...]] = {"track": ("event",), "group": ("groupId",), "alias": ("previousId",)}
OBJECT_FIELDS = ("properties", "traits", "context", "integrations")
IDENTITY_FIELDS = ("userId", "anonymousId")
WRITE_KEY_FIELD = "writeKey"
BATCH_FIELD = "batch"
TOO_LARGE = "PAYLOAD_TOO_LARGE"


class TrackingError(ApiError):
    """A call the Tracking API refuses: an `ApiError` that also answers the way Segment's API does.

    `item` is the offending message when there is one, so the refusal can be logged under
    its messageId and user.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        item: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status, code, message, field=field, headers=headers)
        self.item = item

    def body(self) -> dict[str, Any]:
        """Segment's libraries read the top-level `code` and `message`; `error` is the receiver's one error shape."""
        return {"success": False, "code": self.code, "message": self.message, **super().body()}


def invalid(message: str, where: str, item: Any = None) -> TrackingError:
    return TrackingError(400, "INVALID_MESSAGE", message, field=where, item=item)


def too_large(what: str, limit: int, where: str = "", item: Any = None) -> TrackingError:
    return TrackingError(
        400,
        TOO_LARGE,
        f"{what} is larger than {limit // KB} KB, the Tracking API's limit.",
        field=where,
        item=item,
    )


@dataclass(frozen=True)
class Envelope:
    """What one HTTP call gives all its messages: when it arrived, and a batch's shared fields."""

    received_at: datetime
    sent_at: Any = None
    context: Any = None
    integrations: Any = None
    test_run: str | None = None
    """The call's `X-Test-Run` header: every message of the call belongs to that run."""

    @cached_property
    def received_text(self) -> str:
        """`receivedAt` as every message of the call carries it (written once per call, not per message)."""
        return iso_string(self.received_at)


def parse_call(body: Any, call_type: str, received_at: datetime, test_run: str | None = None) -> list[dict[str, Any]]:
    """`/v1/track`, `/v1/identify`: one message, whose type is the route's."""
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.", "")
    return [normalize(body, call_type, Envelope(received_at, test_run=test_run), "")]


def parse_batch(body: Any, received_at: datetime, test_run: str | None = None) -> list[dict[str, Any]]:
    """`/v1/batch`: every item checked (32 KB each) before any is accepted."""
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.", "")
    items = body.get(BATCH_FIELD)
    if not isinstance(items, list):
        raise invalid(f"The request body must hold '{BATCH_FIELD}', an array of messages.", BATCH_FIELD)
    for name in ("context", "integrations"):
        _check_object(body, name, "")
    envelope = Envelope(received_at, body.get("sentAt"), body.get("context"), body.get("integrations"), test_run)
    if envelope.sent_at is not None:
        _instant(envelope.sent_at, "sentAt")
    messages = []
    for index, item in enumerate(items):
        where = f"{BATCH_FIELD}[{index}]"
        if not isinstance(item, dict):
            raise invalid("Each message in a batch must be a JSON object.", where)
        if encoded_size(item) > EVENT_LIMIT:
            raise too_large("This message", EVENT_LIMIT, where, item)
        call_type = item.get("type")
        if call_type not in CALL_TYPES:
            raise invalid(f"'type' must be one of: {', '.join(CALL_TYPES)}.", f"{where}.type", item)
        messages.append(normalize(item, call_type, envelope, where))
    return messages


def encoded_size(value: Any) -> int:
    """Bytes of the compact UTF-8 JSON encoding: how big a message is on the wire at least."""
    return len(dumps_bytes(value))


def normalize(item: Mapping[str, Any], call_type: str, envelope: Envelope, where: str) -> dict[str, Any]:
    """A checked copy of one message, with what the Tracking API fills in."""
    prefix = f"{where}." if where else ""
    message = {key: value for key, value in item.items() if key != WRITE_KEY_FIELD}
    message["type"] = call_type
    for name in OBJECT_FIELDS:
        _check_object(message, name, prefix, item)
    _check_identity(message, prefix, item)
    for name in REQUIRED_BY_TYPE.get(call_type, ()):
        value = message.get(name)
        if not isinstance(value, str) or not value:
            raise invalid(f"A {call_type} call must have '{name}', a non-empty string.", prefix + name, item)
    message["messageId"] = _message_id(message.get("messageId"), prefix, item)
    _fill_times(message, envelope, prefix, item)
    if isinstance(envelope.context, Mapping):
        message["context"] = {**envelope.context, **(message.get("context") or {})}
    _test_run(message, envelope.test_run, prefix, item)
    if isinstance(envelope.integrations, Mapping):
        message["integrations"] = effective_integrations(envelope.integrations, message.get("integrations"))
    return message


def _test_run(message: dict[str, Any], header: str | None, prefix: str, item: Any) -> None:
    """The call's header names the run of every message; else a message may name its own."""
    if header is not None:
        message["context"] = {**(message.get("context") or {}), test_runs.FIELD: header}
        return
    context = message.get("context")
    if isinstance(context, Mapping) and test_runs.FIELD in context and not test_runs.valid(context[test_runs.FIELD]):
        raise invalid(
            f"'context.{test_runs.FIELD}' must be {test_runs.RULE}.", f"{prefix}context.{test_runs.FIELD}", item
        )


def _check_object(message: Mapping[str, Any], name: str, prefix: str, item: Any = None) -> None:
    value = message.get(name)
    if value is not None and not isinstance(value, dict):
        raise invalid(f"'{name}' must be a JSON object.", prefix + name, item)


def _check_identity(message: dict[str, Any], prefix: str, item: Any) -> None:
    """`userId` / `anonymousId`: strings (an integer is taken as its decimal string, as Segment's libraries send it)."""
    for name in IDENTITY_FIELDS:
        value = message.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            message[name] = str(value)
        elif value is not None and not isinstance(value, str):
            raise invalid(f"'{name}' must be a string.", prefix + name, item)
    if not any(message.get(name) for name in IDENTITY_FIELDS):
        raise invalid("Every message must have a 'userId' or an 'anonymousId'.", prefix + "userId", item)


def _message_id(value: Any, prefix: str, item: Any) -> str:
    if value is None:
        return f"api-{uuid.uuid4()}"
    if not isinstance(value, str) or not 0 < len(value) <= MAX_MESSAGE_ID_LENGTH:
        raise invalid(
            f"'messageId' must be a string of 1 to {MAX_MESSAGE_ID_LENGTH} characters.", prefix + "messageId", item
        )
    return value


def _instant(value: Any, where: str, item: Any = None) -> datetime:
    """An ISO 8601 date or date-time; one without an offset is taken as UTC."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    raise invalid(f"'{where.rsplit('.', 1)[-1]}' must be an ISO 8601 date and time.", where, item)


def _fill_times(message: dict[str, Any], envelope: Envelope, prefix: str, item: Any) -> None:
    received = envelope.received_at
    message["receivedAt"] = envelope.received_text
    sent_raw = message.get("sentAt", envelope.sent_at)
    sent = _instant(sent_raw, prefix + "sentAt", item) if sent_raw is not None else None
    if sent_raw is not None:
        message["sentAt"] = sent_raw
    given = message.get("timestamp")
    if given is None:
        message["timestamp"] = envelope.received_text
        return
    original = _instant(given, prefix + "timestamp", item)
    message["originalTimestamp"] = given
    try:
        corrected = received - (sent - original) if sent is not None else original
        message["timestamp"] = iso_string(corrected)
    except (OverflowError, ValueError):
        raise invalid(
            "'timestamp' corrected for the client's clock ('sentAt') falls outside the years 1-9999.",
            prefix + "timestamp",
            item,
        ) from None
