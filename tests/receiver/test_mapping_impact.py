"""The impact of a mapping edit before it is saved, on a real receiver after real traffic (Segment's Python
library): `POST /v1/mappings/impact` and the Mappings page's panel answer `diff`'s report, nothing is saved,
and broken input is a 4xx in the one error shape naming the field.

The edits are `tests/fixtures/impact/edited`'s (as `diff`'s own tests use): the order total read from
another property, the sign-up trigger narrowed, and the points mapping given a customer path that the
event lacks.
"""

from __future__ import annotations

import html
from pathlib import Path

import httpx
import pytest
from mapping_forms import QUIZ_WON_FORM, builder_form
from segment.analytics import Client
from signed_in import Browser

pytestmark = pytest.mark.parametrize("receiver_backend", ["memory", "sqlite"], indirect=True)
ROOT = Path(__file__).resolve().parents[2]
EDITED = ROOT / "tests/fixtures/impact/edited"
SHIPPED = ["points-earned.yaml", "order-completed.yaml", "signed-up.yaml"]


def _edit(key: str) -> dict[str, str]:
    return {"key": key, "text": (EDITED / f"{key}.yaml").read_text(encoding="utf-8")}


def _traffic(receiver) -> None:
    """Three messages through the Tracking API, as a site sends them: one for each shipped mapping."""
    library = Client(receiver.write_key, host=receiver.base_url, sync_mode=True, max_retries=1)
    library.identify("c-1", {"first_name": "Ada"}, message_id="id-1")
    library.track("c-1", "Signed Up", {"loyalty_consent": True, "method": "email"}, message_id="su-1")
    order = {"order_id": "o-1", "total": 129.9, "revenue": 119.9, "currency": "EUR"}
    library.track("c-1", "Order Completed", order, message_id="oc-1")
    library.track("c-1", "Points Earned", {"points": 5, "source": "quiz", "reason": "won"}, message_id="pe-1")


@pytest.fixture
def receiver(start_receiver, write_mappings):
    running = start_receiver(mappings_dir=write_mappings({}, shipped=SHIPPED))
    _traffic(running)
    return running


def _impact(receiver, body: object, **kwargs) -> httpx.Response:
    with receiver.client(headers=receiver.auth) as http:
        return http.post("/v1/mappings/impact", json=body, **kwargs)


def test_the_route_reports_each_change_over_the_recent_traffic_and_saves_nothing(receiver):
    edits = [_edit("order-completed"), _edit("signed-up"), _edit("points-earned")]
    answer = _impact(receiver, {"mappings": edits})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["source"], report["bound"], report["truncated"], report["events"]) == ("recent", 100, False, 4)
    changed = {(e["event_id"], e["subscription"], e["kind"]) for e in report["entries"] if e["kind"] != "unchanged"}
    # Newest first: the points message is #1, the identify #4 (no mapping matches it).
    assert changed == {
        ("#1 pe-1", "Points Earned → point_add", "new validation error"),
        ("#2 oc-1", "Order Completed → checkout", "payload changed"),
        ("#3 su-1", "Signed Up → opt_in", "no longer matched"),
    }
    [order] = [e for e in report["entries"] if e["kind"] == "payload changed"]
    assert order["fields"] == [{"pointer": "/data/total", "change": "changed", "old": 129.9, "new": 119.9}]
    [points] = [e for e in report["entries"] if e["kind"] == "new validation error"]
    assert points["old_error"] is None and "customer" in points["new_error"]
    assert report["summary"]["by_kind"]["no longer matched"] == 1
    # Nothing was saved: the set the ingest runs is the files', and the same edit compares the same again.
    with receiver.client(headers=receiver.auth) as http:
        assert {item["origin"] for item in http.get("/v1/mappings").json()["items"]} == {"file"}
    assert _impact(receiver, {"mappings": edits}).json() == report


def test_given_events_a_toggle_and_a_new_mapping(receiver):
    events = [{"type": "track", "userId": "z", "event": "Quiz Won", "messageId": "qw", "properties": {"points": 4}}]
    text = 'name: Quiz Won → point_add\nsubscribe: type = "track" and event = "Quiz Won"\npartnerAction: event\n'
    text += 'mapping:\n  action: point_add\n  data:\n    points: {"@path": $.properties.points}\n'
    report = _impact(receiver, {"mappings": [{"key": "quiz-won", "text": text}], "events": events}).json()
    assert (report["source"], report["events"]) == ("given", 1)
    assert [(e["subscription"], e["kind"]) for e in report["entries"]] == [("Quiz Won → point_add", "newly matched")]
    disabled = _edit("points-earned")
    disabled["text"] = (ROOT / "mappings/points-earned.yaml").read_text().replace("enabled: true", "enabled: false")
    report = _impact(receiver, {"mappings": [disabled]}).json()
    changed = [(e["event_id"], e["kind"]) for e in report["entries"] if e["kind"] != "unchanged"]
    assert changed == [("#1 pe-1", "no longer matched")]


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        (
            {"mappings": [{"key": "points-earned", "text": "name: [unclosed"}]},
            422,
            "INVALID_MAPPING",
            "mappings.0.text",
        ),
        (
            {"mappings": [{"key": "x", "text": 'name: X\nsubscribe: type = "track"\npartnerAction: refund\n'}]},
            422,
            "INVALID_MAPPING",
            "mappings.0.text",
        ),
        ({"mappings": [_edit("signed-up")], "events": [1]}, 422, "INVALID_REQUEST", "events.0"),
        ({"mappings": [_edit("signed-up")], "events": []}, 422, "INVALID_REQUEST", "events"),
        ({"mappings": []}, 422, "INVALID_REQUEST", "mappings"),
        ({"mappings": [{"key": "signed-up"}]}, 422, "INVALID_MAPPING", "mappings.0"),
        ({"mappings": [{"key": "../etc", "text": "x"}]}, 422, "INVALID_REQUEST", "mappings.0.key"),
        ({"mappings": [{"key": "signed-up", "delete": True}]}, 422, "MAPPING_NOT_SAVED", "mappings.0.key"),
        ({"mappings": [_edit("signed-up"), _edit("signed-up")]}, 422, "INVALID_MAPPING", "mappings.1.key"),
        ({"events": [{}]}, 422, "INVALID_REQUEST", "mappings"),
        ([1], 400, "INVALID_BODY", None),
    ],
)
def test_broken_input_is_a_4xx_naming_the_field(receiver, body, status, code, field):
    answer = _impact(receiver, body)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code
    assert answer.json()["error"]["field"] == field
    assert answer.json()["error"]["message"]


def test_not_json_not_signed_and_wrong_media_type(receiver):
    with receiver.client(headers=receiver.auth) as http:
        broken = http.post("/v1/mappings/impact", content=b"{not json", headers={"Content-Type": "application/json"})
        assert (broken.status_code, broken.json()["error"]["code"]) == (400, "INVALID_JSON")
        form = http.post("/v1/mappings/impact", data={"mappings": "x"})
        assert (form.status_code, form.json()["error"]["field"]) == (415, "Content-Type")
    assert httpx.post(f"{receiver.base_url}/v1/mappings/impact", json={}).status_code == 401


def test_the_editor_panel_and_the_list_pages_impact(receiver):
    browser = Browser(receiver.base_url, receiver.api_key)
    edited = browser.get("/mappings/order-completed/edit").text
    assert 'id="impact-button"' in edited
    pairs = {
        "transaction_id": "$.properties.order_id",
        "total": "$.properties.revenue",
        "currency": "$.properties.currency",
    }
    form = {
        "key": "order-completed",
        **builder_form("Order Completed → checkout", "Order Completed", "checkout", pairs),
        "op": "impact",
    }
    page = html.unescape(browser.post("/mappings/edit", form).text)
    assert "Compared over the 4 newest accepted messages, at most 100" in page
    assert 'data-pointer="/data/total"' in page and "<code>129.9</code>" in page and "<code>119.9</code>" in page
    assert "1 payload changed" in page
    pasted = '{"batch": [{"type": "track", "userId": "q", "event": "Order Completed", "messageId": "p1", '
    pasted += '"properties": {"order_id": "o", "total": 1, "revenue": 2, "currency": "EUR"}}]}'
    page = html.unescape(browser.post("/mappings/edit", {**form, "impact_events": pasted}).text)
    assert "Compared over the 1 events given" in page and "#1 p1" in page and pasted in page
    broken = html.unescape(browser.post("/mappings/edit", {**form, "impact_events": "[1]"}).text)
    assert 'id="impact-error" data-field="impact_events"' in broken and "item 0 is int" in broken
    new = html.unescape(browser.post("/mappings/edit", {**QUIZ_WON_FORM, "op": "impact"}).text)
    assert "Changes nothing on these events" in new  # no Quiz Won traffic yet

    listing = browser.get("/mappings").text
    assert 'href="/mappings/signed-up/impact?change=toggle"' in listing
    toggle = html.unescape(browser.get("/mappings/signed-up/impact?change=toggle").text)
    assert "#3 su-1" in toggle and "no longer matched" in toggle and 'id="confirm-change"' in toggle
    assert "Disable Signed Up → opt_in" in toggle
    refused = browser.client.post("/mappings/signed-up/impact?change=toggle", data={"impact_events": "{}"})
    assert refused.status_code == 403  # no CSRF token: a page form like every other
    with receiver.client(headers=receiver.auth) as http:
        assert {item["origin"] for item in http.get("/v1/mappings").json()["items"]} == {"file"}
    assert browser.post("/mappings/edit", {**QUIZ_WON_FORM, "op": "save"}).status_code == 303
    delete = html.unescape(browser.get("/mappings/quiz-won-point-add/impact?change=delete").text)
    assert "Delete Quiz Won → point_add" in delete and "Changes nothing on these events" in delete
    assert browser.get("/mappings/nope/impact").status_code == 404


def test_deleting_a_saved_mapping_and_reverting_a_saved_edit(receiver):
    browser = Browser(receiver.base_url, receiver.api_key)
    assert browser.post("/mappings/edit", {**QUIZ_WON_FORM, "op": "save"}).status_code == 303
    assert browser.post("/mappings/points-earned/status", {}).status_code == 303  # saved: disabled
    quiz = {"type": "track", "userId": "z", "event": "Quiz Won", "messageId": "qw", "properties": {"points": 4}}
    points = {"type": "track", "userId": "z", "event": "Points Earned", "messageId": "pe", "properties": {"points": 4}}
    body = {"mappings": [{"key": "quiz-won-point-add", "delete": True}, {"key": "points-earned", "delete": True}]}
    report = _impact(receiver, {**body, "events": [quiz, points]}).json()
    changed = [(e["event_id"], e["subscription"], e["kind"]) for e in report["entries"] if e["kind"] != "unchanged"]
    assert changed == [
        ("#1 qw", "Quiz Won → point_add", "no longer matched"),  # deleted
        ("#2 pe", "Points Earned → point_add", "newly matched"),  # the file's, enabled, comes back
    ]
    both = {"key": "quiz-won-point-add", "text": "name: x\n", "delete": True}
    answer = _impact(receiver, {"mappings": [both]})
    assert (answer.status_code, answer.json()["error"]["field"]) == (422, "mappings.0")
