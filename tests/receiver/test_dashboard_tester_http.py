"""The dashboard, the event tester and `/metrics` over plain HTTP, against a real uvicorn receiver.

Signed out, every one of them refuses (pages redirect to the sign-in form, data answers 401
in the error shape, `/metrics` wants the API key); signed in, the figures they give are
checked against the inbound log's own JSON API and the ingest's counters.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from destination.definition.model import PROJECT_ROOT, load_definition
from destination.lint.checks import check_file, check_text
from receiver.pages.nav import PAGES
from receiver.pages.sessions import cookie_name
from receiver.routes.page_kit import CSP
from receiver.security import REDACTED

CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')
BROKEN = PROJECT_ROOT / "tests" / "fixtures" / "invalid" / "fql.yaml"


def session_cookie(receiver) -> str:
    """The receiver's own session cookie name (scoped to its host:port)."""
    return cookie_name(urlsplit(receiver.base_url).netloc)


def signed_in(receiver, client: httpx.Client) -> str:
    response = client.post("/login", data={"api_key": receiver.api_key})
    assert response.status_code == 303 and response.headers["location"] == "/"
    name = session_cookie(receiver)
    client.cookies.set(name, response.cookies[name])
    return CSRF_FIELD.search(client.get("/tester").text).group(1)


def track(receiver, *messages: dict) -> None:
    with receiver.client() as client:
        for message in messages:
            assert client.post("/v1/track", json=message, auth=(receiver.write_key, "")).status_code == 200


@pytest.mark.parametrize("path", ["/", "/?window=15m", "/tester", "/tester?example=identify.json"])
def test_signed_out_pages_go_to_the_sign_in_form(receiver_server, path):
    with receiver_server.client() as client:
        response = client.get(path)
        assert response.status_code == 303
        location = urlsplit(response.headers["location"])
        assert location.path == "/login" and parse_qs(location.query) == {"next": [path]}
        posted = client.post("/tester", data={"event": "{}", "choice": "all"})
        assert posted.status_code == 303 and urlsplit(posted.headers["location"]).path == "/login"


@pytest.mark.parametrize("path", ["/dashboard/data", "/dashboard/balances?customer_id=u", "/dashboard/balances.svg"])
def test_signed_out_data_is_refused_with_401(receiver_server, path):
    with receiver_server.client() as client:
        for cookies in ({}, {session_cookie(receiver_server): "forged"}):
            client.cookies.clear()
            client.cookies.update(cookies)
            response = client.get(path)
            assert response.status_code == 401
            assert response.json()["error"]["code"] == "UNAUTHORIZED"


@pytest.mark.parametrize("path", ["/dashboard/data?window=1h", "/dashboard/balances?customer_id=bearer-1"])
def test_the_dashboards_json_takes_the_api_key_as_bearer_like_the_other_json_apis(receiver_server, path):
    """Scripts read the dashboard's figures with the API key, no page session (a wrong key is a 401)."""
    earn = {"userId": "bearer-1", "event": "Points Earned", "properties": {"points": 5, "source": "s", "reason": "r"}}
    track(receiver_server, {**earn, "messageId": "bearer-m1"})
    with receiver_server.client() as client:
        read = client.get(path, headers=receiver_server.auth)
        wrong = client.get(path, headers={"Authorization": "Bearer not-the-key-0123456789"})
    assert read.status_code == 200 and read.headers["content-type"] == "application/json"
    body = read.json()
    if path.startswith("/dashboard/data"):
        assert body["inbound"]["window"] == "1h" and body["inbound"]["totals"]["applied"] == 1
    else:
        assert body["customer_id"] == "bearer-1" and [v for _, v in body["balances"]["default"]] == [5]
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer" in wrong.json()["error"]["message"]


def test_dashboard_data_counts_equal_the_logs(receiver_server):
    earn = {"userId": "d1", "event": "Points Earned", "properties": {"points": 5, "source": "s", "reason": "r"}}
    track(
        receiver_server,
        {**earn, "messageId": "ok-1"},
        {**earn, "messageId": "ok-1"},  # a duplicate
        {**earn, "messageId": "bad-1", "properties": {"points": "many"}},
        {"userId": "d1", "event": "Nobody Subscribes", "messageId": "none-1"},
        {"anonymousId": "anon", "event": "Points Earned", "messageId": "nomap-1", "properties": {"points": 1}},
    )
    with receiver_server.client() as client:
        signed_in(receiver_server, client)
        data = client.get("/dashboard/data", params={"window": "15m"}).json()
        items = client.get("/v1/logs", params={"limit": 500}, headers=receiver_server.auth).json()["items"]
    inbound = data["inbound"]
    assert inbound["window"] == "15m" and len(inbound["buckets"]) == 15
    totals = inbound["totals"]
    assert totals["events"] == len(items) == 4
    assert (totals["applied"], totals["refused"], totals["mapping_failed"], totals["ignored"]) == (1, 1, 1, 1)
    assert totals["duplicate"] == receiver_server.app.state.ingest.fanout.stats.duplicates == 1
    for name, count in totals.items():
        if name in inbound["outcomes"]:
            assert sum(inbound["outcomes"][name]) == count
    codes = {item["error_code"] for item in items if item["error"]}
    assert {e["code"] for e in inbound["top_errors"]} == codes == {"INVALID_POINTS", "MAPPING_FAILED"}
    assert inbound["error_rate"]["window"] == pytest.approx(2 / 4)
    timed = [item["response_time"] for item in items if item["response_time"] > 0]
    assert inbound["latency"]["requests"] == len(timed) and inbound["latency"]["overall"]["p99"] == max(timed)
    fresh = {row["source"]: row for row in data["freshness"]}
    assert fresh["segment"]["age_seconds"] is not None and fresh["webhook"]["last"] is None  # no library named
    assert {item["source"] for item in items} == {"segment"}


def test_top_error_links_open_the_log_filtered_by_code(receiver_server):
    track(receiver_server, {"userId": "d2", "event": "Points Earned", "messageId": "e-1", "properties": {"points": 0}})
    with receiver_server.client() as client:
        signed_in(receiver_server, client)
        [top] = client.get("/dashboard/data").json()["inbound"]["top_errors"]
        page = client.get(top["url"])
        api = client.get("/v1/logs", params={"error_code": top["code"]}, headers=receiver_server.auth).json()
    assert page.status_code == 200 and "e-1" in page.text
    assert [item["id"] for item in api["items"]] == ["e-1"]


def test_the_tester_explains_and_shows_the_request_without_the_key(receiver_server):
    event = (PROJECT_ROOT / "examples" / "points-earned.json").read_text()
    with receiver_server.client() as client:
        csrf = signed_in(receiver_server, client)
        loaded = client.get("/tester", params={"example": "points-earned.json"})
        page = client.post("/tester", data={"csrf": csrf, "event": event, "choice": "all", "do": "try"})
    assert "Points Earned" in loaded.text and loaded.headers["content-security-policy"] == CSP
    assert page.status_code == 200
    assert "✔ matches" in page.text and "✘ does not match" in page.text
    assert "https://api.test.antavo.com/v1/webhook/segment" in page.text
    assert receiver_server.api_key not in page.text and REDACTED in page.text
    assert receiver_server.customer("cust-1001") is None  # trying sends nothing


def test_the_tester_refuses_a_form_without_its_csrf_token(receiver_server):
    with receiver_server.client() as client:
        signed_in(receiver_server, client)
        for csrf in ("", "forged"):
            page = client.post("/tester", data={"csrf": csrf, "event": "{}", "choice": "all", "do": "send"})
            assert page.status_code == 400 and 'id="form-problem"' in page.text


def test_an_edited_mapping_shows_validates_problems_at_their_line(receiver_server):
    text = BROKEN.read_text()
    [expected] = check_file(BROKEN, load_definition())
    with receiver_server.client() as client:
        csrf = signed_in(receiver_server, client)
        page = client.post(
            "/tester", data={"csrf": csrf, "event": '{"type": "track"}', "choice": "edited", "mapping": text}
        )
    assert page.status_code == 422
    assert f'<tr class="has-problem" id="line-{expected.line}">' in page.text
    assert f'{expected.line}:{expected.column}</code> <span class="rule">fql</span>' in page.text


def test_check_text_reports_what_check_file_reports(tmp_path: Path):
    definition = load_definition()
    for path in sorted((PROJECT_ROOT / "tests" / "fixtures" / "invalid").glob("*.yaml")):
        from_file = [(p.line, p.column, p.rule, p.message) for p in check_file(path, definition)]
        from_text = [(p.line, p.column, p.rule, p.message) for p in check_text(path.read_text(), "x", definition)]
        assert from_text == from_file, path.name


def test_metrics_are_off_unless_configured(receiver_server):
    with receiver_server.client() as client:
        response = client.get("/metrics", headers=receiver_server.auth)
    assert response.status_code == 404 and response.json()["error"]["code"] == "METRICS_DISABLED"


def test_metrics_need_the_api_key_and_count_what_happened(start_receiver):
    receiver = start_receiver(metrics=True)
    earn = {"userId": "m1", "event": "Points Earned", "properties": {"points": 5, "source": "s", "reason": "r"}}
    track(receiver, {**earn, "messageId": "m-1"}, {**earn, "messageId": "m-1"})
    body = {"customer": "m2", "action": "point_add", "data": {"points": 3}, "api_key": receiver.api_key}
    with receiver.client() as client:
        for _ in range(2):
            client.post(receiver.webhook_url, json=body, headers={"Idempotency-Key": "k-1"})
        client.post(receiver.webhook_url, json={**body, "data": {"points": -1}})
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        response = client.get("/metrics", headers=receiver.auth)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert receiver.api_key not in text

    def value(sample: str) -> float:
        match = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.MULTILINE)
        assert match, sample
        return float(match.group(1))

    prefix = "antavo_receiver"
    assert value(f'{prefix}_webhook_requests_total{{code="",status="202"}}') == 3  # ingest + 2 HTTP (1 replayed)
    assert value(f'{prefix}_webhook_requests_total{{code="INVALID_POINTS",status="422"}}') == 1
    assert value(f"{prefix}_webhook_idempotent_replays_total") == 1
    assert value(f"{prefix}_ingest_dedup_hits_total") == 1
    assert value(f'{prefix}_ingest_messages_total{{outcome="delivered"}}') == 1
    assert value(f'{prefix}_http_requests_total{{method="POST",route="/v1/track",status="200"}}') == 2
    assert value(f'{prefix}_http_requests_total{{method="GET",route="/metrics",status="401"}}') == 2
    assert value(f"{prefix}_store_customers") == 2
    assert value(f"{prefix}_webhook_duration_seconds_count") == 4
    with receiver.client() as client:
        items = client.get("/v1/logs", headers=receiver.auth).json()["items"]
    for source in ("webhook", "segment"):
        newest = max(datetime.fromisoformat(item["timestamp"]) for item in items if item["source"] == source)
        stamp = value(f'{prefix}_inbound_last_event_timestamp_seconds{{source="{source}"}}')
        assert stamp == pytest.approx(newest.timestamp(), abs=1e-3)


def test_serve_prints_where_the_pages_are(serve_process):
    running = serve_process(
        "--multi-accounts",
        "--account",
        "eu",
        "--account",
        "us",
        env={"ANTAVO_API_KEY": "banner-key-0123456789", "ANTAVO_METRICS": "true"},
    )
    assert running.until(lambda base: httpx.get(f"{base}/healthz").status_code == 200)
    base = running.base_url
    metrics = httpx.get(f"{base}/metrics", headers={"Authorization": "Bearer banner-key-0123456789"})
    unsigned = {page.path: httpx.get(f"{base}{page.path}").status_code for page in PAGES}
    output = running.interrupt()
    assert "  Pages (sign in once with the API key):\n" in output
    for page in PAGES:  # every page the top bar links, the tester included, and each asks for sign-in
        assert re.search(rf"\n    {page.label}: +{re.escape(base + page.path)}\n", output), page
    assert set(unsigned.values()) == {303}
    assert "  Multi-accounts:      on: every request names one of eu, us\n" in output
    assert f"Prometheus metrics:  {base}/metrics  (Bearer API key)" in output
    assert metrics.status_code == 200 and "antavo_receiver_http_requests_total" in metrics.text
    assert "banner-key-0123456789" not in output
