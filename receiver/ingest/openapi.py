"""The Tracking API's request bodies, as the OpenAPI at `/docs` declares them.

The routes read their raw bodies themselves (to bound size and accept gzip), so FastAPI sees
no body parameter; without these declarations `/docs`, client generators and schema-driven
fuzzers would see nothing to send. The rules enforced are `messages`' (Segment's); these
schemas describe them, they do not add any.
"""

from __future__ import annotations

from typing import Any

from receiver.ingest.messages import CALL_TYPES, OBJECT_FIELDS

_OBJECT = {"type": "object", "additionalProperties": True}
_COMMON: dict[str, Any] = {
    "userId": {"type": "string", "description": "The user's ID (this or `anonymousId` is required)."},
    "anonymousId": {"type": "string", "description": "An anonymous visitor's ID."},
    "messageId": {"type": "string", "maxLength": 255, "description": "Segment's ID of the message (deduplicated)."},
    "timestamp": {"type": "string", "format": "date-time"},
    "sentAt": {"type": "string", "format": "date-time"},
    "writeKey": {
        "type": "string",
        "format": "password",
        "description": "The write key, when it is not sent as the HTTP Basic user name.",
    },
    **{name: {**_OBJECT, "description": f"Segment's `{name}` object."} for name in OBJECT_FIELDS},
}


def _call(required: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {**_COMMON, **extra},
        "required": required,
        "anyOf": [{"required": ["userId"]}, {"required": ["anonymousId"]}],
    }


TRACK = _call(["event"], event={"type": "string", "minLength": 1, "description": "The action's name."})
IDENTIFY = _call([])
BATCH = {
    "type": "object",
    "required": ["batch"],
    "properties": {
        "batch": {
            "type": "array",
            "items": _call(
                ["type"], type={"type": "string", "enum": list(CALL_TYPES)}, event={"type": "string", "minLength": 1}
            ),
        },
        "writeKey": _COMMON["writeKey"],
        "context": _COMMON["context"],
        "integrations": _COMMON["integrations"],
        "sentAt": _COMMON["sentAt"],
    },
}
EXAMPLES = {
    "track": {"userId": "u1", "event": "Points Earned", "properties": {"points": 5}},
    "identify": {"userId": "u1", "traits": {"first_name": "Ada"}},
    "batch": {"batch": [{"type": "track", "userId": "u1", "event": "Points Earned", "properties": {"points": 5}}]},
}


def request_body(call: str) -> dict[str, Any]:
    """`openapi_extra` for one route: its JSON body (gzip-compressed bodies are accepted too)."""
    schema = {"track": TRACK, "identify": IDENTIFY, "batch": BATCH}[call]
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema, "example": EXAMPLES[call]}},
        }
    }
