"""Live plan checks as a person sees them, in Chromium: a message the tracking plan blocked waits in the
inbound log's Quarantine; after the plan file is fixed, Replay delivers it; the dashboard lists the
violations per event and kind with the message as a sample linking to its log entries. Screenshots go
to `tests/artifacts/`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from plans import write_plan
from playwright.sync_api import Page, expect
from segment.analytics import Client
from test_configuration_browser import _sign_in
from test_configuration_browser import browser as browser  # the module-scoped Chromium context
from test_configuration_browser import page as page  # a fresh 1280 px tab in it

from receiver.pages.views import DASHBOARD_PATH, INBOUND_LOG

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def plan(pattern: str) -> dict[str, Any]:
    order = {
        "type": "track",
        "name": "Order Completed",
        "policy": "block",
        "properties": {
            "required": ["order_id", "total"],
            "properties": {"order_id": {"pattern": pattern}, "total": {}},
        },
    }
    return {"version": 1, "events": [order]}


def test_a_quarantined_message_is_replayed_once_the_plan_is_fixed(
    page: Page, start_receiver, write_mappings, tmp_path
) -> None:
    plan_file = tmp_path / "tracking_plan.yaml"
    write_plan(plan_file, plan("^ORD-[0-9]+$"), stamp=10**18)
    receiver = start_receiver(
        mappings_dir=write_mappings({}, shipped=["order-completed.yaml"]), tracking_plan=str(plan_file)
    )
    library = Client(receiver.write_key, host=receiver.base_url, sync_mode=True, max_retries=1)
    library.track("shopper-1", "Order Completed", {"order_id": "o-77", "total": 12}, message_id="held-1")

    _sign_in(page, receiver, INBOUND_LOG.path)
    page.click("#quarantine-link")
    row = page.locator("tr.quarantined[data-message-id='held-1']")
    expect(row).to_contain_text("Pattern-Mismatch")
    expect(row).to_contain_text("/properties/order_id")
    page.screenshot(path=str(ARTIFACTS / "quarantine.png"), full_page=True)

    row.locator("button.replay").click()
    expect(page.locator("#replay-result")).to_have_attribute("data-outcome", "blocked")
    expect(page.locator("tr.quarantined[data-message-id='held-1']")).to_have_count(1)

    write_plan(plan_file, plan("^(ORD-|o-)[0-9]+$"), stamp=2 * 10**18)
    page.locator("tr.quarantined[data-message-id='held-1'] button.replay").click()
    expect(page.locator("#replay-result")).to_have_attribute("data-outcome", "released")
    expect(page.locator("#quarantine-empty")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "quarantine-replayed.png"), full_page=True)
    with receiver.client(headers=receiver.auth) as http:
        events = http.get("/v1/customers/shopper-1/events").json()["items"]
    assert [e["data"]["transaction_id"] for e in events] == ["o-77"]

    page.goto(receiver.base_url + DASHBOARD_PATH + "?window=15m")
    violation = page.locator("#plan-violations tr.violation[data-kind='Pattern-Mismatch']")
    expect(violation).to_contain_text("Order Completed")
    sample = violation.locator("a.sample")
    expect(sample).to_have_text("held-1")
    page.screenshot(path=str(ARTIFACTS / "dashboard-plan-violations.png"), full_page=True)
    sample.click()
    expect(page).to_have_url(re.compile(r"/logs\?id=held-1$"))
    expect(page.locator("#log-rows tr.entry")).to_have_count(3)  # blocked, blocked again, delivered by the replay
    page.locator("#log-rows tr.entry").last.click()  # the oldest: the block, with the plan's verdict
    expect(page.locator("#log-rows tr.detail pre.plan").last).to_contain_text("Pattern-Mismatch")
