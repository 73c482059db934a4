"""The outbound-log page: the inbound log's page code and template, showing the outbound log."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from receiver.pages.sessions import cookie_name
from receiver.pages.views import OUTBOUND_LOGS_PATH, logs_url, parse_log_form, status_class
from receiver.routes.page_kit import CSP

WRITE_KEY = "wk-pages-8d2e4f6a1c"
IDENTS = re.compile(r'class="mono ident">([^<]*)<')
SCRIPT = "<script>alert(1)</script>"


def login(receiver: Any, client: Any, next_path: str) -> dict[str, str]:
    response = client.post("/login", data={"api_key": receiver.api_key, "next": next_path})
    assert response.status_code == 303, response.text
    name = cookie_name(urlsplit(receiver.base_url).netloc)
    return {"Cookie": f"{name}={response.cookies[name]}"}


def test_the_outbound_page_shows_the_outbound_log_like_the_api(start_receiver, segment_stub):
    settings = {
        "write_key": WRITE_KEY,
        "base_url": segment_stub.url,
        "events": ["point_add"],
        "flush_timeout_seconds": 2.0,
    }
    receiver = start_receiver(outbound=settings, max_body_bytes=128 * 1024)
    with receiver.client() as client:
        assert client.get(OUTBOUND_LOGS_PATH).status_code == 303
        assert client.get(OUTBOUND_LOGS_PATH + "/data").status_code == 401
        for n in range(4):
            body = {"customer": "u1", "action": "point_add", "api_key": receiver.api_key}
            # Every other message is too large for Segment: refused here, status 0 in the outbound log.
            data = {"points": n + 1, "note": SCRIPT, **({"pad": "x" * 40_000} if n % 2 else {})}
            assert client.post(receiver.webhook_url, json={**body, "data": data}).status_code == 202
        deadline = time.monotonic() + 10
        while len(client.get("/v1/outbound-logs", headers=receiver.auth).json()["items"]) < 4:
            assert time.monotonic() < deadline, "the outbound log never filled"
            time.sleep(0.02)
        api = client.get("/v1/outbound-logs", headers=receiver.auth).json()["items"]
        cookie = login(receiver, client, OUTBOUND_LOGS_PATH)
        page = client.get(OUTBOUND_LOGS_PATH, headers=cookie)
        assert page.status_code == 200 and page.headers["content-security-policy"] == CSP
        html = page.text
        assert "Segment outbound log" in html and 'action="/outbound-logs"' in html
        assert 'href="/outbound-logs" aria-current="page"' in html
        assert IDENTS.findall(html) == [item["id"] for item in api]
        assert SCRIPT not in html and WRITE_KEY not in html

        refused = client.get(OUTBOUND_LOGS_PATH, params={"status": "0"}, headers=cookie).text
        expected = [item["id"] for item in api if item["status"] == 0]
        assert expected and IDENTS.findall(refused) == expected
        assert "Status code must be" not in refused
        data = client.get(OUTBOUND_LOGS_PATH + "/data", params={"error": "false"}, headers=cookie).json()
        assert [row["id"] for row in data["rows"]] == [item["id"] for item in api if item["error"] is None]
        assert {row["status_class"] for row in data["rows"]} == {"ok"}

        inbound = client.get("/logs", headers=cookie).text
        assert "Segment inbound log" in inbound and 'href="/logs" aria-current="page"' in inbound


def test_the_outbound_view_accepts_status_0_and_keeps_its_own_path():
    query = parse_log_form({"status": "0", "customer_id": "u1"}, min_status=0)
    assert query.where.status == 0 and not query.problems
    assert parse_log_form({"status": "0"}).problems, "the inbound log's statuses start at 100"
    link = urlsplit(logs_url(query.values, 7, OUTBOUND_LOGS_PATH))
    assert link.path == OUTBOUND_LOGS_PATH and parse_qs(link.query)["cursor"] == ["7"]
    assert status_class(0) == "none" and status_class(200) == "ok"
