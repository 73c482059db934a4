"""PII on the pages over HTTP: a user without PII access sees the plan's `pii` values masked on the
logs (page and data), the customer page and the quarantine, even where a violation quotes them; a user
granted PII access and the API key's admin see them in clear. The raw answer is searched for the value."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import yaml
from signed_in import Browser

from receiver.pages.pii import MASK, PII_HIDDEN
from receiver.pages.sessions import cookie_name

EMAIL = "planted.secret@example.com"
NAME = "Plantedfirstname"
BAD_EMAIL = "quarantined-secret-value"  # not an email: the block's violation quotes it
PLAN = {
    "version": 1,
    "events": [
        {
            "type": "identify",
            "traits": {
                "properties": {
                    "email": {"type": "string", "pii": "email"},
                    "first_name": {"type": "string", "pii": "name"},
                    "tier": {"type": "string"},
                }
            },
        },
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
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump(PLAN), encoding="utf-8")
    mappings = write_mappings({}, shipped=["profile-updates.yaml", "order-completed.yaml"])
    running = start_receiver(mappings_dir=mappings, tracking_plan=str(plan))
    auth = (running.write_key, "")
    identify = {"userId": "pii-1", "messageId": "id-1", "traits": {"email": EMAIL, "first_name": NAME, "tier": "gold"}}
    blocked = {"userId": "pii-1", "event": "Order Completed", "messageId": "held-1", "properties": {"email": BAD_EMAIL}}
    for path, body in (("/v1/identify", identify), ("/v1/track", blocked)):
        answer = httpx.post(f"{running.base_url}{path}", json=body, auth=auth, timeout=10)
        assert answer.json() == {"success": True}
    return running


def as_user(receiver, *, pii_access: bool) -> httpx.Client:
    """A client carrying a session planted for the auditor `au`, with or without PII access."""
    sessions = receiver.app.state.sessions
    token, _ = receiver.call(sessions.create(user="au", role="auditor", pii_access=pii_access))
    name = cookie_name(urlsplit(receiver.base_url).netloc)
    return receiver.client(headers={"Cookie": f"{name}={token}"})


PAGES = ("/logs", "/logs/data", "/customers/pii-1", "/logs/quarantine")


def shown(client: httpx.Client | Browser) -> dict[str, str]:
    texts = {}
    for path in PAGES:
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
        texts[path] = answer.text
    return texts


def test_an_auditor_without_pii_access_sees_every_value_masked(receiver) -> None:
    with as_user(receiver, pii_access=False) as client:
        pages = shown(client)
        entry = client.get("/logs/data", params={"id": "id-1"}).json()["rows"][0]
    for path, text in pages.items():
        for value in PLANTED:
            assert value not in text, (path, value)
    assert "gold" in pages["/customers/pii-1"]  # what is not PII stays
    for path in ("/logs", "/customers/pii-1", "/logs/quarantine"):
        assert PII_HIDDEN in pages[path], path
    assert MASK in entry["request"]
    assert "Format-Mismatch" in pages["/logs/quarantine"]  # the violation is listed, its quote masked
    assert MASK in pages["/logs/quarantine"]


def test_an_auditor_granted_pii_access_and_the_admin_see_them(receiver) -> None:
    with as_user(receiver, pii_access=True) as client:
        granted = shown(client)
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
