"""The quarantine over HTTP: the page's Replay form is refused without the session's CSRF token or from
another site, the JSON routes want the API key, a replay answers what it did, and the quarantine's
bounds come from the settings."""

from __future__ import annotations

from pathlib import Path

import httpx
import yaml
from signed_in import Browser

from receiver.store.audit import AuditFilter

ORDER = {
    "type": "track",
    "name": "Order Completed",
    "policy": "block",
    "properties": {"required": ["order_id"], "properties": {"order_id": {"type": "string"}}},
}


def started(start_receiver, write_mappings, tmp_path: Path, **overrides):
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump({"version": 1, "events": [ORDER]}), encoding="utf-8")
    return start_receiver(
        mappings_dir=write_mappings({}, shipped=["order-completed.yaml"]), tracking_plan=str(plan), **overrides
    )


def send(receiver, message_id: str, properties: dict) -> None:
    body = {"userId": "q-1", "event": "Order Completed", "messageId": message_id, "properties": properties}
    answer = httpx.post(f"{receiver.base_url}/v1/track", json=body, auth=(receiver.write_key, ""), timeout=10)
    assert answer.json() == {"success": True}


def test_the_replay_form_needs_this_site_and_the_csrf_token(start_receiver, write_mappings, tmp_path):
    receiver = started(start_receiver, write_mappings, tmp_path)
    send(receiver, "held", {"total": 3})
    page = Browser(receiver.base_url, receiver.api_key)
    try:
        listed = page.get("/logs/quarantine")
        assert listed.status_code == 200 and 'data-message-id="held"' in listed.text
        assert "Required-Missing" in listed.text and "/properties/order_id" in listed.text
        forged = page.client.post("/logs/quarantine/replay", data={"csrf": "wrong", "message_id": "held"})
        assert forged.status_code == 403
        foreign = page.client.post(
            "/logs/quarantine/replay",
            data={"csrf": page.csrf, "message_id": "held"},
            headers={"Origin": "https://evil.example"},
        )
        assert foreign.status_code == 403
        done = page.post("/logs/quarantine/replay", {"message_id": "held"})
        assert done.status_code == 303 and "outcome=blocked" in done.headers["location"]
        missing = page.post("/logs/quarantine/replay", {"message_id": "nothing"})
        assert missing.status_code == 303 and "problem=" in missing.headers["location"]
        shown = page.get(missing.headers["location"])
        assert "No quarantined message has this ID" in shown.text
        audited = page.get("/audit", params={"action": "replay"}).text
        assert audited.count('class="audit-entry"') == 1, "the replay that found nothing changed nothing"
        assert (
            ">api key<" in audited and ">held<" in audited and "<code>outcome</code>: quarantined → blocked" in audited
        )
    finally:
        page.close()
    signed_out = httpx.get(f"{receiver.base_url}/logs/quarantine", follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/login")


def test_the_json_routes_want_the_api_key_and_the_quarantine_keeps_its_bound(start_receiver, write_mappings, tmp_path):
    receiver = started(start_receiver, write_mappings, tmp_path, limits={"quarantine_size": 2})
    for n in range(4):
        send(receiver, f"held-{n}", {"total": n})
    with receiver.client() as http:
        assert http.get("/v1/quarantine").status_code == 401
        assert http.post("/v1/quarantine/held-3/replay").status_code == 401
        kept = http.get("/v1/quarantine", headers=receiver.auth).json()
        assert kept["count"] == 2 and [i["message_id"] for i in kept["items"]] == ["held-3", "held-2"]
        assert kept["items"][0]["log_url"] == "/logs?id=held-3"
        answer = http.post("/v1/quarantine/held-3/replay", headers=receiver.auth).json()
        assert answer["outcome"] == "blocked" and answer["verdict_url"] == "/v1/messages/held-3"
        assert answer["plan"]["violations"][0]["type"] == "Required-Missing"
        gone = http.post("/v1/quarantine/held-0/replay", headers=receiver.auth)
        assert gone.status_code == 404 and gone.json()["error"]["code"] == "NOT_QUARANTINED"
    replays = receiver.call(receiver.app.state.config_state.audit(5, AuditFilter(action="replay")))
    assert [(r.entry.actor, r.entry.role, r.entry.target) for r in replays] == [("api key", "admin", "held-3")]


def test_a_drop_takes_the_message_out_undelivered_and_is_audited(start_receiver, write_mappings, tmp_path):
    receiver = started(start_receiver, write_mappings, tmp_path)
    send(receiver, "page-drop", {"total": 1})
    send(receiver, "api-drop", {"total": 2})
    page = Browser(receiver.base_url, receiver.api_key)
    try:
        assert (
            page.client.post("/logs/quarantine/drop", data={"csrf": "x", "message_id": "page-drop"}).status_code == 403
        )
        done = page.post("/logs/quarantine/drop", {"message_id": "page-drop"})
        assert done.status_code == 303 and "outcome=dropped" in done.headers["location"]
        shown = page.get(done.headers["location"]).text
        assert "page-drop was dropped" in shown and 'data-message-id="page-drop"' not in shown
        again = page.post("/logs/quarantine/drop", {"message_id": "page-drop"})
        assert "problem=" in again.headers["location"]
    finally:
        page.close()
    with receiver.client() as http:
        assert http.post("/v1/quarantine/api-drop/drop").status_code == 401
        answer = http.post("/v1/quarantine/api-drop/drop", headers=receiver.auth)
        assert answer.status_code == 200 and answer.json() == {"message_id": "api-drop", "dropped": True}
        assert http.post("/v1/quarantine/api-drop/drop", headers=receiver.auth).status_code == 404
        assert http.get("/v1/quarantine", headers=receiver.auth).json()["count"] == 0
        assert http.get("/v1/logs", params={"id": "api-drop"}, headers=receiver.auth).json()["items"][0]
    drops = receiver.call(receiver.app.state.config_state.audit(5, AuditFilter(action="quarantine.")))
    assert [(r.entry.target, r.entry.actor) for r in drops] == [("api-drop", "api key"), ("page-drop", "api key")]
    assert drops[0].entry.changes[0].field == "violations" and "not delivered" in drops[0].entry.what
