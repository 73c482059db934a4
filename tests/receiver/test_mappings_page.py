"""The Mappings page over HTTP: save refuses what `validate` reports, the ingest runs the saved set at once."""

from __future__ import annotations

import html
import re

import httpx
from mapping_forms import QUIZ_WON_FORM
from signed_in import Browser

from destination.definition.model import PROJECT_ROOT, load_definition
from destination.fql import parser as fql
from destination.lint.checks import check_file
from receiver.routes.mapping_form import Condition, build_fql, conditions_of

BONUS = QUIZ_WON_FORM


def _track(receiver, event: str, message_id: str, points: int = 3) -> None:
    body = {"userId": "q1", "event": event, "messageId": message_id, "properties": {"points": points}}
    assert httpx.post(f"{receiver.base_url}/v1/track", json=body, auth=(receiver.write_key, "")).status_code == 200


def test_a_saved_mapping_runs_on_the_next_call_and_toggles_off(start_receiver, write_mappings):
    receiver = start_receiver(mappings_dir=write_mappings({}, shipped=["points-earned.yaml"]))
    browser = Browser(receiver.base_url, receiver.api_key)
    _track(receiver, "Quiz Won", "before")
    answer = browser.post("/mappings/edit", {**BONUS, "op": "save"})
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/mappings?saved=quiz-won-point-add"
    _track(receiver, "Quiz Won", "after")
    with receiver.client(headers=receiver.auth) as client:
        assert client.get("/v1/customers/q1").json()["balances"] == {"default": 3}
        before = client.get("/v1/logs", params={"id": "before"}).json()["items"][0]
        assert before["response"]["status"] == "ignored"
    listing = browser.get("/mappings").text
    assert "Quiz Won → point_add" in listing and "type = &#34;track&#34; and event = &#34;Quiz Won&#34;" in listing
    assert browser.post("/mappings/quiz-won-point-add/status", {}).status_code == 303
    _track(receiver, "Quiz Won", "off")
    with receiver.client(headers=receiver.auth) as client:
        assert client.get("/v1/customers/q1").json()["balances"] == {"default": 3}
    text = browser.get("/mappings/quiz-won-point-add/yaml").text
    assert "enabled: false" in text and text.startswith("# yaml-language-server")


def test_save_refuses_what_validate_reports_with_the_same_messages(receiver_server, tmp_path):
    browser = Browser(receiver_server.base_url, receiver_server.api_key)
    form = {
        **BONUS,
        "name": "Broken",
        "trigger_mode": "raw",
        "raw_fql": 'type = "track" and (event = "A"',
        "op": "save",
    }
    answer = browser.post("/mappings/edit", form)
    assert answer.status_code == 422
    file = tmp_path / "broken.yaml"
    file.write_text(
        'name: Broken\nsubscribe: \'type = "track" and (event = "A"\'\npartnerAction: event\n'
        "mapping: {action: point_add}\n"
    )
    expected = check_file(file, load_definition())[0]
    assert expected.rule == "fql" and "is never closed" in expected.message
    assert f"{expected.rule}: {expected.message}" in html.unescape(answer.text)
    assert "Broken" not in browser.get("/mappings").text
    missing = browser.post("/mappings/edit", {**BONUS, "name": "No action", "field_action": "", "op": "save"})
    assert missing.status_code == 422 and "missing-required" in missing.text


WARNED_TRIGGER = 'type == "track" and evnt = "Quiz Won"'


def test_the_live_check_shows_the_warnings_save_reports_and_save_keeps_the_mapping(receiver_server, tmp_path):
    """The live check and Save run the same rules: a warning is shown by both and stops neither."""
    browser = Browser(receiver_server.base_url, receiver_server.api_key)
    live = browser.get("/mappings/check-fql", params={"q": WARNED_TRIGGER}).json()
    file = tmp_path / "warned.yaml"
    file.write_text(
        f"name: Warned\nsubscribe: '{WARNED_TRIGGER}'\npartnerAction: event\nmapping: {{action: point_add}}\n"
    )
    expected = [p for p in check_file(file, load_definition()) if p.rule.startswith("fql")]
    assert expected and all(p.severity == "warning" for p in expected)
    assert live == {"ok": True, "problems": [], "warnings": [f"{p.rule}: {p.message}" for p in expected]}
    form = {**BONUS, "name": "Warned", "trigger_mode": "raw", "raw_fql": WARNED_TRIGGER, "op": "save"}
    answer = browser.post("/mappings/edit", form)
    assert answer.status_code == 303, answer.text
    listing = html.unescape(browser.get(answer.headers["location"]).text)
    assert "Saved with warnings" in listing
    assert all(f"{p.rule}: {p.message}" in listing for p in expected), listing


def test_a_toggled_shipped_mapping_keeps_its_comments(receiver_server):
    browser = Browser(receiver_server.base_url, receiver_server.api_key)
    assert browser.post("/mappings/points-earned/status", {}).status_code == 303
    text = browser.get("/mappings/points-earned/yaml").text
    original = (PROJECT_ROOT / "mappings" / "points-earned.yaml").read_text()
    assert text == original.replace("enabled: true", "enabled: false")


def test_the_live_check_and_the_builder_speak_segments_fql(receiver_server):
    browser = Browser(receiver_server.base_url, receiver_server.api_key)
    good = browser.get("/mappings/check-fql", params={"q": 'type = "track"'}).json()
    bad = browser.get("/mappings/check-fql", params={"q": 'type = "track" and (event = "A"'}).json()
    assert good == {"ok": True, "problems": [], "warnings": []} and not bad["ok"] and bad["problems"]
    rows = [
        Condition("type", "", "is", "track"),
        Condition("properties", "total", "exists", ""),
        Condition("traits", "tier", "is_not", "gold"),
        Condition("event", "", "contains", "Order"),
    ]
    for join in ("all", "any"):
        query = build_fql(rows, join)
        fql.parse(query)
        assert conditions_of(query) == (rows, join)


def test_test_mapping_and_load_event_from_source(receiver_server):
    browser = Browser(receiver_server.base_url, receiver_server.api_key)
    _track(receiver_server, "Points Earned", "sample-1", points=9)
    _track(receiver_server, "Quiz Won", "other-1")
    loaded = browser.post("/mappings/edit", {**BONUS, "cond_value": ["track", "Points Earned"], "op": "load_events"})
    assert "sample-1" in loaded.text and "other-1" not in loaded.text
    offered = re.findall(r'value="(use_event-\d+)"', loaded.text)
    assert len(offered) == 1
    # Newer traffic does not change which message the offered button picks.
    _track(receiver_server, "Points Earned", "sample-2")
    used = browser.post("/mappings/edit", {**BONUS, "cond_value": ["track", "Points Earned"], "op": offered[0]})
    assert "&#34;messageId&#34;: &#34;sample-1&#34;" in used.text
    event = '{"type": "track", "userId": "z", "event": "Quiz Won", "properties": {"points": 4}}'
    tested = browser.post("/mappings/edit", {**BONUS, "sample": event, "op": "test"}).text
    assert 'id="test-matched">matches' in tested and "&#34;points&#34;: 4" in tested and 'id="test-valid"' in tested


def test_a_saved_mapping_is_deleted_and_a_saved_edit_reverts_to_its_file(start_receiver, write_mappings):
    receiver = start_receiver(mappings_dir=write_mappings({}, shipped=["points-earned.yaml"]))
    browser = Browser(receiver.base_url, receiver.api_key)
    assert browser.post("/mappings/edit", {**BONUS, "op": "save"}).status_code == 303
    assert browser.post("/mappings/points-earned/status", {}).status_code == 303
    listing = browser.get("/mappings").text
    assert listing.count('class="remove"') == 2 and "Revert to file" in listing and ">Delete<" in listing
    _track(receiver, "Quiz Won", "saved")
    # Without the session's CSRF token nothing is removed.
    assert browser.client.post("/mappings/quiz-won-point-add/delete", data={"csrf": "x"}).status_code == 403
    answer = browser.post("/mappings/quiz-won-point-add/delete", {})
    assert answer.status_code == 303 and answer.headers["location"] == "/mappings?deleted=quiz-won-point-add"
    _track(receiver, "Quiz Won", "deleted")
    with receiver.client(headers=receiver.auth) as client:
        assert client.get("/v1/customers/q1").json()["balances"] == {"default": 3}
        assert client.get("/v1/logs", params={"id": "deleted"}).json()["items"][0]["response"]["status"] == "ignored"
    answer = browser.post("/mappings/points-earned/delete", {})
    assert answer.headers["location"] == "/mappings?reverted=points-earned"
    listing = browser.get("/mappings").text
    assert "Quiz Won" not in listing and 'class="remove"' not in listing
    assert "file: points-earned.yaml" in listing and 'aria-checked="true"' in listing
    shipped = (PROJECT_ROOT / "mappings" / "points-earned.yaml").read_text(encoding="utf-8")
    assert browser.get("/mappings/points-earned/yaml").text == shipped
    # A file's own mapping is not deleted from the page: that is the repository's business.
    assert browser.post("/mappings/points-earned/delete", {}).status_code == 404
    audit = browser.get("/audit", params={"action": "mapping.delete"}).text
    assert "Mapping Quiz Won → point_add: deleted" in audit and "reverted to points-earned.yaml" in audit
    assert audit.count('class="audit-entry"') == 2 and ">api key<" in audit and ">quiz-won-point-add<" in audit
    browser.close()
