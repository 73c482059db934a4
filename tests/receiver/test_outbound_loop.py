"""End to end on loopback: the receiver's outbound sync pointed at its own Tracking API ingest.

A webhook `point_add` is applied, leaves as a `track`, arrives at the ingest, and is *not*
routed back into the Antavo destination, because its `integrations` object turns that
destination off — even though an enabled subscription would otherwise map it straight back
into the same store (the control case below shows it would).
"""

from __future__ import annotations

import base64
import time
from typing import Any

from destination.definition.model import load_definition

WEBHOOK = "/v1/webhook/segment"
LOOPING_MAPPING = """\
name: point_add → point_add (would loop without the integrations object)
enabled: true
multi_accounts: false
subscribe: type = "track" and event = "point_add"
partnerAction: event
mapping:
  action: point_add
  data:
    points: {"@path": $.properties.points}
"""


def poll(fetch: Any, done: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if done(value) or time.monotonic() >= deadline:
            return value
        time.sleep(0.02)


def test_an_outbound_track_reaches_the_ingest_and_never_re_enters_antavo(start_receiver, write_key, write_mappings):
    mappings = write_mappings({"point-add-loop": LOOPING_MAPPING}, shipped=["profile-updates.yaml"])
    receiver = start_receiver(
        mappings_dir=str(mappings),
        outbound=lambda own_url: {
            "write_key": write_key,
            "base_url": own_url,
            "events": ["point_add"],
            "customer_fields": ["first_name"],
            "backoff_seconds": 0.01,
            "flush_timeout_seconds": 1.0,
        },
    )
    auth = receiver.auth
    with receiver.client() as client:

        def outbound_log() -> list[dict[str, Any]]:
            return client.get("/v1/outbound-logs", headers=auth).json()["items"]

        def inbound(identifier: str) -> list[dict[str, Any]]:
            return client.get("/v1/logs", headers=auth, params={"id": identifier}).json()["items"]

        body = {"customer": "u1", "action": "point_add", "account": "", "api_key": receiver.api_key}
        assert client.post(WEBHOOK, json={**body, "data": {"points": 5000}}).status_code == 202
        [sent] = poll(outbound_log, lambda items: len(items) >= 1)
        assert (sent["status"], sent["event_type"], sent["error"]) == (200, "track", None)
        message = sent["request"]
        assert message["event"] == "point_add" and message["properties"] == {"points": 5000}
        assert message["integrations"][load_definition().name] is False

        [arrived] = poll(lambda: inbound(message["messageId"]), bool)
        assert arrived["status"] == 200 and arrived["response"]["status"] == "ignored"
        assert "integrations" in arrived["response"]["reason"]
        assert arrived["request"]["properties"] == {"points": 5000}

        customer = client.get("/v1/customers/u1", headers=auth).json()
        assert customer["event_count"] == 1 and customer["balances"] == {"default": 5000}, "applied exactly once"

        update = {**body, "action": "profile", "data": {"first_name": "Ada"}}
        assert client.post(WEBHOOK, json=update).status_code == 202
        identify = poll(outbound_log, lambda items: len(items) >= 2)[0]
        assert identify["event_type"] == "identify" and identify["request"]["traits"] == {"first_name": "Ada"}
        [back] = poll(lambda: inbound(identify["id"]), bool)
        assert back["response"]["status"] == "ignored"

        # Control: the same call without the integrations object IS routed into the store, and the
        # track the store then emits comes back marked, so it stops there.
        unmarked = {key: value for key, value in message.items() if key != "integrations"}
        unmarked["messageId"] = "control-1"
        basic = "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()
        answer = client.post("/v1/batch", json={"batch": [unmarked]}, headers={"Authorization": basic})
        assert answer.status_code == 200, answer.text
        assert [e["status"] for e in inbound("control-1")] == [202]
        again = poll(outbound_log, lambda items: len(items) >= 3)[0]
        assert again["status"] == 200 and again["request"]["properties"] == {"points": 5000}
        [stopped] = poll(lambda: inbound(again["id"]), bool)
        assert stopped["response"]["status"] == "ignored"
        customer = client.get("/v1/customers/u1", headers=auth).json()
        assert len(outbound_log()) == 3
    assert customer["balances"] == {"default": 10_000} and customer["event_count"] == 3
