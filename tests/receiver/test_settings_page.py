"""The module settings page over HTTP: signed in only, CSRF, schema errors at the field, masked key, audit, live outbox."""

from __future__ import annotations

import time

import httpx
from signed_in import Browser


def test_settings_are_not_reachable_signed_out(receiver_server):
    with httpx.Client(base_url=receiver_server.base_url) as client:
        for path in ("/settings", "/mappings", "/mappings/new", "/mappings/profile-updates/yaml"):
            answer = client.get(path)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/login"), path
        answer = client.post("/settings/outbound-settings", data={"outbound__region": "eu"})
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
        assert client.get("/mappings/check-fql", params={"q": 'type = "track"'}).status_code == 401


def test_a_save_needs_the_session_csrf_token(receiver_server):
    browser = Browser(receiver_server.base_url, receiver_server.api_key)
    answer = browser.client.post("/settings/outbound-settings", data={"csrf": "guess", "outbound__region": "eu"})
    assert answer.status_code == 403
    answer = browser.client.post(
        "/settings/outbound-settings",
        data={"csrf": browser.csrf, "outbound__region": "eu"},
        headers={"Origin": "http://evil.example"},
    )
    assert answer.status_code == 403
    assert 'value="eu" selected' not in browser.get("/settings").text


def test_schema_errors_show_at_the_field_and_nothing_is_saved(receiver_server):
    browser = Browser(receiver_server.base_url, receiver_server.api_key)
    answer = browser.post("/settings/event-sync", {"outbound__events": "point_add\npoint_add"})
    assert answer.status_code == 422
    assert 'id="outbound__events-error"' in answer.text and "lists a name twice" in answer.text
    answer = browser.post("/settings/outbound-settings", {"outbound__region": "mars"})
    assert answer.status_code == 422 and 'id="outbound__region-error"' in answer.text
    assert "No change was saved yet." in browser.get("/settings").text


def test_a_new_write_key_is_used_by_the_next_batch_and_never_shown(start_receiver, segment_stub):
    first, second = "first-outbound-key-1111", "second-outbound-key-2222"
    receiver = start_receiver(outbound={"write_key": first, "base_url": segment_stub.url, "events": ["point_add"]})
    browser = Browser(receiver.base_url, receiver.api_key)
    page = browser.get("/settings").text
    assert "set (…1111)" in page and first not in page and "Value from: <strong>receiver.yaml" in page

    def earn(n: int) -> None:
        body = {"api_key": receiver.api_key, "customer": "u1", "action": "point_add", "data": {"points": n}}
        assert httpx.post(receiver.webhook_url, json=body).status_code == 202

    earn(1)
    segment_stub.wait_for(1)
    answer = browser.post("/settings/outbound-settings", {"outbound__write_key": second, "outbound__region": "us"})
    assert answer.status_code == 303, answer.text
    earn(2)
    segment_stub.wait_for(2)
    keys = [httpx.BasicAuth(k, "")._auth_header for k in (first, second)]
    assert [call.authorization for call in segment_stub.calls] == keys
    page = browser.get("/settings").text
    assert second not in page and first not in page
    assert "set (…2222)" in page and "set (…1111) → set (…2222)" in page
    assert 'id="outbound__write_key-source">Value from: <strong>saved settings' in page
    # An empty box keeps the saved key; nothing changes, nothing is audited.
    assert (
        browser.post("/settings/outbound-settings", {"outbound__write_key": "", "outbound__region": "us"})
        .headers["location"]
        .startswith("/settings?saved=nothing")
    )
    assert page.count('class="audit-entry"') == 1


def test_the_environment_pins_a_field(start_receiver, monkeypatch):
    monkeypatch.setenv("ANTAVO_OUTBOUND_REGION", "eu")
    receiver = start_receiver()
    browser = Browser(receiver.base_url, receiver.api_key)
    page = browser.get("/settings").text
    assert "ANTAVO_OUTBOUND_REGION" in page and 'id="outbound__region-source">Value from: <strong>environment' in page
    browser.post("/settings/outbound-settings", {"outbound__region": "us"})
    assert receiver.app.state.settings.current.outbound.region == "eu"


def test_an_idle_instance_on_a_shared_store_applies_a_save_made_on_another(start_receiver, tmp_path):
    """B serves no request at all (its outbox may still send rows others queued): it reloads on its own."""
    from stores import sqlite_url

    from receiver.live.settings import REFRESH_SECONDS

    store = {"url": sqlite_url(tmp_path / "shared.db")}
    a, b = start_receiver(store=store), start_receiver(store=store)
    live_b = b.app.state.settings
    assert live_b.current.outbound.user_id_attribute is None
    answer = Browser(a.base_url, a.api_key).post(
        "/settings/customer-id-mapping", {"outbound__user_id_attribute": "crm_id"}
    )
    assert answer.status_code == 303
    # Bounded, and generous: a loaded CI machine may delay a tick; without the watcher it never applies.
    deadline = time.monotonic() + 15 * REFRESH_SECONDS
    while live_b.current.outbound.user_id_attribute != "crm_id" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert live_b.current.outbound.user_id_attribute == "crm_id"
    assert b.app.state.service.customer_ids.attribute == "crm_id"
