"""The receiver's pages in a real headless Chromium, against a real uvicorn receiver.

Data goes in through the webhook, as the destination sends it; what the pages show is
checked against the JSON inspection API. The browser is Debian's `chromium` driven by
Playwright (no browser download). Every request the browser makes must stay on the
receiver's loopback origin, no script error or CSP violation may show in the console, and
no dialog may open: event data is attacker-controlled and must only ever show as text.
Screenshots of each page are kept in `tests/artifacts/` (git-ignored).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Dialog, Page, expect, sync_playwright

from receiver.pages.views import HISTORY_PAGE_SIZE
from receiver.security import REDACTED

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(2)>'
EXPECT_TIMEOUT_MS = 5000
HTTP_STATUS_MESSAGE = "Failed to load resource: the server responded with a status of"


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    """One Chromium per module, on a fresh profile; each test gets a clean page and no cookies."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=LAUNCH_ARGS,
            viewport={"width": 1440, "height": 900},
        )
        context.set_default_timeout(EXPECT_TIMEOUT_MS)
        yield context
        context.close()


@dataclass
class Tab:
    """A page plus everything it did that a test must check did not happen."""

    page: Page
    base_url: str
    dialogs: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    data_requests: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base_url + path

    def login(self, api_key: str) -> None:
        self.page.fill("#api_key", api_key)
        self.page.click("button[type=submit]")

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def assert_clean(self) -> None:
        assert self.dialogs == [], "a dialog opened: event data ran as code"
        assert self.console_errors == []
        assert self.foreign_requests == []


@pytest.fixture
def tab(browser: BrowserContext, receiver_server) -> Iterator[Tab]:
    browser.clear_cookies()
    page = browser.new_page()
    tab = Tab(page, receiver_server.base_url)

    def on_dialog(dialog: Dialog) -> None:
        tab.dialogs.append(dialog.message)
        dialog.dismiss()

    def on_console(message: ConsoleMessage) -> None:
        # A page answered 401 or 404 on purpose logs "Failed to load resource"; the tests check those statuses.
        if message.type in ("error", "warning") and not message.text.startswith(HTTP_STATUS_MESSAGE):
            tab.console_errors.append(message.text)

    def on_request(request: Any) -> None:
        if not request.url.startswith(tab.base_url + "/"):
            tab.foreign_requests.append(request.url)
        elif urlsplit(request.url).path == "/logs/data":
            tab.data_requests.append(request.url)

    page.on("dialog", on_dialog)
    page.on("console", on_console)
    page.on("pageerror", lambda error: tab.console_errors.append(str(error)))
    page.on("request", on_request)
    yield tab
    page.close()
    tab.assert_clean()


def send(receiver, *events: dict[str, Any]) -> None:
    with receiver.client() as client:
        for event in events:
            body = {"api_key": receiver.api_key, **event}
            client.post(receiver.webhook_url, json=body)


def api_log(receiver, **params: Any) -> list[dict[str, Any]]:
    """The inbound log as the JSON API shows it: the reference for what the page must show."""
    with receiver.client() as client:
        response = client.get("/v1/logs", params={"limit": 500, **params}, headers=receiver.auth)
    response.raise_for_status()
    return response.json()["items"]


def identifiers(page: Page) -> list[str]:
    return page.locator("#log-rows tr.entry td.ident").all_inner_texts()


ROW_SHAPE = """() => Array.from(document.querySelectorAll("#log-rows tr")).map((tr) => ({
  attrs: [tr.className, tr.hidden, tr.dataset.seq, tr.getAttribute("aria-expanded"), tr.getAttribute("tabindex")],
  cells: Array.from(tr.children).map((td) => ({
    attrs: [td.className, td.colSpan],
    text: td.textContent.replace(/\\s+/g, ""),
    tags: Array.from(td.querySelectorAll("*")).map((node) =>
      [node.tagName, node.className, node.getAttribute("href"), node.getAttribute("datetime")].join("|")),
  })),
}))"""


def refresh_renders_the_same(page: Page) -> None:
    """The rows the script builds from JSON are the rows the server rendered, open ones still open."""
    before = page.evaluate(ROW_SHAPE)
    page.click("#refresh-now")
    expect(page.locator("#updated")).to_contain_text("Updated")
    assert page.evaluate(ROW_SHAPE) == before


def test_login_filter_and_expand(tab: Tab, receiver_server) -> None:
    send(
        receiver_server,
        {"customer": "u1", "action": "opt_in"},
        {"customer": "u1", "action": "point_add", "data": {"points": 50}},
        {"customer": "u1", "action": "point_subtract", "data": {"points": 500}},
        {"customer": "u2", "action": "point_add", "data": {"points": 5}},
        {"customer": "u2", "action": "point_add", "data": {"points": "many"}},
        {"customer": "u2", "action": "profile", "data": {"first_name": "Bea"}},
    )
    with receiver_server.client() as client:
        client.post(receiver_server.webhook_url, json={"customer": "u2", "action": "opt_in", "api_key": "wrong"})
    page = tab.page

    page.goto(tab.url("/logs?status=422"))
    assert urlsplit(page.url).path == "/login"
    assert parse_qs(urlsplit(page.url).query) == {"next": ["/logs?status=422"]}
    tab.login("not-the-key")
    expect(page.locator("#login-error")).to_have_text("That API key is not valid.")
    tab.shot("login")
    tab.login(receiver_server.api_key)
    expect(page).to_have_url(tab.url("/logs?status=422"))

    refused = api_log(receiver_server, status=422)
    assert len(refused) == 2
    assert identifiers(page) == [item["id"] for item in refused]
    assert set(page.locator("#log-rows .status").all_inner_texts()) == {"422"}
    expect(page.locator("#error-count")).to_have_text("2")

    page.fill("#f-status", "")
    page.fill("#f-customer", "u1")
    page.click("text=Apply filters")
    page.wait_for_url("**/logs?customer_id=u1")
    expected = api_log(receiver_server, customer_id="u1")
    assert identifiers(page) == [item["id"] for item in expected]
    assert set(page.locator("#log-rows td.customer").all_inner_texts()) == {"u1"}
    assert page.locator("#error-count").inner_text() == str(sum(1 for item in expected if item["error"]))
    assert page.locator("#total").inner_text() == str(len(expected))

    shared = page.context.new_page()
    shared.goto(page.url)
    assert identifiers(shared) == identifiers(page)
    assert shared.locator("#f-customer").input_value() == "u1"
    shared.close()

    # The row whose status cell says 422 (a timestamp or an ID may contain "422" too).
    row = page.locator("#log-rows tr.entry").filter(has=page.locator("span.status", has_text=re.compile(r"^422$")))
    detail = page.locator(f'#log-rows tr.detail[data-seq="{row.get_attribute("data-seq")}"]')
    expect(detail).to_be_hidden()
    row.click()
    expect(detail).to_be_visible()
    assert row.get_attribute("aria-expanded") == "true"
    entry = next(item for item in expected if item["status"] == 422)
    request_text = detail.locator("pre.request").inner_text()
    assert request_text == json.dumps(entry["request"], indent=2)
    assert json.loads(request_text)["api_key"] == REDACTED
    assert receiver_server.api_key not in page.content()
    assert json.loads(detail.locator("pre.response").inner_text())["error"]["code"] == "INSUFFICIENT_POINTS"
    tab.shot("logs")
    refresh_renders_the_same(page)
    row.click()
    expect(detail).to_be_hidden()


def test_customer_page_shows_balances_and_paged_history(tab: Tab, receiver_server) -> None:
    profile = {"first_name": "Ada", "birth_date": "1815-12-10", "tier": "gold"}
    events = [{"customer": "ada", "action": "opt_in"}]
    events += [{"customer": "ada", "action": "point_add", "data": {"points": n + 1}} for n in range(HISTORY_PAGE_SIZE)]
    events += [
        {"customer": "ada", "action": "point_subtract", "data": {"points": 7}},
        {"customer": "ada", "action": "profile", "data": profile},
    ]
    checkouts = ({"total": 10, "transaction_id": f"t{n}"} for n in range(HISTORY_PAGE_SIZE // 2))
    events += [{"customer": "ada", "action": "checkout", "data": data} for data in checkouts]
    send(receiver_server, *events)
    with receiver_server.client() as client:
        customer = client.get("/v1/customers/ada", headers=receiver_server.auth).json()
    page = tab.page
    page.goto(tab.url("/logs"))
    tab.login(receiver_server.api_key)
    page.locator("#log-rows td.customer a", has_text="ada").first.click()
    page.wait_for_url("**/customers/ada")

    expect(page.locator("#customer-id")).to_have_text("ada")
    expect(page.locator("#opt-in")).to_have_text("Opted in")
    balances = page.locator("#balances tbody tr")
    assert [row.locator("td").all_inner_texts() for row in balances.all()] == [
        [account, str(points)] for account, points in sorted(customer["balances"].items())
    ]
    expect(page.locator("#profile")).to_contain_text("Ada")
    expect(page.locator("#attributes")).to_contain_text("tier")
    history = page.locator("#history tbody tr")
    expect(history).to_have_count(HISTORY_PAGE_SIZE)
    total = customer["event_count"]
    assert total == len(events)
    expect(page.locator("#history-page")).to_have_text(f"Page 1 of {-(-total // HISTORY_PAGE_SIZE)}")
    assert history.first.locator("td").nth(1).inner_text() == "checkout"
    tab.shot("customer")

    page.click("#history-older")
    expect(history).to_have_count(total - HISTORY_PAGE_SIZE)
    assert history.last.locator("td").nth(1).inner_text() == "opt_in"

    response = page.goto(tab.url("/customers/nobody"))
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("Customer not found")
    tab.shot("not_found")


def test_event_data_shows_as_text_never_as_markup(tab: Tab, receiver_server) -> None:
    send(
        receiver_server,
        {"customer": IMG, "action": "point_add", "data": {"points": 3, "note": SCRIPT}},
        {"customer": IMG, "action": "profile", "data": {"first_name": SCRIPT, SCRIPT: IMG}},
        {"customer": IMG, "action": SCRIPT, "data": {"points": IMG}},
    )
    page = tab.page
    page.goto(tab.url("/logs"))
    tab.login(receiver_server.api_key)

    def check_log_page() -> None:
        links = page.locator("#log-rows td.customer a")
        expect(links).to_have_count(3)
        assert set(links.all_inner_texts()) == {IMG}
        assert page.locator("main img:not(#balance-chart img), main script").count() == 0  # only our own chart
        request = page.locator("#log-rows tr.detail pre.request").first
        expect(request).to_be_visible()
        assert SCRIPT in request.inner_text() and IMG in request.inner_text()

    page.locator("#log-rows tr.entry").first.click()
    check_log_page()
    tab.shot("hostile_log")
    refresh_renders_the_same(page)  # the rows are now built by the page's script, from JSON
    check_log_page()

    page.locator("#log-rows td.customer a").first.click()
    expect(page.locator("#customer-id")).to_have_text(IMG)
    expect(page.locator("#profile dd")).to_have_text(SCRIPT)
    expect(page.locator("#attributes dt")).to_have_text(SCRIPT)
    expect(page.locator("#attributes dd")).to_have_text(IMG)
    assert page.locator("main img:not(#balance-chart img), main script").count() == 0  # only our own chart
    tab.shot("hostile_customer")


def test_auto_refresh_keeps_filters_and_open_rows(tab: Tab, receiver_server) -> None:
    page = tab.page
    page.clock.install()
    send(receiver_server, {"customer": "u1", "action": "opt_in"}, {"customer": "u2", "action": "opt_in"})
    page.goto(tab.url("/logs?customer_id=u1"))
    tab.login(receiver_server.api_key)
    rows = page.locator("#log-rows tr.entry")
    expect(rows).to_have_count(1)
    rows.first.click()
    opened = rows.first.get_attribute("data-seq")

    send(
        receiver_server,
        {"customer": "u1", "action": "point_subtract", "data": {"points": 9}},
        {"customer": "u2", "action": "point_add", "data": {"points": 1}},
    )
    page.clock.fast_forward(5000)
    expect(rows).to_have_count(2)
    expect(page.locator("#error-count")).to_have_text("1")
    assert set(page.locator("#log-rows td.customer").all_inner_texts()) == {"u1"}
    expect(page.locator(f'#log-rows tr.detail[data-seq="{opened}"]')).to_be_visible()
    assert page.url == tab.url("/logs?customer_id=u1")

    toggle = page.locator("#refresh-toggle")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    fetched = len(tab.data_requests)
    send(receiver_server, {"customer": "u1", "action": "point_add", "data": {"points": 2}})
    page.clock.fast_forward(20_000)
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    page.clock.fast_forward(5000)
    expect(rows).to_have_count(3)
    assert len(tab.data_requests) == fetched + 1, "auto-refresh ran while paused"


def test_sign_out_ends_the_session(tab: Tab, receiver_server) -> None:
    page = tab.page
    page.goto(tab.url("/logs"))
    tab.login(receiver_server.api_key)
    expect(page.locator("h1")).to_have_text("Segment inbound log")
    page.click("text=Sign out")
    page.wait_for_url("**/login")
    page.goto(tab.url("/logs"))
    assert urlsplit(page.url).path == "/login"
    with httpx.Client() as client:
        assert client.get(tab.url("/logs/data")).status_code == 401
