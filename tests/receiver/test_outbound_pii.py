"""`outbound.hash_pii`: the messages sent to Segment carry the SHA-256 of each value the tracking plan
marks `pii` (normalised by its kind), an already hashed value as it came; the outbound log shows what
was sent. Off (the default), values go out as they are."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from plans import pii_identify, write_plan

from destination.plan.pii import PiiFields
from receiver.config.outbound import OutboundConfig
from receiver.outbound.messages import MessageBuilder
from receiver.store.contract import CustomerSnapshot, StoredEvent

WRITE_KEY = "wk-pii-0123456789"
EMAIL = "  Nicholas.Aguilar@Segment.COM "
# segmentio/action-destinations, packages/destination-actions/src/destinations/facebook-conversions-api/
# __tests__/purchase.test.ts: 'nicholas.aguilar@segment.com' → this `em`.
EMAIL_SHA256 = "eeaf810ee0e3cef3307089f22c3804f54c79eed19ef29bf70df864b43862c380"
# ... __tests__/shared-tests/user-data.test.ts: an already hashed first name, sent unchanged.
HASHED_NAME = "a628aa64f14c8196c8c82c7ffb6482b2db7431e4cb5b28cd313004ce7ba4eb66"
PLAN = {"version": 1, "events": [pii_identify()]}


def test_the_stub_receives_hashed_pii(start_receiver, segment_stub, tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.yaml", PLAN)
    outbound = {
        "write_key": WRITE_KEY,
        "base_url": segment_stub.url,
        "events": ["profile"],
        "customer_fields": ["email", "first_name", "last_name"],
        "hash_pii": True,
        "flush_timeout_seconds": 2.0,
    }
    receiver = start_receiver(outbound=outbound, tracking_plan=str(plan))
    data = {"email": EMAIL, "first_name": HASHED_NAME.upper(), "last_name": "Lovelace"}
    body = {"customer": "u-pii", "action": "profile", "api_key": receiver.api_key, "data": data}
    assert httpx.post(receiver.webhook_url, json=body, timeout=10).status_code == 202
    track, identify = sorted(segment_stub.wait_for(2), key=lambda m: m["type"], reverse=True)
    expected = {"email": EMAIL_SHA256, "first_name": HASHED_NAME, "last_name": "Lovelace"}  # last_name: not planned
    assert identify["type"] == "identify" and identify["traits"] == expected
    assert track["type"] == "track" and track["properties"] == expected
    deadline = time.monotonic() + 10
    while len(logged := httpx.get(f"{receiver.base_url}/v1/outbound-logs", headers=receiver.auth).json()["items"]) < 2:
        assert time.monotonic() < deadline, "the outbound log never filled"
        time.sleep(0.02)
    text = str(logged)
    assert EMAIL_SHA256 in text and EMAIL.strip() not in text


def test_off_by_default_values_go_out_as_they_are() -> None:
    fields = PiiFields({"traits.email": "email"}, {"email": "email"})
    now = datetime.now(UTC)
    customer = CustomerSnapshot("u1", now, {}, {}, None, {}, 1)
    event = StoredEvent("e1", "u1", "", "profile", {}, 0, now)
    settings = {"write_key": "wk", "customer_fields": ["email"]}
    for hash_pii, sent in ((False, EMAIL), (True, EMAIL_SHA256)):
        builder = MessageBuilder(OutboundConfig.model_validate({**settings, "hash_pii": hash_pii}), {}, lambda: fields)
        [built] = builder.build(customer, event, {"email": EMAIL})
        assert built.message["traits"] == {"email": sent}
