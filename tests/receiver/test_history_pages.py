"""The history pages over HTTP: every save a version, the diff of two, restore (audited, a new version), refusals."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
from mapping_forms import QUIZ_WON_FORM
from signed_in import Browser, signed_in_as

from receiver.store.config_state import AuditEntry, StoredMapping

KEY = "quiz-won-point-add"
HISTORY = f"/mappings/{KEY}/history"


def _versions(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr class="version" data-number="(\d+)"', page)]


def _edited(points: str) -> dict[str, object]:
    return {**QUIZ_WON_FORM, "key": KEY, "pair_value": [points], "op": "save"}


def test_a_mapping_edited_twice_shows_its_versions_and_diff_and_restores_version_1(receiver_server):
    browser = Browser(receiver_server.base_url, receiver_server.api_key)
    assert browser.post("/mappings/edit", {**QUIZ_WON_FORM, "op": "save"}).status_code == 303
    first_text = browser.get(f"/mappings/{KEY}/yaml").text
    assert browser.post("/mappings/edit", _edited("$.properties.bonus")).status_code == 303
    assert f'href="{HISTORY}"' in browser.get("/mappings").text
    assert f'href="{HISTORY}"' in browser.get(f"/mappings/{KEY}/edit").text

    page = browser.get(HISTORY)
    assert page.status_code == 200 and _versions(page.text) == [2, 1]
    assert "Mapping Quiz Won → point_add: created" in page.text and "api key" in page.text
    # By default the newest is compared with the one before it.
    assert "Changes from version 1 to version 2" in page.text
    assert '<span class="diff-remove">-      &#39;@path&#39;: $.properties.points</span>' in page.text
    assert '<span class="diff-add">+      &#39;@path&#39;: $.properties.bonus</span>' in page.text
    assert 'action="/mappings/quiz-won-point-add/history/1/restore"' in page.text
    assert "/history/2/restore" not in page.text  # the current version has nothing to restore
    picked = browser.get(HISTORY, params={"from": "1", "to": "2"}).text
    assert 'value="1" form="compare" aria-label="Compare from version 1" checked' in picked
    first = browser.get(HISTORY, params={"to": "1"}).text
    assert "Version 1, the first kept" in first and '<span class="diff-add">+name: Quiz Won → point_add</span>' in first

    answer = browser.post(f"{HISTORY}/1/restore", {})
    assert answer.status_code == 303 and answer.headers["location"] == f"{HISTORY}?restored=1"
    assert browser.get(f"/mappings/{KEY}/yaml").text == first_text
    page = browser.get(f"{HISTORY}?restored=1").text
    assert _versions(page) == [3, 2, 1] and "Restored version 1" in page
    assert "Mapping Quiz Won → point_add: restored version 1" in page
    assert "Mapping Quiz Won → point_add: restored version 1" in browser.get("/settings").text  # the audit trail
    same = browser.get(HISTORY, params={"from": "1", "to": "3"}).text
    assert 'id="no-change">No difference.' in same


def test_a_deleted_mapping_is_restored_from_its_history(receiver_server):
    browser = Browser(receiver_server.base_url, receiver_server.api_key)
    assert browser.post("/mappings/edit", {**QUIZ_WON_FORM, "op": "save"}).status_code == 303
    answer = browser.post(f"/mappings/{KEY}/delete", {})
    assert answer.headers["location"] == f"/mappings?deleted={KEY}"
    listing = browser.get(answer.headers["location"]).text
    assert f'data-key="{KEY}"' not in listing and f'href="{HISTORY}" id="deleted-history"' in listing
    page = browser.get(HISTORY).text
    assert _versions(page) == [2, 1] and '<span class="badge">deleted</span>' in page
    assert "/history/2/restore" not in page  # a deletion has no text to restore
    refused = browser.post(f"{HISTORY}/2/restore", {})
    assert refused.status_code == 422 and "is the mapping&#39;s deletion" in refused.text
    assert browser.post(f"{HISTORY}/1/restore", {}).status_code == 303
    assert f'data-key="{KEY}"' in browser.get("/mappings").text
    assert _versions(browser.get(HISTORY).text) == [3, 2, 1]


def test_a_version_no_longer_valid_is_refused_on_the_page_and_nothing_is_saved(receiver_server):
    state = receiver_server.app.state.config_state
    entry = AuditEntry(datetime.now(UTC), "an older receiver", "mapping.edit", "Mapping Old: saved")
    old = "name: Old\nsubscribe: 'type = \"track\"'\npartnerAction: no_such_action\n"
    receiver_server.call(state.save_mapping(StoredMapping("old", old), entry))
    receiver_server.call(state.save_mapping(StoredMapping("old", QUIZ_TEXT), entry))
    browser = Browser(receiver_server.base_url, receiver_server.api_key)
    answer = browser.post("/mappings/old/history/1/restore", {})
    assert answer.status_code == 422
    assert 'id="restore-error"' in answer.text and "Version 1 was not restored, nothing was saved" in answer.text
    assert "no_such_action" in answer.text
    assert browser.get("/mappings/old/yaml").text == QUIZ_TEXT
    assert _versions(browser.get("/mappings/old/history").text) == [2, 1]


QUIZ_TEXT = 'name: Quiz\nsubscribe: \'type = "track" and event = "Quiz Won"\'\npartnerAction: event\nmapping:\n  action: point_add\n'


def test_settings_history_diffs_masked_and_restores_through_the_save_path(start_receiver):
    receiver = start_receiver()
    browser = Browser(receiver.base_url, receiver.api_key)
    first_key, second_key = "first-outbound-key-1111", "second-outbound-key-2222"
    save = {"outbound__write_key": first_key, "outbound__region": "eu"}
    assert browser.post("/settings/outbound-settings", save).status_code == 303
    save = {"outbound__write_key": second_key, "outbound__region": "us"}
    assert browser.post("/settings/outbound-settings", save).status_code == 303
    assert 'href="/settings/history"' in browser.get("/settings").text

    page = browser.get("/settings/history").text
    assert _versions(page) == [2, 1] and first_key not in page and second_key not in page
    assert "<td><code>outbound.region</code></td><td>eu</td><td>us</td>" in page
    assert "<td><code>outbound.write_key</code></td><td>set (…1111)</td><td>set (…2222)</td>" in page
    first = browser.get("/settings/history", params={"to": "1"}).text
    assert "<td>not saved</td><td>set (…1111)</td>" in first and first_key not in first

    answer = browser.post("/settings/history/1/restore", {})
    assert answer.status_code == 303 and answer.headers["location"] == "/settings/history?restored=1"
    settings = browser.get("/settings").text
    assert 'value="eu" selected' in settings and "set (…1111)" in settings and first_key not in settings
    assert "restored version 1" in settings
    assert receiver.app.state.settings.current.outbound.write_key.get_secret_value() == first_key
    page = browser.get("/settings/history").text
    assert _versions(page) == [3, 2, 1] and first_key not in page and second_key not in page
    again = browser.post("/settings/history/3/restore", {})  # the current values: nothing to restore
    assert again.status_code == 422 and "nothing to restore" in again.text


def test_an_old_settings_version_the_schema_refuses_is_not_restored(receiver_server):
    state = receiver_server.app.state.config_state
    entry = AuditEntry(datetime.now(UTC), "an older receiver", "settings.save", "Settings: Outbound settings")
    receiver_server.call(state.save_settings({"outbound": {"region": "mars"}}, entry))
    browser = Browser(receiver_server.base_url, receiver_server.api_key)
    browser.post("/settings/outbound-settings", {"outbound__region": "eu"})
    answer = browser.post("/settings/history/1/restore", {})
    assert answer.status_code == 422 and "<code>outbound.region</code>" in answer.text
    assert 'value="eu" selected' in browser.get("/settings").text
    assert _versions(browser.get("/settings/history").text) == [2, 1]


def test_restores_need_the_csrf_token_and_the_permission(receiver_server):
    browser = Browser(receiver_server.base_url, receiver_server.api_key)
    assert browser.post("/mappings/edit", {**QUIZ_WON_FORM, "op": "save"}).status_code == 303
    assert browser.post("/mappings/edit", _edited("$.properties.bonus")).status_code == 303
    browser.post("/settings/outbound-settings", {"outbound__region": "eu"})
    browser.post("/settings/outbound-settings", {"outbound__region": "us"})
    forged = browser.client.post(f"{HISTORY}/1/restore", data={"csrf": "guess"})
    assert forged.status_code == 403 and "CSRF token" in forged.text
    foreign = browser.client.post(
        f"{HISTORY}/1/restore", data={"csrf": browser.csrf}, headers={"Origin": "http://evil.example"}
    )
    assert foreign.status_code == 403
    assert _versions(browser.get(HISTORY).text) == [2, 1]

    editor, csrf = signed_in_as(receiver_server, "ed", "editor")
    with editor:
        settings = editor.get("/settings/history")
        assert settings.status_code == 200 and "/settings/history/1/restore" not in settings.text
        refused = editor.post("/settings/history/1/restore", data={"csrf": csrf})
        assert refused.status_code == 403 and "may not change the receiver&#39;s settings" in refused.text
        page = editor.get(HISTORY).text
        assert f"{HISTORY}/1/restore" in page  # an editor may restore a mapping
    auditor, csrf = signed_in_as(receiver_server, "ed", "auditor")
    with auditor:
        page = auditor.get(HISTORY)
        assert page.status_code == 200 and "/restore" not in page.text
        refused = auditor.post(f"{HISTORY}/1/restore", data={"csrf": csrf})
        assert refused.status_code == 403 and "may not change mappings" in refused.text
    assert _versions(browser.get("/settings/history").text) == [2, 1]
    assert _versions(browser.get(HISTORY).text) == [2, 1]
    with receiver_server.client() as signed_out:
        answer = signed_out.get(HISTORY)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_bad_version_numbers_get_a_clear_page_never_a_500(receiver_server):
    browser = Browser(receiver_server.base_url, receiver_server.api_key)
    assert browser.post("/mappings/edit", {**QUIZ_WON_FORM, "op": "save"}).status_code == 303
    missing = browser.get(HISTORY, params={"to": "99"})
    assert missing.status_code == 404 and "No version 99 of mapping" in missing.text
    for query, field in (
        ({"to": "abc"}, "to"),
        ({"to": "0"}, "to"),
        ({"from": "1"}, "to"),
        ({"from": "x", "to": "1"}, "from"),
    ):
        answer = browser.get(HISTORY, params=query)
        assert answer.status_code == 400 and f"{field}: " in answer.text, query
    assert browser.get(HISTORY, params={"from": "1", "to": "1"}).status_code == 400
    assert browser.post(f"{HISTORY}/99/restore", {}).status_code == 404
    assert browser.post(f"{HISTORY}/abc/restore", {}).status_code == 404
    assert browser.post("/settings/history/1/restore", {}).status_code == 404
    assert browser.get("/mappings/nothing-here/history").status_code == 404
    assert browser.get("/settings/history").status_code == 200  # nothing saved yet: an empty list


def test_a_version_an_event_ran_links_to_its_lineage_page_and_long_histories_page(receiver_server):
    browser = Browser(receiver_server.base_url, receiver_server.api_key)
    assert browser.post("/mappings/edit", {**QUIZ_WON_FORM, "op": "save"}).status_code == 303
    body = {"userId": "q1", "event": "Quiz Won", "messageId": "ran", "properties": {"points": 3}}
    auth = (receiver_server.write_key, "")
    assert httpx.post(f"{receiver_server.base_url}/v1/track", json=body, auth=auth).status_code == 200
    assert browser.post("/mappings/edit", _edited("$.properties.bonus")).status_code == 303
    page = browser.get(HISTORY).text
    links = re.findall(
        r'<tr class="version" data-number="(\d+)".*?(?:href="(/mappings/versions/\w+)"|</tr>)', page, re.S
    )
    assert [(n, bool(link)) for n, link in links] == [("2", False), ("1", True)]
    assert "Quiz Won → point_add" in browser.get(links[1][1]).text
    assert 'id="older-versions"' not in page

    state = receiver_server.app.state.config_state
    entry = AuditEntry(datetime.now(UTC), "a script", "mapping.edit", "Mapping Quiz: saved")
    for i in range(53):
        receiver_server.call(state.save_mapping(StoredMapping("many", QUIZ_TEXT + f"# {i}\n"), entry))
    page = browser.get("/mappings/many/history").text
    assert (
        _versions(page) == list(range(53, 3, -1))
        and 'href="/mappings/many/history?before=4" id="older-versions"' in page
    )
    older = browser.get("/mappings/many/history", params={"before": "4"}).text
    assert _versions(older) == [3, 2, 1] and 'id="older-versions"' not in older
    assert "/history/3/restore" in older and "Changes from version 52 to version 53" in older
    assert "No saved version yet" in browser.get("/mappings/profile-updates/history").text


def test_a_non_ascii_digit_is_not_a_version_number_a_400_never_a_500(receiver_server):
    browser = Browser(receiver_server.base_url, receiver_server.api_key)
    for query, field in (({"to": "²"}, "to"), ({"from": "١", "to": "1"}, "from"), ({"before": "²"}, "before")):
        answer = browser.get("/settings/history", params=query)
        assert answer.status_code == 400 and f"{field}: " in answer.text, query
    assert browser.post("/settings/history/²/restore", {}).status_code == 404
