"""One click from a balance change to its inbound-log entry and to the mapping as it ran, in Chromium."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import test_pages_browser as pages
from playwright.sync_api import expect
from test_pages_browser import Tab, identifiers

browser, tab = pages.browser, pages.tab
"""The page tests' Chromium (one per module) and clean tab, with their checks of every request and console line."""


def test_the_history_links_each_event_to_its_log_entry_and_mapping_version(tab: Tab, receiver_server) -> None:
    body = {
        "userId": "lin-b",
        "event": "Points Earned",
        "messageId": "lin-b-msg",
        "properties": {"points": 7, "source": "quiz", "reason": "won"},
    }
    answer = httpx.post(f"{receiver_server.base_url}/v1/track", json=body, auth=(receiver_server.write_key, ""))
    assert answer.status_code == 200, answer.text
    with receiver_server.client(headers=receiver_server.auth) as http:
        (event,) = http.get("/v1/customers/lin-b/events").json()["items"]
    lineage = event["lineage"]
    page = tab.page
    page.goto(tab.url("/customers/lin-b"))
    tab.login(receiver_server.api_key)
    row = page.locator("#history tbody tr").first
    expect(row.locator("td.lineage")).to_contain_text("segment")
    expect(row.locator("a.mapping-link")).to_contain_text(
        f"Points Earned → point_add @{lineage['mapping_version'][:8]}"
    )
    tab.shot("customer-lineage")

    row.locator("a.mapping-link").click()
    page.wait_for_url(f"**/mappings/versions/{lineage['mapping_version']}")
    expect(page.locator("#mapping-version")).to_have_text(lineage["mapping_version"])
    expect(page.locator("#version-state")).to_have_text("Running now")
    expect(page.locator("#version-file")).to_contain_text('subscribe: type = "track" and event = "Points Earned"')
    tab.shot("mapping-version")

    page.go_back()
    page.locator("#history tbody tr").first.locator("a.log-link").click()
    page.wait_for_url("**/logs?id=*")
    assert parse_qs(urlsplit(page.url).query) == {"id": ["lin-b-msg"]}
    assert identifiers(page) == ["lin-b-msg"]
