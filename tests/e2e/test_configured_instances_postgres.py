"""Two `serve` processes on one PostgreSQL run one configuration: what the pages save on A, B uses unrestarted.

A message ingested by B is offered by A's "Load event from source"; a mapping saved on A's Mappings page
is applied by B's next `/v1/batch`, and toggled off on A, ignored by B's next one; the Customer ID mapping
set on A makes B's and A's webhooks write to one customer for an external ID; a new outbound write key
saved on A is on B's next batch to (a stub of) Segment, A stopped so only B can send it.
"""

from __future__ import annotations

import html
import re
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from mapping_forms import QUIZ_WON_FORM
from signed_in import Browser

from receiver.ingest.recent import FLUSH_SECONDS
from receiver.live.settings import REFRESH_SECONDS

API_KEY = "instances-api-key-0123456789"
WRITE_KEY = "instances-write-key-0123456789"
OLD_KEY, NEW_KEY = "old-outbound-key-0000", "new-outbound-key-9999"
QUIZ = QUIZ_WON_FORM


def _batch(base: str, *messages: dict[str, Any]) -> None:
    batch = [{"type": "track", "messageId": str(uuid.uuid4()), **m} for m in messages]
    answer = httpx.post(f"{base}/v1/batch", json={"batch": batch}, auth=(WRITE_KEY, ""), timeout=10)
    assert answer.status_code == 200, answer.text


def _webhook(base: str, customer: str, points: int) -> None:
    body = {"api_key": API_KEY, "customer": customer, "action": "point_add", "data": {"points": points}}
    answer = httpx.post(f"{base}/v1/webhook/segment", json=body, timeout=10)
    assert answer.status_code == 202, answer.text


def _customer(base: str, customer: str) -> dict[str, Any]:
    answer = httpx.get(f"{base}/v1/customers/{customer}", headers={"Authorization": f"Bearer {API_KEY}"}, timeout=10)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _logged(base: str, message_id: str) -> str:
    """What the receiver's log says it did with a Tracking API message."""
    answer = httpx.get(f"{base}/v1/logs", params={"id": message_id}, headers={"Authorization": f"Bearer {API_KEY}"})
    return str(answer.json()["items"][0]["response"]["status"])


def _healthy(base: str) -> bool:
    return httpx.get(f"{base}/healthz", timeout=1).status_code == 200


def _offered(page: str) -> list[str]:
    """The messageIds of the events a setup page offers after "Load event from source"."""
    return re.findall(r'"messageId": "([^"]+)"', html.unescape(page))


def _after_refresh() -> None:
    """An instance re-reads saved settings at most `REFRESH_SECONDS` after another one saved them."""
    time.sleep(REFRESH_SECONDS + 0.2)


def _settings_file(tmp_path: Path, mappings: Path, stub_url: str) -> Path:
    path = tmp_path / "receiver.yaml"
    path.write_text(
        f"mappings_dir: {mappings}\noutbound:\n  write_key: {OLD_KEY}\n  base_url: {stub_url}\n  events: [point_add]\n",
        encoding="utf-8",
    )
    return path


def test_two_instances_on_one_postgresql_share_what_the_pages_configure(
    serve_process, postgres_url, segment_stub, write_mappings, tmp_path
):
    settings = _settings_file(tmp_path, write_mappings({}, shipped=["points-earned.yaml"]), segment_stub.url)
    options = ("--config", str(settings), "--store", postgres_url(), "--log-level", "warning")
    env = {"ANTAVO_API_KEY": API_KEY, "ANTAVO_WRITE_KEY": WRITE_KEY}
    a, b = serve_process(*options, env=env), serve_process(*options, env=env)
    for server in (a, b):
        assert server.until(_healthy, timeout=30), server.interrupt()
    on_a = Browser(a.base_url, API_KEY)

    # "Load event from source" on A offers what B ingested (B writes it within FLUSH_SECONDS).
    _batch(b.base_url, {"userId": "q1", "event": "Quiz Won", "messageId": "from-b", "properties": {"points": 3}})
    _batch(b.base_url, {"userId": "q1", "event": "Other", "messageId": "other-b"})
    time.sleep(FLUSH_SECONDS + 0.3)
    offered = _offered(on_a.post("/mappings/edit", {**QUIZ, "op": "load_events"}).text)
    assert offered == ["from-b"]
    assert _logged(b.base_url, "from-b") == "ignored"  # no mapping for it yet

    # A mapping saved on A is used by B's next call; toggled off on A, B ignores the next one.
    assert on_a.post("/mappings/edit", {**QUIZ, "op": "save"}).status_code == 303
    _batch(b.base_url, {"userId": "q1", "event": "Quiz Won", "properties": {"points": 3}})
    assert _customer(b.base_url, "q1")["balances"] == {"default": 3}
    assert on_a.post("/mappings/quiz-won-point-add/status", {}).status_code == 303
    _batch(b.base_url, {"userId": "q1", "event": "Quiz Won", "messageId": "while-off", "properties": {"points": 3}})
    assert _customer(b.base_url, "q1")["balances"] == {"default": 3}
    assert _logged(b.base_url, "while-off") == "ignored"

    # The Customer ID mapping set on A: one customer for an external ID, whichever instance's webhook.
    saved = on_a.post("/settings/customer-id-mapping", {"outbound__user_id_attribute": "crm_id"})
    assert saved.status_code == 303, saved.text
    _after_refresh()
    _webhook(b.base_url, "crm-1", 2)
    _webhook(a.base_url, "crm-1", 5)
    on_b, seen_on_a = _customer(b.base_url, "crm-1"), _customer(a.base_url, "crm-1")
    assert on_b["id"] == seen_on_a["id"] != "crm-1" and on_b["id"].startswith("cus_")
    assert on_b["balances"] == {"default": 7} and on_b["event_count"] == 2
    assert on_b["attributes"]["crm_id"] == "crm-1"

    # A new outbound write key saved on A: B's next batch carries it (A stopped first, so only B sends).
    before = segment_stub.wait_for(3)
    assert {m["userId"] for m in before} == {"q1", "crm-1"}
    assert {call.authorization for call in segment_stub.calls} == {httpx.BasicAuth(OLD_KEY, "")._auth_header}
    form = {"outbound__write_key": NEW_KEY, "outbound__region": "us"}
    assert on_a.post("/settings/outbound-settings", form).status_code == 303
    on_a.close()
    a.interrupt()
    _after_refresh()
    _webhook(b.base_url, "crm-1", 1)
    after = segment_stub.wait_for(4)
    assert after[-1]["userId"] == "crm-1" and after[-1]["properties"]["points"] == 1
    assert segment_stub.calls[-1].authorization == httpx.BasicAuth(NEW_KEY, "")._auth_header
