"""Synchronous verdicts on every store: as soon as Segment's Python library has its answer, what happened to
each message is one GET away, and a CI job fetches every verdict of its test run and resets them.

The library names the run in each message's `context.testRun` (it sends no custom headers); an HTTP
client names it with `X-Test-Run`. Each kind of ending is sent once: applied, refused by the rules,
a mapping that could not build its payload, no trigger matched, the destination turned off, a dropped
copy, and a webhook call straight in.
"""

from __future__ import annotations

import pytest
from segment.analytics import Client
from verdicts import message_verdict

from destination.definition.model import load_definition

pytestmark = pytest.mark.parametrize("receiver_backend", ["memory", "sqlite", "postgresql"], indirect=True)
SHIPPED = ["points-earned.yaml", "order-completed.yaml"]


def test_every_stage_of_every_message_is_answered_at_once_and_a_run_resets(
    start_receiver, write_mappings, receiver_backend
):
    receiver = start_receiver(mappings_dir=write_mappings({}, shipped=SHIPPED))
    run = f"ci-{receiver_backend}"
    context = {"testRun": run}
    library = Client(receiver.write_key, host=receiver.base_url, sync_mode=True, max_retries=1)
    library.track("v-1", "Points Earned", {"points": 5, "source": "quiz", "reason": "won"}, context, message_id="ok")
    library.track("v-1", "Points Earned", {"source": "quiz"}, context, message_id="refused")
    library.track(
        event="Order Completed", anonymous_id="a-1", properties={"order_id": "o-1", "total": 5},
        context=context, message_id="mapfail",
    )  # fmt: skip
    library.track("v-1", "Product Viewed", {"sku": "s-1"}, context, message_id="ignored")
    off = {load_definition().name: False}
    library.track("v-1", "Points Earned", {"points": 1}, context, integrations=off, message_id="off")
    library.track("v-1", "Points Earned", {"points": 5, "source": "quiz", "reason": "won"}, context, message_id="ok")
    library.track("v-2", "Points Earned", {"points": 3, "source": "quiz", "reason": "x"}, message_id="no-run")

    with receiver.client(headers=receiver.auth) as http:
        hook = {"customer": "v-1", "action": "point_add", "data": {"points": 2}, "api_key": receiver.api_key}
        sent = http.post(
            "/v1/webhook/segment", json=hook, headers={"X-Segment-Message-Id": "hook-1", "X-Test-Run": run}
        )
        assert sent.status_code == 202, sent.text

        ok = message_verdict(http, "ok")
        assert (ok["outcome"], ok["test_run"], ok["source"], ok["customer_id"]) == (
            "applied", run, "segment:analytics-python", "v-1",
        )  # fmt: skip
        assert ok["routing"] == {"status": "routed", "code": None, "reason": None}
        [delivery] = ok["deliveries"]
        assert delivery["subscription"] == "Points Earned → point_add" and delivery["stage"] == "store"
        assert delivery["payload"]["data"]["points"] == 5 and delivery["payload"]["api_key"] == "[REDACTED]"
        assert delivery["status"] == 202 and delivery["applied"] and delivery["error"] is None
        assert len(ok["duplicates"]) == 1, "the second copy was dropped, and said so"
        [event] = http.get("/v1/customers/v-1/events").json()["items"][:1]
        assert event["id"] == delivery["answer"]["id"]
        assert event["lineage"]["mapping_version"] == delivery["mapping_version"]
        version = http.get(delivery["mapping_version_url"]).json()
        assert version["name"] == delivery["subscription"]
        logged = http.get(ok["log_url"]).json()["items"]
        assert {e["seq"] for e in logged} == {delivery["log_entry"]}

        refused = message_verdict(http, "refused")
        [delivery] = refused["deliveries"]
        assert refused["outcome"] == "refused" and delivery["stage"] == "store" and not delivery["applied"]
        assert delivery["error"]["code"] == "INVALID_POINTS" and delivery["status"] == 422

        failed = message_verdict(http, "mapfail")
        [delivery] = failed["deliveries"]
        assert failed["outcome"] == "mapping_failed" and delivery["stage"] == "mapping"
        assert delivery["subscription"] == "Order Completed → checkout" and delivery["payload"] is None
        assert delivery["error"]["code"] == "MAPPING_FAILED" and delivery["mapping_version"]

        for message_id, code in (("ignored", "NO_TRIGGER_MATCHED"), ("off", "DESTINATION_DISABLED")):
            verdict = message_verdict(http, message_id)
            assert verdict["outcome"] == "ignored" and verdict["deliveries"] == []
            assert verdict["routing"]["status"] == "ignored" and verdict["routing"]["code"] == code

        hooked = message_verdict(http, "hook-1")
        [delivery] = hooked["deliveries"]
        assert (hooked["outcome"], hooked["source"], hooked["test_run"]) == ("applied", "webhook", run)
        assert delivery["subscription"] is None and delivery["payload"]["data"] == {"points": 2}

        answer = http.get("/v1/messages", params={"test_run": run}).json()
        assert [item["message_id"] for item in answer["items"]] == [
            "ok",
            "refused",
            "mapfail",
            "ignored",
            "off",
            "hook-1",
        ]
        assert answer["outcomes"] == {"applied": 2, "refused": 1, "mapping_failed": 1, "ignored": 2}
        assert answer["count"] == 6 and answer["truncated"] is False
        assert message_verdict(http, "no-run")["test_run"] is None

        reset = http.delete("/v1/messages", params={"test_run": run}).json()
        assert reset["test_run"] == run and reset["forgotten"] == 7  # six messages' entries and the dropped copy
        after = http.get("/v1/messages", params={"test_run": run}).json()
        assert (after["count"], after["items"]) == (0, [])
        assert http.get("/v1/messages/ok").status_code == 404
        assert message_verdict(http, "no-run")["outcome"] == "applied", "another run's (or no run's) verdicts stay"
        assert len(http.get("/v1/customers/v-1/events").json()["items"]) == 2, "the run's events stay"


def test_a_malformed_test_run_is_refused_with_its_place(start_receiver, receiver_backend):
    receiver = start_receiver()
    auth = (receiver.write_key, "")
    with receiver.client() as http:
        header = http.post("/v1/track", json={"userId": "u", "event": "E"}, auth=auth, headers={"X-Test-Run": "a b"})
        assert header.status_code == 400 and header.json()["error"]["field"] == "X-Test-Run"
        assert header.json()["error"]["code"] == "INVALID_TEST_RUN"
        body = {"batch": [{"type": "track", "userId": "u", "event": "E", "context": {"testRun": 7}}]}
        field = http.post("/v1/batch", json=body, auth=auth)
        assert field.status_code == 400 and field.json()["error"]["field"] == "batch[0].context.testRun"
        query = http.get("/v1/messages", params={"test_run": "x" * 65}, headers=receiver.auth)
        assert query.status_code == 422 and query.json()["error"]["field"] == "test_run"
        hook = http.post(
            "/v1/webhook/segment", json={"api_key": receiver.api_key}, headers={"X-Test-Run": "", **receiver.auth}
        )
        assert hook.status_code == 400 and hook.json()["error"]["code"] == "INVALID_TEST_RUN"
        assert http.get("/v1/messages/ok", headers=receiver.auth).status_code == 404
