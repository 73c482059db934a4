"""The dashboard, the event tester and the customer's balance chart in a real headless Chromium.

Same rules as `test_pages_browser.py` (whose browser and tab fixtures these tests share): no
request leaves the receiver's origin, no console error or CSP violation, no dialog. The
dashboard's figures are checked against the inbound log's JSON API after a known burst of
events; the charts must be drawn (non-empty SVG); screenshots go to `tests/artifacts/`.
"""

from __future__ import annotations

import json
from typing import Any

import test_pages_browser as shared
from playwright.sync_api import expect
from test_pages_browser import Tab, api_log

from destination.definition.model import PROJECT_ROOT

browser, tab = shared.browser, shared.tab  # the fixtures, shared with the other page tests
BROKEN = PROJECT_ROOT / "tests" / "fixtures" / "invalid" / "fql.yaml"


def track(receiver, *messages: dict[str, Any]) -> None:
    with receiver.client() as client:
        response = client.post(
            "/v1/batch", json={"batch": [{"type": "track", **m} for m in messages]}, auth=(receiver.write_key, "")
        )
        assert response.status_code == 200


def burst(receiver) -> None:
    """A known mix: 6 applied, 3 refused (INVALID_POINTS), 2 ignored, 1 mapping failed, 2 duplicates."""
    earn = {"event": "Points Earned", "properties": {"points": 5, "source": "s", "reason": "r"}}
    messages = [{**earn, "userId": f"b{i % 2}", "messageId": f"ok-{i}"} for i in range(6)]
    messages += [{**earn, "userId": "b0", "messageId": f"bad-{i}", "properties": {"points": -i}} for i in range(3)]
    messages += [{"userId": "b0", "event": "Unsubscribed Event", "messageId": f"none-{i}"} for i in range(2)]
    messages += [{**earn, "anonymousId": "anon", "messageId": "nomap-0"}]
    messages += [{**earn, "userId": "b0", "messageId": "ok-0"}, {**earn, "userId": "b1", "messageId": "ok-1"}]
    track(receiver, *messages)


def svg_marks(tab: Tab, selector: str) -> int:
    """How many drawn marks (bars, lines, points) an SVG has, counting only visible, non-empty ones."""
    return tab.page.evaluate(
        """(selector) => Array.from(document.querySelectorAll(selector + " svg .bar, " + selector + " svg .line, "
             + selector + " svg .point")).filter((node) => {
               const box = node.getBBox(); return box.width > 0 || box.height > 0; }).length""",
        selector,
    )


def test_dashboard_counts_equal_the_log_after_a_burst(tab: Tab, receiver_server) -> None:
    burst(receiver_server)
    page = tab.page
    page.goto(tab.url("/login"))
    tab.login(receiver_server.api_key)
    expect(page).to_have_url(tab.url("/"))  # the landing page after sign-in
    items = api_log(receiver_server)
    errors = [item for item in items if item["error"]]
    expect(page.locator("#total-events")).to_have_text(str(len(items)))
    expect(page.locator("#total-applied")).to_have_text(str(sum(item["status"] == 202 for item in items)))
    expect(page.locator("#total-refused")).to_have_text(str(sum(item["status"] == 422 for item in items)))
    expect(page.locator("#total-mapping-failed")).to_have_text(
        str(sum(item["error_code"] == "MAPPING_FAILED" for item in items))
    )
    expect(page.locator("#total-ignored")).to_have_text(str(sum(item["status"] == 200 for item in items)))
    expect(page.locator("#total-duplicate")).to_have_text("2")
    assert (len(items), len(errors)) == (12, 4)
    data = page.evaluate("async () => (await fetch('/dashboard/data')).json()")
    assert data["inbound"]["totals"]["events"] == len(items)
    codes = page.locator("#top-errors a.error-link").all_inner_texts()
    assert codes == [e["code"] for e in data["inbound"]["top_errors"]] == ["INVALID_POINTS", "MAPPING_FAILED"]
    assert svg_marks(tab, "#chart-outcomes") >= 1
    assert svg_marks(tab, "#chart-latency") >= 1
    tab.shot("dashboard")

    page.click("#window-15m")
    expect(page).to_have_url(tab.url("/?window=15m"))
    expect(page.locator("#total-events")).to_have_text(str(len(items)))
    page.click("#top-errors a.error-link >> nth=0")
    expect(page.locator("#log-rows tr.entry")).to_have_count(3)
    assert set(page.locator("#log-rows .error-code").all_inner_texts()) == {"INVALID_POINTS"}


def test_customer_page_draws_the_balance_over_time(tab: Tab, receiver_server) -> None:
    burst(receiver_server)
    page = tab.page
    page.goto(tab.url("/customers/b0"))
    tab.login(receiver_server.api_key)
    chart = page.locator("#balance-chart img")
    expect(chart).to_be_visible()
    page.wait_for_function("() => document.querySelector('#balance-chart img').naturalWidth > 0")
    svg = page.evaluate("async () => (await fetch(document.querySelector('#balance-chart img').src)).text()")
    assert svg.startswith("<svg") and svg.count('class="point"') == 3  # three applied earns for b0
    tab.shot("customer-balance")


def test_tester_explains_matches_and_sends_to_the_log(tab: Tab, receiver_server) -> None:
    page = tab.page
    page.goto(tab.url("/tester"))
    tab.login(receiver_server.api_key)
    expect(page).to_have_url(tab.url("/tester"))
    page.select_option("#t-example", "points-earned.json")
    page.click("#load-example")
    event = json.loads(page.locator("#t-event").input_value())
    assert event["event"] == "Points Earned"
    page.select_option("#t-choice", "all")
    page.click("#try")
    matched = page.locator("article.result[data-matched=true]")
    expect(matched).to_have_count(1)
    expect(matched.locator(".sub-name")).to_have_text("Points Earned → point_add")
    expect(matched.locator("li.check.pass")).to_have_count(2)
    unmatched = page.locator("article.result[data-matched=false]").first
    expect(unmatched.locator("li.check.fail").first).to_contain_text('event = "')
    expect(matched.locator("pre.request")).to_contain_text("POST https://api.test.antavo.com/v1/webhook/segment")
    assert receiver_server.api_key not in page.content()
    tab.shot("tester-try")

    page.click("#send")
    link = page.locator("#sent-log")
    expect(link).to_be_visible()
    link.click()
    expect(page.locator("#log-rows tr.entry td.ident")).to_have_text([event["messageId"]])
    expect(page.locator("#log-rows .status")).to_have_text(["202"])


def test_tester_shows_validation_errors(tab: Tab, receiver_server) -> None:
    page = tab.page
    page.goto(tab.url("/tester"))
    tab.login(receiver_server.api_key)
    no_user = {"type": "track", "event": "Points Earned", "anonymousId": "a1", "properties": {"points": 5}}
    page.fill("#t-event", json.dumps(no_user))
    page.select_option("#t-choice", "mapping:points-earned.yaml")
    page.click("#try")
    error = page.locator("article.result .validation-error")
    expect(error).to_contain_text("The root value is missing the required field 'customer'.")
    expect(error.locator(".field")).to_contain_text("/customer")

    page.select_option("#t-choice", "edited")
    page.fill("#t-mapping", BROKEN.read_text())
    page.click("#try")
    problems = page.locator("#mapping-problems li.problem")
    expect(problems).to_have_count(1)
    expect(problems).to_contain_text("2:")
    expect(problems).to_contain_text("'(' is never closed")
    expect(page.locator("#mapping-problems tr.has-problem")).to_have_attribute("id", "line-2")
    tab.shot("tester-broken-mapping")
