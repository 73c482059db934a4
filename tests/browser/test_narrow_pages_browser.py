"""Issue 16's page items in Chromium: a 420 px screen, the outbound page with sync off, response times
in milliseconds, bad filter values kept, and sessions of two receivers on one host kept apart.

Screenshots of the narrow pages are kept in `tests/artifacts/` (git-ignored).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

from receiver.pages.views import SYNC_OFF

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
NARROW = 420


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-narrow")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=LAUNCH_ARGS,
            viewport={"width": NARROW, "height": 800},
        )
        browser.set_default_timeout(5000)
        yield browser
        browser.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    context.clear_cookies()
    opened = context.new_page()
    yield opened
    opened.close()


def sign_in(page: Page, base_url: str, api_key: str, path: str = "/logs") -> None:
    page.goto(base_url + path)
    page.fill("#api_key", api_key)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(re.escape(base_url + path)))


def send(receiver: Any, *events: dict[str, Any]) -> None:
    with receiver.client() as client:
        for event in events:
            assert client.post(receiver.webhook_url, json={"api_key": receiver.api_key, **event}).status_code < 500


def fits(page: Page, selector: str) -> None:
    """The page does not scroll sideways, and the element is wholly on screen."""
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW
    box = page.locator(selector).bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= NARROW, (selector, box)


def test_pages_are_usable_on_a_420_px_screen(page: Page, receiver_server: Any) -> None:
    send(
        receiver_server,
        {"customer": "narrow-customer-with-a-long-id-0001", "action": "point_add", "data": {"points": 5}},
        {"customer": "narrow-customer-with-a-long-id-0001", "action": "point_subtract", "data": {"points": 500}},
    )
    page.goto(receiver_server.base_url + "/login")
    fits(page, "button[type=submit]")
    page.screenshot(path=str(ARTIFACTS / "narrow-login.png"), full_page=True)
    sign_in(page, receiver_server.base_url, receiver_server.api_key)
    expect(page.locator("#refresh-toggle")).to_be_visible()
    for selector in ("#refresh-toggle", "#refresh-now", "text=Apply filters", "button.link", "#f-customer"):
        fits(page, selector)
    page.screenshot(path=str(ARTIFACTS / "narrow-logs.png"), full_page=True)
    page.click("#log-rows a")
    expect(page.locator("h1")).to_contain_text("narrow-customer")
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW
    page.screenshot(path=str(ARTIFACTS / "narrow-customer.png"), full_page=True)
    page.goto(receiver_server.base_url + "/outbound-logs")
    fits(page, "#refresh-toggle")
    page.screenshot(path=str(ARTIFACTS / "narrow-outbound.png"), full_page=True)


def test_the_outbound_page_says_sync_is_off_and_how_to_turn_it_on(page: Page, receiver_server: Any) -> None:
    sign_in(page, receiver_server.base_url, receiver_server.api_key, "/outbound-logs")
    expect(page.locator("#log-rows tr.empty")).to_have_text(SYNC_OFF)
    assert "ANTAVO_OUTBOUND_WRITE_KEY" in SYNC_OFF
    page.click("#refresh-now")  # the script's own rendering of an empty table says the same
    expect(page.locator("#updated")).to_contain_text("Updated")
    expect(page.locator("#log-rows tr.empty")).to_have_text(SYNC_OFF)


def test_response_times_show_in_milliseconds(page: Page, receiver_server: Any) -> None:
    send(receiver_server, {"customer": "ms-1", "action": "opt_in"})
    sign_in(page, receiver_server.base_url, receiver_server.api_key)
    expect(page.locator("#log thead")).to_contain_text("Response time (ms)")
    with receiver_server.client() as client:
        [item] = client.get("/v1/logs", headers=receiver_server.auth).json()["items"]
    shown = page.locator("#log-rows tr.entry td.num").inner_text()
    assert re.fullmatch(r"\d+\.\d", shown) and float(shown) == pytest.approx(item["response_time"] * 1000, abs=0.06)


def test_a_bad_filter_value_stays_in_its_field_and_the_message_uses_its_label(page: Page, receiver_server: Any) -> None:
    sign_in(page, receiver_server.base_url, receiver_server.api_key, "/logs?since=yesterday&status=abc")
    expect(page.locator(".problems")).to_contain_text("Timestamp from must be a date and time")
    expect(page.locator(".problems")).to_contain_text("Status code must be")
    assert page.input_value("#f-since") == "yesterday" and page.input_value("#f-status") == "abc"
    label = page.locator("label[for=f-since]").inner_text()
    assert label.startswith("Timestamp from")


def test_signing_into_a_second_receiver_on_the_same_host_keeps_the_first_session(
    page: Page, start_receiver: Any
) -> None:
    first, second = start_receiver(), start_receiver()
    sign_in(page, first.base_url, first.api_key)
    sign_in(page, second.base_url, second.api_key)
    for receiver in (first, second):
        page.goto(receiver.base_url + "/logs")
        assert page.url == receiver.base_url + "/logs", "signed out by the other receiver's login"
        expect(page.locator("h1")).to_have_text("Segment inbound log")
