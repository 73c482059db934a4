"""The Mappings page's "Impact on recent traffic" in Chromium: a person edits a mapping and, before saving,
sees which recent messages it no longer matches and which payload field changes (path, before, after).

The traffic is real: Segment's Python library sends two orders to the receiver first. A screenshot goes to
`tests/artifacts/` (git-ignored) to be looked at.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.sync_api import BrowserContext, expect
from segment.analytics import Client
from test_configuration_browser import _sign_in
from test_configuration_browser import browser as browser  # the module-scoped Chromium context

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def test_the_impact_panel_lists_a_changed_field_and_an_unmatched_event_before_saving(
    browser: BrowserContext, start_receiver, write_mappings
) -> None:
    receiver = start_receiver(mappings_dir=write_mappings({}, shipped=["order-completed.yaml", "signed-up.yaml"]))
    library = Client(receiver.write_key, host=receiver.base_url, sync_mode=True, max_retries=1)
    for message_id, currency in (("order-eur", "EUR"), ("order-usd", "USD")):
        order = {"order_id": message_id, "total": 129.9, "revenue": 119.9, "currency": currency}
        library.track("c-1", "Order Completed", order, message_id=message_id)

    page = browser.new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    _sign_in(page, receiver, "/mappings/order-completed/edit")
    # The edit: orders in euros only, and the total read from `revenue`.
    page.check("input[name=trigger_mode][value=raw]")
    page.fill("#raw_fql", 'type = "track" and event = "Order Completed" and properties.currency = "EUR"')
    total = page.locator(".pair").filter(has=page.locator("input[name=pair_key][value=total]"))
    total.locator("input[name=pair_value]").fill("$.properties.revenue")
    page.click("#impact-button")

    panel = page.locator("#impact")
    expect(panel.locator("#impact-source")).to_contain_text("the 2 newest accepted messages, at most 100")
    changed = panel.locator(".impact-row[data-kind=payload-changed]")
    expect(changed).to_contain_text("#2 order-eur")
    field = changed.locator("tr.impact-field[data-pointer='/data/total']")
    expect(field.locator("td").nth(1)).to_have_text("129.9")
    expect(field.locator("td").nth(2)).to_have_text("119.9")
    unmatched = panel.locator(".impact-row[data-kind=no-longer-matched]")
    expect(unmatched).to_contain_text("#1 order-usd")
    expect(unmatched).to_contain_text("Order Completed → checkout")
    expect(panel.locator("#impact-totals")).to_contain_text("1 no longer matched, 1 payload changed")
    # The edit is still in the form, unsaved: Save is one click away and the ingest runs the file.
    expect(page.locator("#raw_fql")).to_have_value(
        'type = "track" and event = "Order Completed" and properties.currency = "EUR"'
    )
    ARTIFACTS.mkdir(exist_ok=True)
    panel.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "mapping-impact-1280.png"), full_page=True)
    items = httpx.get(f"{receiver.base_url}/v1/mappings", headers=receiver.auth).json()["items"]
    assert {item["origin"] for item in items} == {"file"}
    page.close()
