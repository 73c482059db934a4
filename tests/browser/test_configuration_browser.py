"""Configuring the receiver in Chromium, end to end, with Segment's Python library sending the events.

Customer ID mapping set on the page → an identify and a track for one external ID → one
customer with both events; a mapping created on the Mappings page → a matching event is
applied; toggled off → ignored; a new outbound write key entered → the next batch uses it;
the audit trail lists the changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import segment.analytics as analytics
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-config")),
            executable_path=str(CHROMIUM),
            headless=True,
            args=ARGS,
            viewport={"width": 1440, "height": 900},
        )
        context.set_default_timeout(5000)
        yield context
        context.close()


@pytest.fixture
def page(browser: BrowserContext) -> Iterator[Page]:
    """A fresh 1280 × 900 tab signed out (cookies cleared), for the modules that share this Chromium."""
    browser.clear_cookies()
    opened = browser.new_page()
    opened.set_viewport_size({"width": 1280, "height": 900})
    yield opened
    opened.close()


def _client(receiver) -> analytics.Client:
    errors: list[object] = []
    client = analytics.Client(
        write_key=receiver.write_key, host=receiver.base_url, on_error=lambda e, _b: errors.append(e), sync_mode=True
    )
    client.errors = errors  # type: ignore[attr-defined]
    return client


def _sign_in(page: Page, receiver, path: str) -> None:
    page.goto(receiver.base_url + path)
    page.fill("#api_key", receiver.api_key)
    page.click("button[type=submit]")
    expect(page).to_have_url(receiver.base_url + path)


def _customer(receiver, customer_id: str) -> dict:
    return httpx.get(f"{receiver.base_url}/v1/customers/{customer_id}", headers=receiver.auth).json()


def test_configure_everything_in_the_browser(browser: BrowserContext, start_receiver, segment_stub, write_mappings):
    receiver = start_receiver(
        mappings_dir=write_mappings({}, shipped=["profile-updates.yaml", "signed-up.yaml"]),
        outbound={"write_key": "old-outbound-key-0000", "base_url": segment_stub.url, "events": ["point_add"]},
    )
    errors: list[str] = []
    page = browser.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    _sign_in(page, receiver, "/settings")

    # 1. Customer ID mapping → an external attribute; identify + track for that external ID make one customer.
    page.fill("#outbound__user_id_attribute", "crm_id")
    page.click("#customer-id-mapping button[type=submit]")
    expect(page.locator("#saved")).to_have_text("Settings saved.")
    expect(page.locator("#outbound__user_id_attribute-source")).to_contain_text("saved settings")
    segment = _client(receiver)
    segment.identify("crm-77", {"first_name": "Grace", "tier": "silver"})
    segment.track("crm-77", "Signed Up", {"loyalty_consent": True})
    segment.flush()
    customer = _customer(receiver, "crm-77")
    assert customer["event_count"] == 2 and customer["attributes"]["crm_id"] == "crm-77"
    assert customer["profile"]["first_name"] == "Grace" and customer["opted_in"] is True
    page.goto(receiver.base_url + "/logs")
    expect(page.locator("#log-rows .internal-id").first).to_have_text(customer["id"])

    # 2. A mapping made on the Mappings page applies to the next matching event.
    page.goto(receiver.base_url + "/mappings")
    page.click("#new-mapping")
    expect(page.locator("#cond-0 select[name=cond_field]")).to_have_value("type")
    expect(page.locator("#cond-0 input[name=cond_value]")).to_have_value("track")
    page.fill("#name", "Quiz Won")
    page.check("#enabled")
    page.click("#add-condition")
    page.select_option("#cond-1 select[name=cond_field]", "event")
    page.fill("#cond-1 input[name=cond_value]", "Quiz Won")
    expect(page.locator("label[for=field_action] .required")).to_have_count(1)
    expect(page.locator("label[for=field_account] .required")).to_have_count(0)
    page.fill("#field_action", "point_add")
    page.click("#add-pair")
    page.locator("input[name=pair_key]").last.fill("points")
    page.locator("input[name=pair_value]").last.fill("$.properties.points")
    page.check("#multi_accounts")
    page.click("#refresh")
    expect(page.locator("label[for=field_account] .required")).to_have_count(1)
    expect(page.locator("#built-fql")).to_have_text('type = "track" and event = "Quiz Won"')
    page.uncheck("#multi_accounts")
    page.check("input[name=trigger_mode][value=raw]")  # one way of writing the trigger shows at a time
    page.fill("#raw_fql", 'type = "track" and (event = "x"')
    expect(page.locator("#fql-status")).to_contain_text("never closed")
    page.fill("#raw_fql", "")
    page.check("input[name=trigger_mode][value=builder]")
    page.fill("#sample", '{"type": "track", "userId": "crm-77", "event": "Quiz Won", "properties": {"points": 5}}')
    page.click("#test-mapping")
    expect(page.locator("#test-matched")).to_have_text("matches")
    expect(page.locator("#test-valid")).to_be_visible()
    page.click("#save")
    expect(page.locator("#saved")).to_contain_text("quiz-won.yaml")
    segment.track("crm-77", "Quiz Won", {"points": 5})
    segment.flush()
    assert _customer(receiver, "crm-77")["balances"] == {"default": 5}

    # 3. Toggled off, the same event is ignored.
    row = page.locator("tr.mapping[data-key=quiz-won]")
    row.locator("button.switch").click()
    expect(page.locator("tr.mapping[data-key=quiz-won] button.switch")).to_have_text("Disabled")
    segment.track("crm-77", "Quiz Won", {"points": 5})
    segment.flush()
    assert _customer(receiver, "crm-77")["balances"] == {"default": 5}

    # 4. A new outbound write key: the next batch is sent with it (the quiz's point_add went with the old one).
    segment_stub.wait_for(1)
    page.goto(receiver.base_url + "/settings")
    expect(page.locator("#outbound__write_key-current")).to_have_text("Currently: set (…0000)")
    page.fill("#outbound__write_key", "new-outbound-key-9999")
    page.click("#outbound-settings button[type=submit]")
    expect(page.locator("#outbound__write_key-current")).to_have_text("Currently: set (…9999)")
    assert "new-outbound-key-9999" not in page.content()
    body = {"api_key": receiver.api_key, "customer": "crm-77", "action": "point_add", "data": {"points": 1}}
    assert httpx.post(receiver.webhook_url, json=body).status_code == 202
    segment_stub.wait_for(2)
    assert segment_stub.calls[0].authorization == httpx.BasicAuth("old-outbound-key-0000", "")._auth_header
    assert segment_stub.calls[-1].authorization == httpx.BasicAuth("new-outbound-key-9999", "")._auth_header

    # 5. The audit trail lists the changes, newest first, the key masked.
    entries = page.locator("#audit tr.audit-entry")
    expect(entries).to_have_count(4)
    texts = entries.all_inner_texts()
    assert "Outbound settings" in texts[0] and "set (…0000) → set (…9999)" in texts[0]
    assert "Quiz Won: disabled" in texts[1] and "Quiz Won: created" in texts[2]
    assert "Customer ID mapping" in texts[3] and "crm_id" in texts[3]
    assert errors == [] and segment.errors == []  # type: ignore[attr-defined]
    page.close()
