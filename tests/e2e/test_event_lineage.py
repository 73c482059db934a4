"""Lineage end to end: every event in a customer's history leads to its message, its log entry and its mapping
as it ran, on every store.

Segment's own Python library sends through the Tracking API; a webhook call comes straight in;
a mapping saved on the Mappings page is edited between two events, and each event still leads
to the version that mapped it.
"""

from __future__ import annotations

import re

import httpx
import pytest
from mapping_forms import QUIZ_WON_FORM
from segment.analytics import Client
from signed_in import Browser

pytestmark = pytest.mark.parametrize("receiver_backend", ["memory", "sqlite", "postgresql"], indirect=True)
WEBHOOK = "/v1/webhook/segment"
DIGEST = re.compile(r"[0-9a-f]{16}")


def _events(http: httpx.Client, customer: str) -> list[dict]:
    answer = http.get(f"/v1/customers/{customer}/events")
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def test_each_event_names_its_message_source_mapping_version_and_log_entry(start_receiver, write_mappings):
    receiver = start_receiver(mappings_dir=write_mappings({}, shipped=["points-earned.yaml"]))
    library = Client(receiver.write_key, host=receiver.base_url, sync_mode=True, max_retries=1)
    library.track("lin-1", "Points Earned", {"points": 5, "source": "quiz", "reason": "won"}, message_id="lin-msg-1")
    hook = {"customer": "lin-1", "action": "point_add", "account": "", "api_key": receiver.api_key}
    with receiver.client(headers=receiver.auth) as http:
        assert http.post(WEBHOOK, json={**hook, "data": {"points": 2}}).status_code == 202
        named = http.post(WEBHOOK, json={**hook, "data": {"points": 1}}, headers={"X-Segment-Message-Id": "hook-1"})
        assert named.status_code == 202
        tracked, direct, with_id = _events(http, "lin-1")
        assert (with_id["lineage"]["message_id"], with_id["lineage"]["log_entry_id"]) == ("hook-1", "hook-1")

        lineage = tracked["lineage"]
        assert lineage["message_id"] == lineage["log_entry_id"] == "lin-msg-1"
        assert lineage["source"] == "segment:analytics-python"
        assert lineage["subscription"] == "Points Earned → point_add"
        assert DIGEST.fullmatch(lineage["mapping_version"])
        logged = http.get(lineage["log_entry_url"]).json()["items"]
        assert [(e["id"], e["status"], e["customer_id"]) for e in logged] == [("lin-msg-1", 202, "lin-1")]
        version = http.get(lineage["mapping_version_url"]).json()
        assert version["digest"] == lineage["mapping_version"] and version["running"] is True
        assert version["name"] == "Points Earned → point_add"
        assert version["definition"]["subscribe"] == 'type = "track" and event = "Points Earned"'
        assert version["definition"]["mapping"]["customer"] == {"@path": "$.userId"}

        lineage = direct["lineage"]
        assert lineage["source"] == "webhook" and lineage["subscription"] is lineage["mapping_version"] is None
        assert lineage["message_id"] is None and lineage["mapping_version_url"] is None
        logged = http.get(lineage["log_entry_url"]).json()["items"]
        assert [(e["id"], e["status"], e["source"]) for e in logged] == [(lineage["log_entry_id"], 202, "webhook")]

        unknown = http.get("/v1/mappings/versions/0000000000000000")
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "MAPPING_VERSION_NOT_FOUND"


def test_an_edited_mapping_leaves_each_event_with_the_version_that_mapped_it(start_receiver, write_mappings):
    receiver = start_receiver(mappings_dir=write_mappings({}, shipped=["points-earned.yaml"]))
    browser = Browser(receiver.base_url, receiver.api_key)

    def quiz_won(message_id: str, **properties: int) -> None:
        body = {"userId": "q1", "event": "Quiz Won", "messageId": message_id, "properties": properties}
        assert httpx.post(f"{receiver.base_url}/v1/track", json=body, auth=(receiver.write_key, "")).status_code == 200

    assert browser.post("/mappings/edit", {**QUIZ_WON_FORM, "op": "save"}).status_code == 303
    quiz_won("first", points=3, score=40)
    edited = {**QUIZ_WON_FORM, "pair_value": ["$.properties.score"], "key": "quiz-won-point-add", "op": "save"}
    assert browser.post("/mappings/edit", edited).status_code == 303
    quiz_won("second", points=3, score=40)
    with receiver.client(headers=receiver.auth) as http:
        first, second = (event["lineage"] for event in _events(http, "q1"))
        assert [e["points"] for e in _events(http, "q1")] == [3, 40]
        assert first["subscription"] == second["subscription"] == "Quiz Won → point_add"
        assert first["mapping_version"] != second["mapping_version"]
        old, new = (http.get(one["mapping_version_url"]).json() for one in (first, second))
    assert (old["running"], new["running"]) == (False, True)
    assert old["definition"]["written"]["data"] == {"points": {"@path": "$.properties.points"}}
    assert new["definition"]["written"]["data"] == {"points": {"@path": "$.properties.score"}}
    page = browser.get(f"/mappings/versions/{first['mapping_version']}")
    assert page.status_code == 200 and "$.properties.points" in page.text and "Since edited" in page.text
    browser.close()
