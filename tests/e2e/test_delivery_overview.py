"""The Delivery Overview on every store: events sent with Segment's Python library (and a few straight calls)
that end at each stage are counted there, each drop under its reason, with samples linking to the verdict
and the log entry; the overall funnel, each mapping's and the webhook's add up to what they received.
"""

from __future__ import annotations

import time

import httpx
import pytest
from segment.analytics import Client

from destination.definition.model import load_definition

pytestmark = pytest.mark.parametrize("receiver_backend", ["memory", "sqlite", "postgresql"], indirect=True)
SHIPPED = ["points-earned.yaml", "order-completed.yaml"]
POINTS, ORDERS = "Points Earned → point_add", "Order Completed → checkout"


def _stages(funnel: dict) -> dict[str, dict[str, int]]:
    """{stage: {reason: count}} of the stages that dropped something; `applied` as {"": count}."""
    found: dict[str, dict[str, int]] = {}
    for stage in funnel["stages"]:
        if stage["count"]:
            reasons = {r["code"]: r["count"] for r in stage["reasons"]} or {"": stage["count"]}
            assert sum(reasons.values()) == stage["count"], "each drop has exactly one reason"
            found[stage["stage"]] = reasons
    assert sum(stage["count"] for stage in funnel["stages"]) == funnel["received"]
    return found


def _send_one_of_each(receiver) -> None:
    library = Client(receiver.write_key, host=receiver.base_url, sync_mode=True, max_retries=1)
    library.track("o-1", "Points Earned", {"points": 5, "source": "quiz", "reason": "won"}, message_id="ok")
    library.track("o-1", "Points Earned", {"source": "quiz"}, message_id="refused")
    library.track(
        event="Order Completed", anonymous_id="a-1", properties={"order_id": "o-1", "total": 5}, message_id="mapfail"
    )
    library.track("o-1", "Product Viewed", {"sku": "s-1"}, message_id="ignored")
    off = {load_definition().name: False}
    library.track("o-1", "Points Earned", {"points": 1}, integrations=off, message_id="off")
    library.track("o-1", "Points Earned", {"points": 5, "source": "quiz", "reason": "won"}, message_id="ok")
    with receiver.client() as http:
        bad = http.post("/v1/track", json={"userId": "o-1", "messageId": "bad-1"}, auth=(receiver.write_key, ""))
        assert bad.status_code == 400 and bad.json()["code"] == "INVALID_MESSAGE", bad.text
        hook = {"customer": "o-1", "action": "point_add", "data": {"points": 2}, "api_key": receiver.api_key}
        sent = http.post("/v1/webhook/segment", json=hook, headers={"X-Segment-Message-Id": "hook-ok"})
        assert sent.status_code == 202, sent.text
        wrong = {key: value for key, value in hook.items() if key != "customer"}
        sent = http.post("/v1/webhook/segment", json=wrong, headers={"X-Segment-Message-Id": "hook-bad"})
        assert sent.status_code == 422 and sent.json()["error"]["code"] == "INVALID_PAYLOAD", sent.text


def test_each_stage_is_counted_with_its_reason_and_samples(start_receiver, write_mappings, receiver_backend):
    receiver = start_receiver(mappings_dir=write_mappings({}, shipped=SHIPPED))
    _send_one_of_each(receiver)
    with receiver.client(headers=receiver.auth) as http:
        answer = http.get("/v1/overview", params={"window": "15m"})
        assert answer.status_code == 200, answer.text
        data = answer.json()
        assert data["window"] == "15m" and data["truncated"] is False

        overall = data["overall"]
        assert overall["received"] == 9 and overall["applied"] == 2  # 7 Segment calls, 2 webhook requests
        assert _stages(overall) == {
            "refused_at_ingest": {"INVALID_MESSAGE": 1},
            "deduplicated": {"DUPLICATE_MESSAGE_ID": 1},
            "filtered": {"NO_TRIGGER_MATCHED": 1, "DESTINATION_DISABLED": 1},
            "mapping_failed": {"MAPPING_FAILED": 1},
            "payload_invalid": {"INVALID_PAYLOAD": 1},
            "refused_by_rules": {"INVALID_POINTS": 1},
            "applied": {"": 2},
        }

        mappings = {funnel["subscription"]: funnel for funnel in data["mappings"]}
        assert set(mappings) == {POINTS, ORDERS}
        assert mappings[POINTS]["received"] == 7, "every Tracking-API item, webhook requests apart"
        assert _stages(mappings[POINTS]) == {
            "refused_at_ingest": {"INVALID_MESSAGE": 1},
            "deduplicated": {"DUPLICATE_MESSAGE_ID": 1},
            "filtered": {"NO_TRIGGER_MATCHED": 2, "DESTINATION_DISABLED": 1},
            "refused_by_rules": {"INVALID_POINTS": 1},
            "applied": {"": 1},
        }
        assert _stages(mappings[ORDERS])["mapping_failed"] == {"MAPPING_FAILED": 1}
        assert _stages(mappings[ORDERS])["filtered"] == {"NO_TRIGGER_MATCHED": 3, "DESTINATION_DISABLED": 1}
        assert _stages(data["webhook"]) == {"payload_invalid": {"INVALID_PAYLOAD": 1}, "applied": {"": 1}}

        by_stage = {stage["stage"]: stage for stage in mappings[POINTS]["stages"]}
        [refused] = by_stage["refused_by_rules"]["reasons"]
        [sample] = refused["samples"]
        assert sample["message_id"] == "refused" and sample["subscription"] == POINTS
        assert sample["verdict_url"] == "/v1/messages/refused" and sample["log_page_url"] == "/logs?id=refused"
        verdict = http.get(sample["verdict_url"]).json()
        assert verdict["outcome"] == "refused" and verdict["deliveries"][0]["log_entry"] == sample["log_entry"]
        logged = http.get(sample["log_entry_url"]).json()["items"]
        assert sample["log_entry"] in {entry["seq"] for entry in logged}
        [copy] = by_stage["deduplicated"]["reasons"][0]["samples"]
        assert (copy["message_id"], copy["log"]) == ("ok", "duplicates")
        [ingest] = by_stage["refused_at_ingest"]["reasons"][0]["samples"]
        assert ingest["message_id"] == "bad-1" and http.get(ingest["verdict_url"]).status_code == 200

        one = http.get("/v1/overview", params={"window": "1h", "subscription": ORDERS}).json()
        assert [funnel["subscription"] for funnel in one["mappings"]] == [ORDERS]
        assert one["overall"]["received"] == 9 and one["subscription"] == ORDERS
        assert data["outbound"]["enabled"] is False and data["outbound"]["queued"] is None

        run = {"userId": "o-2", "messageId": "run-1", "event": "Points Earned", "properties": {"points": 1}}
        headers = {"X-Test-Run": "ov-run"}
        sent = http.post("/v1/track", json=run, auth=(receiver.write_key, ""), headers=headers)
        assert sent.status_code == 200, sent.text
        alone = http.get("/v1/overview", params={"test_run": "ov-run"}).json()
        assert (alone["test_run"], alone["overall"]["received"], alone["overall"]["applied"]) == ("ov-run", 1, 1)

        for bad in ({"window": "2h"}, {"subscription": ""}, {"test_run": "a b"}):
            refused_query = http.get("/v1/overview", params=bad)
            assert refused_query.status_code == 422
            assert refused_query.json()["error"]["field"] == next(iter(bad))
    assert httpx.get(f"{receiver.base_url}/v1/overview", timeout=10).status_code == 401


def test_the_outbound_sync_is_counted_queued_retried_delivered_and_failed(start_receiver, segment_stub):
    sync = {"write_key": "wk-overview-5f1d9c3a", "base_url": segment_stub.url, "events": ["point_add"]}
    receiver = start_receiver(outbound={**sync, "backoff_seconds": 0.01, "flush_timeout_seconds": 1.0})
    segment_stub.script.extend([500, 200, 400])  # the first message is retried once, the second refused
    hook = {"customer": "o-3", "action": "point_add", "data": {"points": 1}, "api_key": receiver.api_key}
    with receiver.client(headers=receiver.auth) as http:
        for n in (1, 2):
            sent = http.post("/v1/webhook/segment", json=hook, headers={"X-Segment-Message-Id": f"sync-{n}"})
            assert sent.status_code == 202, sent.text
            deadline = time.monotonic() + 10
            while len(http.get("/v1/outbound-logs").json()["items"]) < n and time.monotonic() < deadline:
                time.sleep(0.02)
        out = http.get("/v1/overview", params={"window": "15m"}).json()["outbound"]
        assert (out["enabled"], out["queued"], out["sent"], out["delivered"]) == (True, 0, 2, 1)
        assert (out["retried"]["count"], out["retried"]["retries"]) == (1, 1)
        [rejected] = out["failed"]["reasons"]
        assert rejected["code"] == "REJECTED" and rejected["count"] == 1
        [sample] = rejected["samples"]
        assert sample["verdict_url"] is None and sample["log_page_url"].startswith("/outbound-logs?id=")
        [logged] = http.get(sample["log_entry_url"]).json()["items"]
        assert logged["error_code"] == "REJECTED"
