"""PII on the pages over HTTP: a user without PII access sees the plan's `pii` values masked on the
logs (page and data), the customer page and the quarantine, even where a violation quotes them; a user
granted PII access and the API key's admin see them in clear. The raw answer is searched for the value."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from mapping_forms import QUIZ_WON_FORM
from plans import pii_identify, write_plan
from signed_in import Browser, signed_in_as

from receiver.pages.pii import MASK, PII_HIDDEN

EMAIL = "planted.secret@example.com"
NAME = "Plantedfirstname"
BAD_EMAIL = "quarantined-secret-value"  # not an email: the block's violation quotes it
PLAN = {
    "version": 1,
    "events": [
        pii_identify(tier={"type": "string"}),
        {
            "type": "track",
            "name": "Order Completed",
            "policy": "block",
            "properties": {"properties": {"email": {"type": "string", "format": "email", "pii": "email"}}},
        },
    ],
}
PLANTED = (EMAIL, NAME, BAD_EMAIL)


@pytest.fixture
def receiver(start_receiver, write_mappings, tmp_path: Path):
    plan = write_plan(tmp_path / "plan.yaml", PLAN)
    mappings = write_mappings({}, shipped=["profile-updates.yaml", "order-completed.yaml"])
    running = start_receiver(mappings_dir=mappings, tracking_plan=str(plan))
    auth = (running.write_key, "")
    identify = {"userId": "pii-1", "messageId": "id-1", "traits": {"email": EMAIL, "first_name": NAME, "tier": "gold"}}
    blocked = {"userId": "pii-1", "event": "Order Completed", "messageId": "held-1", "properties": {"email": BAD_EMAIL}}
    for path, body in (("/v1/identify", identify), ("/v1/track", blocked)):
        answer = httpx.post(f"{running.base_url}{path}", json=body, auth=auth, timeout=10)
        assert answer.json() == {"success": True}
    return running


PAGES = ("/logs", "/logs/data", "/customers/pii-1", "/logs/quarantine", "/overview")
IDENTIFY_TEXT = json.dumps({"type": "identify", "userId": "t-1", "traits": {"email": EMAIL, "first_name": NAME}})
RECENT = {**QUIZ_WON_FORM, "cond_field": ["type"], "cond_name": [""], "cond_op": ["is"], "cond_value": ["identify"]}


def editor_pages(client: httpx.Client, csrf: str) -> dict[str, str]:
    """What an editor is shown of event data: the tester's answers, the mapping editor's recent events."""
    tried = client.post("/tester", data={"csrf": csrf, "event": IDENTIFY_TEXT, "choice": "all", "do": "try"})
    recent = client.post("/mappings/edit", data={"csrf": csrf, **RECENT, "op": "load_events"})
    assert tried.status_code == 200 and recent.status_code == 200
    return {"tester": tried.text.split('id="results"', 1)[1], "recent": recent.text.split('id="events"', 1)[1]}


def shown(client: httpx.Client | Browser) -> dict[str, str]:
    texts = {}
    for path in PAGES:
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
        texts[path] = answer.text
    return texts


def test_an_auditor_without_pii_access_sees_every_value_masked(receiver) -> None:
    client, _ = signed_in_as(receiver, "au", "auditor", pii_access=False)
    with client:
        pages = shown(client)
        entry = client.get("/logs/data", params={"id": "id-1"}).json()["rows"][0]
    editor, csrf = signed_in_as(receiver, "au", "editor", pii_access=False)
    with editor:
        pages |= editor_pages(editor, csrf)
    for path, text in pages.items():
        for value in PLANTED:
            assert value not in text, (path, value)
    assert "gold" in pages["/customers/pii-1"]  # what is not PII stays
    for path in ("/logs", "/customers/pii-1", "/logs/quarantine", "tester"):
        assert PII_HIDDEN in pages[path], path
    assert MASK in pages["tester"] and MASK in pages["recent"]
    assert MASK in entry["request"]
    assert "Format-Mismatch" in pages["/logs/quarantine"]  # the violation is listed, its quote masked
    assert MASK in pages["/logs/quarantine"]


def test_an_auditor_granted_pii_access_and_the_admin_see_them(receiver) -> None:
    client, _ = signed_in_as(receiver, "au", "auditor", pii_access=True)
    with client:
        granted = shown(client)
    editor, csrf = signed_in_as(receiver, "au", "editor", pii_access=True)
    with editor:
        granted |= editor_pages(editor, csrf)
    assert EMAIL in granted["tester"] and EMAIL in granted["recent"]
    admin = Browser(receiver.base_url, receiver.api_key)
    try:
        by_key = shown(admin)
    finally:
        admin.close()
    for pages in (granted, by_key):
        assert EMAIL in pages["/logs/data"] and NAME in pages["/logs/data"]
        assert EMAIL in pages["/customers/pii-1"] and NAME in pages["/customers/pii-1"]
        assert BAD_EMAIL in pages["/logs/quarantine"]
        assert all(PII_HIDDEN not in text for text in pages.values())
    machine = httpx.get(f"{receiver.base_url}/v1/quarantine", headers=receiver.auth, timeout=10)
    assert BAD_EMAIL in machine.text  # the JSON API, with the API key: the admin's
