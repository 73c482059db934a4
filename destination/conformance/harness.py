"""What Segment's test harness adds around an action run, needed to reproduce recorded cases.

The `action` conformance cases were recorded with `createTestIntegration(...).testAction`,
which passes the event through `createTestEvent`: every top-level key the event lacks gets
a test default (`userId: "user1234"`, `event: "Test Event"`, ...). Production events are sent
as they are; only code replaying those recordings should call `create_test_event`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from destination.js.time import now_iso

_CONTEXT: dict[str, Any] = {
    "ip": "8.8.8.8",
    "library": {"name": "analytics.js", "version": "2.11.1"},
    "locale": "en-US",
    "location": {
        "city": "San Francisco",
        "country": "United States",
        "latitude": 40.2964197,
        "longitude": -76.9411617,
        "speed": 0,
    },
    "page": {
        "path": "/academy/",
        "referrer": "",
        "search": "",
        "title": "Analytics Academy",
        "url": "https://segment.com/academy/",
    },
    "timezone": "Europe/Amsterdam",
    "userAgent": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 9_1 like Mac OS X) AppleWebKit/601.1.46 "
        "(KHTML, like Gecko) Version/9.0 Mobile/13B143 Safari/601.1"
    ),
}


def create_test_event(event: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Segment's `createTestEvent`: test defaults, overridden by every key the event has."""
    now = now_iso()
    defaults: dict[str, Any] = {
        "anonymousId": str(uuid.uuid4()),
        "context": _deep_copy(_CONTEXT),
        "event": "Test Event",
        "messageId": str(uuid.uuid4()),
        "properties": {"firstName": "First Name", "lastName": "Browning"},
        "receivedAt": now,
        "sentAt": now,
        "timestamp": now,
        "traits": {},
        "type": "track",
        "userId": "user1234",
    }
    return {**defaults, **(event or {})}


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    return value
