"""The receiver's pages over plain HTTP: sign-in, sessions, CSRF, escaping, headers, filters.

Against a real uvicorn receiver (the `receiver_server` fixture) with httpx, plus the pure
parts (`views`, `sessions`, the log filter) on their own, with property tests where the
inputs are open-ended. What the browser does with the pages is in `test_pages_browser.py`.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, quote, urlsplit

from hypothesis import given
from hypothesis import strategies as st

from receiver.pages.sessions import Session, SessionStore, cookie_name
from receiver.pages.views import customer_url, history_window, logs_url, parse_log_form, safe_next
from receiver.routes.page_kit import CSP
from receiver.store.entries import LogFilter
from receiver.store.limits import StoreLimits
from receiver.store.memory.ring import InboundLog
from receiver.store.memory.store import MemoryStore

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(2)>'
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')
IDENTS = re.compile(r'class="mono ident">([^<]*)<')


class _Tags(HTMLParser):
    """Every start tag with its attributes, to look for markup that should not be there."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def send(receiver, *events: dict) -> None:
    with receiver.client() as client:
        for event in events:
            client.post(receiver.webhook_url, json={"api_key": receiver.api_key, **event})


def login(receiver, client, next_path: str = "/logs") -> str:
    response = client.post("/login", data={"api_key": receiver.api_key, "next": next_path})
    assert response.status_code == 303, response.text
    return cookie_pair(receiver, response)


def cookie(receiver) -> str:
    """The receiver's own session cookie name (scoped to its host:port)."""
    return cookie_name(urlsplit(receiver.base_url).netloc)


def cookie_pair(receiver, response) -> str:
    """`name=token` of the session a login answer set."""
    return f"{cookie(receiver)}={response.cookies[cookie(receiver)]}"


def session_headers(pair: str) -> dict[str, str]:
    return {"Cookie": pair}


def test_pages_redirect_to_login_keeping_the_url(receiver_server):
    with receiver_server.client() as client:
        for path in ("/logs", "/logs?status=422&customer_id=a%20b", "/customers/u1", "/customers/u1?page=2"):
            response = client.get(path)
            assert response.status_code == 303, path
            location = urlsplit(response.headers["location"])
            assert location.path == "/login"
            assert parse_qs(location.query) == {"next": [path]}


def test_the_refresh_data_answers_401_without_a_session(receiver_server):
    with receiver_server.client() as client:
        response = client.get("/logs/data")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "UNAUTHORIZED"
        assert client.get("/logs/data", headers=session_headers("forged")).status_code == 401


def test_a_wrong_key_reshows_the_form_with_401(receiver_server):
    key = receiver_server.api_key
    with receiver_server.client() as client:
        for attempt in ("", "wrong", key + "x", key.upper(), f" {key}", key[:-1]):
            response = client.post("/login", data={"api_key": attempt, "next": '/logs?x="><b>'})
            assert response.status_code == 401, attempt
            assert "That API key is not valid." in response.text
            assert "set-cookie" not in response.headers
            assert 'name="next" value="/logs?x=&#34;&gt;&lt;b&gt;"' in response.text
            assert response.headers["content-security-policy"] == CSP


def test_login_sets_an_httponly_session_cookie_that_is_not_the_key(receiver_server):
    with receiver_server.client() as client:
        response = client.post("/login", data={"api_key": receiver_server.api_key, "next": "/customers/u1?page=2"})
        assert response.status_code == 303
        assert response.headers["location"] == "/customers/u1?page=2"
        cookie = response.headers["set-cookie"]
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
        assert {"httponly", "path", "samesite", "max-age"} <= attributes and "secure" not in attributes
        assert "Path=/;" in cookie + ";" and "SameSite=lax" in cookie
        token = cookie_pair(receiver_server, response)
        assert receiver_server.api_key not in cookie and len(token) >= 40
        page = client.get("/logs", headers=session_headers(token))
        assert page.status_code == 200 and "Segment inbound log" in page.text
        renewed = login(receiver_server, client)  # the jar sends the old cookie: a new login replaces it
        assert renewed != token
        assert client.get("/logs", headers=session_headers(token)).status_code == 303
        assert client.get("/logs", headers=session_headers(renewed)).status_code == 200


def test_the_cookie_is_secure_over_https(receiver_server):
    with receiver_server.client() as client:
        response = client.post(
            "/login", data={"api_key": receiver_server.api_key}, headers={"X-Forwarded-Proto": "https"}
        )
    assert response.status_code == 303
    assert "secure" in response.headers["set-cookie"].lower().split("; ")


def test_login_only_returns_to_local_paths(receiver_server):
    foreign = ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"]
    foreign.append("/\t/evil.example")
    with receiver_server.client() as client:
        for target in [*foreign, "logs", ""]:
            response = client.post("/login", data={"api_key": receiver_server.api_key, "next": target})
            assert response.headers["location"] == "/", target  # the dashboard
            token = cookie_pair(receiver_server, response)
            again = client.get("/login", params={"next": target}, headers=session_headers(token))
            assert again.status_code == 303 and again.headers["location"] == "/"


@given(st.text())
def test_safe_next_never_leaves_the_site(target):
    chosen = safe_next(target)
    parts = urlsplit(chosen)
    assert chosen.startswith("/") and not chosen.startswith("//") and "\\" not in chosen
    assert not parts.scheme and not parts.netloc
    assert not any(ord(char) < 0x20 for char in chosen)
    assert chosen in (target, "/")  # the dashboard when the target is not a local path


def test_cross_site_sign_in_is_refused(receiver_server):
    with receiver_server.client() as client:
        for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}):
            response = client.post("/login", data={"api_key": receiver_server.api_key}, headers=headers)
            assert response.status_code == 403 and "set-cookie" not in response.headers
        same_site = {"Origin": receiver_server.base_url, "Sec-Fetch-Site": "same-origin"}
        assert client.post("/login", data={"api_key": receiver_server.api_key}, headers=same_site).status_code == 303


def test_logout_needs_the_session_csrf_token(receiver_server):
    with receiver_server.client() as client:
        token = login(receiver_server, client)
        headers = session_headers(token)
        csrf = CSRF_FIELD.search(client.get("/logs", headers=headers).text).group(1)
        assert client.post("/logout", data={"csrf": "guess"}, headers=headers).status_code == 403
        assert client.post("/logout", data={}, headers=headers).status_code == 403
        assert client.get("/logs", headers=headers).status_code == 200
        response = client.post("/logout", data={"csrf": csrf}, headers=headers)
        assert response.status_code == 303 and response.headers["location"] == "/login"
        cleared = response.headers["set-cookie"]
        assert cleared.startswith(f'{cookie(receiver_server)}="";') and "Max-Age=0" in cleared
        assert client.get("/logs", headers=headers).status_code == 303
        assert client.post("/logout", data={"csrf": csrf}, headers=headers).status_code == 303


def _seed_hostile(receiver) -> None:
    send(
        receiver,
        {"customer": IMG, "action": "point_add", "data": {"points": 3, "note": SCRIPT}},
        {"customer": IMG, "action": "profile", "data": {"first_name": SCRIPT, SCRIPT: IMG}},
        {"customer": "u1", "action": SCRIPT, "data": {"points": 1}},
    )


def _assert_inert(html: str) -> None:
    """Event data left no tag, attribute or inline script/style in the page."""
    tags = _Tags(html).tags
    assert [attrs.get("src") for tag, attrs in tags if tag == "script"] in ([], ["/static/logs.js"])
    # The one image a page may have is the customer's balance chart, drawn by this server.
    images = [attrs for tag, attrs in tags if tag == "img"]
    assert all((attrs.get("src") or "").startswith("/dashboard/balances.svg?customer_id=") for attrs in images)
    assert not any(name.startswith("on") or name == "style" for _, attrs in tags for name in attrs)
    assert SCRIPT not in html and "<img src=x" not in html


def test_event_data_is_escaped_and_pages_carry_a_csp(receiver_server):
    _seed_hostile(receiver_server)
    assert "script-src 'self'" in CSP and "unsafe-inline" not in CSP
    pages = [("/logs", 200), (f"/logs?customer_id={quote(IMG)}", 200), (customer_url(IMG), 200)]
    pages.append((customer_url(SCRIPT), 404))
    with receiver_server.client() as client:
        headers = session_headers(login(receiver_server, client))
        for path, status in pages:
            response = client.get(path, headers=headers)
            assert response.status_code == status, path
            assert response.headers["content-security-policy"] == CSP
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["cache-control"] == "no-store"
            _assert_inert(response.text)
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
        assert client.get("/login").headers["content-security-policy"] == CSP


def test_customer_links_and_404_page(receiver_server):
    send(receiver_server, {"customer": "a/b c", "action": "point_add", "data": {"points": 4}})
    with receiver_server.client() as client:
        headers = session_headers(login(receiver_server, client))
        page = client.get("/logs", headers=headers).text
        assert f'href="{customer_url("a/b c")}"' in page
        found = client.get(customer_url("a/b c"), headers=headers)
        for page_number in ("0", "-1", "x", "9" * 5000, "999"):
            paged = client.get(customer_url("a/b c"), params={"page": page_number}, headers=headers)
            assert paged.status_code == 200 and "Page 1 of 1" in paged.text
        missing = client.get("/customers/nobody", headers=headers)
    assert found.status_code == 200 and "a/b c" in found.text
    assert missing.status_code == 404 and "Customer not found" in missing.text


FILTERS = [
    {},
    {"status": "422"},
    {"customer_id": "u1"},
    {"customer_id": "u1", "error": "true"},
    {"event_type": "identify"},
    {"error": "false", "limit": "25"},
    {"status": "401", "event_type": "track"},
]


def test_the_page_filters_exactly_as_the_api(receiver_server):
    events = [{"customer": f"u{n % 3}", "action": "point_add", "data": {"points": n % 4}} for n in range(40)]
    events += [{"customer": "u1", "action": "point_subtract", "data": {"points": 10_000}}]
    events += [{"customer": "u2", "action": "profile", "data": {"first_name": "B"}}, {"customer": "u1"}]
    send(receiver_server, *events)
    with receiver_server.client() as client:
        client.post(receiver_server.webhook_url, json={"customer": "u1", "action": "opt_in", "api_key": "x"})
        headers = session_headers(login(receiver_server, client))
        for params in FILTERS:
            api = client.get("/v1/logs", params={**params, "limit": 500}, headers=receiver_server.auth).json()["items"]
            data = client.get("/logs/data", params=params, headers=headers).json()
            html = client.get("/logs", params=params, headers=headers).text
            limit = int(params.get("limit", 50))
            assert [row["id"] for row in data["rows"]] == [item["id"] for item in api][:limit], params
            assert IDENTS.findall(html) == [row["id"] for row in data["rows"]]
            assert data["total"] == len(api)
            assert data["errors"] == sum(1 for item in api if item["error"])
            assert f'id="error-count" data-count="{data["errors"]}"' in html


def test_pages_go_back_in_time_with_a_cursor(receiver_server):
    send(receiver_server, *({"customer": "u1", "action": "point_add", "data": {"points": 1}} for _ in range(30)))
    with receiver_server.client() as client:
        headers = session_headers(login(receiver_server, client))
        first = client.get("/logs/data", params={"limit": 25}, headers=headers).json()
        assert first["newest_url"] is None and "limit=25" in first["older_url"]
        second = client.get(first["older_url"].replace("/logs", "/logs/data", 1), headers=headers).json()
        everything = client.get("/v1/logs", headers=receiver_server.auth).json()["items"]
    assert second["older_url"] is None and second["newest_url"] == "/logs?limit=25"
    assert [row["id"] for row in first["rows"] + second["rows"]] == [item["id"] for item in everything]


def test_bad_filter_values_are_reported_and_ignored(receiver_server):
    send(receiver_server, {"customer": "u1", "action": "opt_in"})
    with receiver_server.client() as client:
        headers = session_headers(login(receiver_server, client))
        response = client.get("/logs?status=abc&since=yesterday&min_time=-1&limit=7", headers=headers)
    assert response.status_code == 200
    for message in ("Status code must be", "Timestamp from must be", "Response time must be", "Per page must be"):
        assert message in response.text
    assert len(IDENTS.findall(response.text)) == 1


_PARAM_TEXT = st.one_of(
    st.text(max_size=30),
    st.from_regex(r"[0-9]{1,4}", fullmatch=True),
    st.sampled_from(["true", "false", "422", "2026-01-01T10:00", "2026-01-01T10:00:30+02:00", "0.5", "9" * 5000]),
)
_PARAMS = st.dictionaries(
    st.sampled_from(["id", "customer_id", "event_type", "status", "error", "since", "until", "min_time", "limit"]),
    _PARAM_TEXT,
)


@given(_PARAMS)
def test_any_query_string_reads_and_a_shared_link_reproduces_the_view(params):
    query = parse_log_form(params)
    link = parse_qs(urlsplit(logs_url(query.values)).query, keep_blank_values=True)
    again = parse_log_form({name: values[0] for name, values in link.items()})
    assert again.where == query.where and again.limit == query.limit and again.problems == ()
    assert len(query.problems) <= len(params)


def test_time_and_response_time_filters():
    log = InboundLog(10)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(6):
        log.add(
            id=f"r{n}", timestamp=start + timedelta(minutes=n), customer_id="u", event_type="track", status=202,
            response_time=n / 10, error=None, error_code=None, request={}, response={},
        )  # fmt: skip
    query = parse_log_form({"since": "2026-01-01T00:01", "until": "2026-01-01T00:04:00Z", "min_time": "0.2"})
    assert query.problems == ()
    assert dict(query.values) == {"since": "2026-01-01T00:01", "until": "2026-01-01T00:04", "min_time": "0.2"}
    assert [entry.id for entry in log.query(query.where, limit=10).entries] == ["r3", "r2"]
    assert log.count(query.where) == 2


_entries = st.lists(
    st.tuples(st.sampled_from(["a", "b", None]), st.sampled_from([202, 401, 422]), st.integers(0, 5)), max_size=30
)
_filters = st.builds(
    LogFilter,
    customer_id=st.sampled_from(["a", "b", None]),
    status=st.sampled_from([202, 422, None]),
    error=st.sampled_from([True, False, None]),
    min_response_time=st.sampled_from([None, 0.0, 0.3]),
)


@given(_entries, _filters, st.integers(1, 8))
def test_count_agrees_with_paging_through_the_log(entries, where, limit):
    log = InboundLog(20)
    for n, (customer, status, tenths) in enumerate(entries):
        log.add(
            id=f"r{n}", timestamp=datetime(2026, 1, 1, tzinfo=UTC), customer_id=customer, event_type="track",
            status=status, response_time=tenths / 10, error="x" if status >= 400 else None, error_code=None,
            request={}, response={},
        )  # fmt: skip
    seen, cursor = [], None
    while True:
        page = log.query(where, limit=limit, cursor=cursor)
        seen += page.entries
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert all(where(entry) for entry in seen)
    assert log.count(where) == len(seen) == len({entry.seq for entry in seen})


@given(st.integers(0, 200), st.integers(1, 30))
def test_history_pages_cover_every_event_once_newest_first(total, per_page):
    covered: list[int] = []
    page = 1
    while True:
        offset, limit = history_window(total, page, per_page)
        if not limit:
            break
        covered += reversed(range(offset, offset + limit))
        page += 1
    assert covered == list(reversed(range(total)))


def test_sessions_expire_are_bounded_and_revocable():
    now = [0.0]
    store = MemoryStore(StoreLimits(max_sessions=3, clock=lambda: now[0]))
    sessions = SessionStore(store, ttl_seconds=60, clock=lambda: now[0])

    def get(token: str | None) -> Session | None:
        return asyncio.run(sessions.get(token))

    tokens = [asyncio.run(sessions.create())[0] for _ in range(4)]
    assert get(tokens[0]) is None and all(get(token) for token in tokens[1:])  # the oldest made room
    session = get(tokens[1])
    assert session is not None
    assert session.csrf_matches(session.csrf) and not session.csrf_matches("") and not session.csrf_matches(None)
    asyncio.run(sessions.revoke(tokens[1]))
    assert get(tokens[1]) is None
    now[0] = 59.9
    assert get(tokens[2]) is not None
    now[0] = 60.0
    assert get(tokens[2]) is None
    assert get("") is None and get(None) is None
