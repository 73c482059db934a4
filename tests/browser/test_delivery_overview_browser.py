"""The Delivery Overview page in Chromium: reached from the top bar, it draws a funnel per mapping with each
stage's count, a drop's reason row, and its samples expandable, each linking to the message's log entry.
The screenshot goes to `tests/artifacts/delivery-overview.png`.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect
from test_configuration_browser import _sign_in
from test_configuration_browser import browser as browser  # the module-scoped Chromium context
from test_configuration_browser import page as page  # a fresh 1280 px tab in it

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
POINTS = "Points Earned → point_add"


def _track(receiver, message_id: str, event: str, properties: dict) -> None:
    message = {"userId": "b-1", "messageId": message_id, "event": event, "properties": properties}
    answer = httpx.post(f"{receiver.base_url}/v1/track", json=message, auth=(receiver.write_key, ""), timeout=10)
    assert answer.status_code == 200, answer.text


def test_the_page_shows_a_funnel_with_a_drop_reason_and_a_sample_link(page: Page, start_receiver, write_mappings):
    receiver = start_receiver(mappings_dir=write_mappings({}, shipped=["points-earned.yaml"]))
    _track(receiver, "won", "Points Earned", {"points": 5, "source": "quiz", "reason": "won"})
    _track(receiver, "no-points", "Points Earned", {"source": "quiz"})
    _track(receiver, "viewed", "Product Viewed", {"sku": "s-1"})
    _sign_in(page, receiver, "/")
    page.click("nav.nav a:has-text('Delivery Overview')")
    expect(page).to_have_url(re.compile(re.escape(receiver.base_url) + r"/overview$"))
    expect(page.locator("h1")).to_have_text("Delivery Overview")

    funnel = page.locator("section.funnel[data-kind=mapping]", has_text=POINTS)
    expect(funnel.locator("[data-count=received]")).to_have_text("3")
    expect(funnel.locator("[data-count=applied]")).to_have_text("1")
    refused = funnel.locator("tr.stage[data-stage=refused_by_rules]")
    expect(refused).to_contain_text("Refused by the loyalty rules")
    expect(refused.locator("td.num").first).to_have_text("1")
    reason = funnel.locator("tr.reason[data-reason=INVALID_POINTS]")
    expect(reason).to_contain_text("INVALID_POINTS")
    filtered = funnel.locator("tr.reason[data-stage=filtered][data-reason=NO_TRIGGER_MATCHED]")
    expect(filtered).to_contain_text("× 1")

    link = reason.locator("a.sample-link")
    expect(link).to_be_hidden()  # the samples are folded until the reason is opened
    reason.locator("summary").click()
    expect(link).to_be_visible()
    expect(link).to_have_text("no-points")
    expect(reason).to_contain_text("/v1/messages/no-points")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "delivery-overview.png"), full_page=True)

    link.click()
    expect(page).to_have_url(receiver.base_url + "/logs?id=no-points")
    expect(page.locator("body")).to_contain_text("INVALID_POINTS")
    page.goto(receiver.base_url + "/overview?window=7d&subscription=" + POINTS)
    expect(page.locator("#window-7d")).to_have_attribute("aria-current", "page")
    expect(page.locator("section.funnel[data-kind=mapping]")).to_have_count(1)


def test_the_page_fits_a_narrow_screen(page: Page, start_receiver, write_mappings):
    receiver = start_receiver(mappings_dir=write_mappings({}, shipped=["points-earned.yaml"]))
    _track(receiver, "no-points", "Points Earned", {"source": "quiz"})
    page.set_viewport_size({"width": 420, "height": 800})
    _sign_in(page, receiver, "/overview")
    page.locator("tr.reason[data-reason=INVALID_POINTS] summary").first.click()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "delivery-overview-narrow.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 420
