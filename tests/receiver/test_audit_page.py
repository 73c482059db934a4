"""`/audit` and `/audit.csv` over HTTP: signed in only, every role reads it, actions from the pages land in it
with actor, role and address, filters and cursor paging work, the CSV escapes formulas and is itself audited."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from signed_in import Browser, signed_in_as

from receiver.core.audit import Actor


@pytest.mark.parametrize("receiver_backend", ["memory", "sqlite"], indirect=True)
def test_page_actions_are_audited_and_shown_newest_first_with_filters(start_receiver, receiver_backend):
    receiver = start_receiver()
    with httpx.Client(base_url=receiver.base_url) as signed_out:
        for path in ("/audit", "/audit.csv"):
            answer = signed_out.get(path)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/login"), path
        assert signed_out.post("/login", data={"api_key": "wrong-key", "next": "/"}).status_code == 401
    browser = Browser(receiver.base_url, receiver.api_key)
    assert browser.post("/settings/outbound-settings", {"outbound__region": "eu"}).status_code == 303
    page = browser.get("/audit")
    assert page.status_code == 200 and 'aria-current="page">Audit trail<' in page.text
    assert '<option value="mapping.toggle">' in page.text
    rows = page.text.split('class="audit-entry"')[1:]
    assert [row.split('class="mono">')[3].split("<")[0] for row in rows] == [
        "settings.save",
        "sign_in",
        "sign_in.failed",
    ]
    assert ">api key<" in rows[0] and ">admin<" in rows[0] and ">127.0.0.1<" in rows[0]
    assert "<code>outbound.region</code>: us → eu" in rows[0] and ">outbound-settings<" in rows[0]
    only = browser.get("/audit", params={"action": "sign_in."}).text
    assert only.count('class="audit-entry"') == 1 and "wrong API key" in only
    assert browser.get("/audit", params={"actor": "nobody"}).text.count('class="audit-entry"') == 0
    assert 'id="audit-empty"' in browser.get("/audit", params={"actor": "nobody"}).text
    settings_page = browser.get("/settings").text
    assert settings_page.count('class="audit-entry"') == 1 and 'href="/audit"' in settings_page
    browser.close()


def test_paging_by_cursor_and_bad_filters_named(start_receiver):
    receiver = start_receiver()
    state = receiver.app.state.config_state
    bot = Actor("ann", "editor", "192.0.2.1")
    for n in range(60):
        receiver.call(state.append_audit(bot.entry("replay", f"Replayed {n}", target=f"msg-{n}")))
    client, _ = signed_in_as(receiver, "ann", "auditor")
    with client:
        first = client.get("/audit", params={"actor": "ann"})
        assert first.status_code == 200 and first.text.count('class="audit-entry"') == 50
        assert "Replayed 59" in first.text and "Replayed 10<" in first.text and "Replayed 9<" not in first.text
        older = first.text.split('id="audit-older" href="')[1].split('"')[0].replace("&amp;", "&")
        assert older == "/audit?actor=ann&cursor=11"
        rest = client.get(older).text
        assert rest.count('class="audit-entry"') == 10 and "Replayed 0<" in rest and 'id="audit-older"' not in rest
        for bad in ({"cursor": "x"}, {"cursor": "-3"}, {"actor": "a" * 201}):
            answer = client.get("/audit", params=bad)
            assert answer.status_code == 400 and next(iter(bad)) in answer.text, bad
        assert client.get("/audit.csv", params={"cursor": "0"}).status_code == 400


def test_a_non_ascii_digit_cursor_is_a_400_never_a_500(start_receiver):
    receiver = start_receiver()
    client, _ = signed_in_as(receiver, "ann", "auditor")
    with client:
        for path in ("/audit", "/audit.csv"):
            answer = client.get(path, params={"cursor": "²"})
            assert answer.status_code == 400 and "cursor" in answer.text, path


def test_the_csv_export_escapes_formulas_follows_the_filters_and_is_audited(start_receiver):
    receiver = start_receiver()
    state = receiver.app.state.config_state
    evil = Actor("=cmd|' /C calc'!A0", "editor", "192.0.2.9")
    receiver.call(state.append_audit(evil.entry("replay", "+1 replayed", target="@msg")))
    receiver.call(state.append_audit(Actor("bob").entry("mapping.edit", "-edited", target="m")))
    client, _ = signed_in_as(receiver, "eve", "auditor")
    with client:
        answer = client.get("/audit.csv", params={"action": "replay"})
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
        assert answer.headers["content-disposition"].startswith('attachment; filename="audit-')
        table = list(csv.reader(io.StringIO(answer.text)))
        assert table[0] == ["seq", "at", "actor", "role", "address", "action", "target", "what", "changes"]
        assert [row[2:8] for row in table[1:]] == [
            ["'=cmd|' /C calc'!A0", "editor", "192.0.2.9", "replay", "'@msg", "'+1 replayed"]
        ]
        exported = client.get("/audit", params={"action": "export"}).text
        assert exported.count('class="audit-entry"') == 1 and ">eve<" in exported and ">auditor<" in exported
        assert "action=replay" in exported and "(1 records)" in exported


def test_a_test_run_reset_through_the_api_is_audited_by_the_api_key(start_receiver):
    receiver = start_receiver()
    with receiver.client() as http:
        assert http.delete("/v1/messages", params={"test_run": "run-1"}).status_code == 401
        answer = http.delete("/v1/messages", params={"test_run": "run-1"}, headers=receiver.auth)
        assert answer.status_code == 200 and answer.json()["forgotten"] == 0
        assert http.delete("/v1/messages", params={"test_run": "bad name!"}, headers=receiver.auth).status_code == 422
    found = receiver.call(receiver.app.state.config_state.audit(5))
    assert [(r.entry.action, r.entry.actor, r.entry.target) for r in found] == [("test_run.delete", "api key", "run-1")]
    assert found[0].entry.address == "127.0.0.1" and "0 log entries" in found[0].entry.what
