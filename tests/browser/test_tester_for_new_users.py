"""The event tester as a new user meets it, in Chromium: an event ready to Try, the chosen example kept
after each Try, the edit box starting on a mapping that runs, and the mappings saved on the Mappings
page offered beside the files; the Mappings page says when the store forgets what is saved there.
Screenshots go to `tests/artifacts/`."""

from __future__ import annotations

from pathlib import Path

import pytest
from mapping_forms import QUIZ_WON_FORM
from playwright.sync_api import BrowserContext, expect
from signed_in import Browser
from test_configuration_browser import _sign_in
from test_configuration_browser import browser as browser  # the module-scoped Chromium context

from destination.definition.model import PROJECT_ROOT
from receiver.pages.tester import default_example

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
EXAMPLES = PROJECT_ROOT / "examples"


def test_the_tester_starts_ready_and_keeps_what_was_chosen(browser: BrowserContext, receiver_server) -> None:
    page = browser.new_page()
    _sign_in(page, receiver_server, "/tester")
    first = default_example(sorted(p.name for p in EXAMPLES.glob("*.json")))
    assert first and first != "identify.json"
    expect(page.locator("#t-event")).to_have_value((EXAMPLES / first).read_text(encoding="utf-8"))
    expect(page.locator("#t-example")).to_have_value(first)
    edit_box = page.locator("#t-mapping").input_value()
    assert "enabled: false" not in edit_box and "enabled: true" in edit_box  # not the disabled mapping

    page.select_option("#t-example", "order-completed.json")
    page.click("#load-example")
    page.click("#try")
    expect(page.locator("article.result").first).to_be_visible()
    expect(page.locator("#t-example")).to_have_value("order-completed.json")  # kept after Try
    assert '"Order Completed"' in page.locator("#t-event").input_value()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "tester-after-try.png"), full_page=True)
    page.close()


def test_mappings_saved_on_the_page_are_offered_and_run(browser: BrowserContext, receiver_server) -> None:
    assert (
        Browser(receiver_server.base_url, receiver_server.api_key)
        .post("/mappings/edit", {**QUIZ_WON_FORM, "op": "save"})
        .status_code
        == 303
    )
    page = browser.new_page()
    _sign_in(page, receiver_server, "/mappings")
    notice = page.locator("#memory-store")
    expect(notice).to_contain_text("mappings saved here are lost when it stops")
    page.screenshot(path=str(ARTIFACTS / "mappings-memory-notice.png"), full_page=True)

    page.goto(receiver_server.base_url + "/tester")
    option = page.locator("#t-choice option", has_text="(saved on the Mappings page)")
    expect(option).to_have_text("quiz-won-point-add.yaml: Quiz Won → point_add (saved on the Mappings page)")
    page.select_option("#t-choice", "mapping:quiz-won-point-add.yaml")
    page.fill("#t-event", '{"type": "track", "event": "Quiz Won", "userId": "t-q1", "properties": {"points": 2}}')
    page.click("#try")
    result = page.locator("article.result")
    expect(result).to_have_count(1)
    expect(result).to_contain_text("Quiz Won → point_add")
    expect(result).to_contain_text('"points": 2')
    page.screenshot(path=str(ARTIFACTS / "tester-saved-mapping.png"), full_page=True)
    page.close()


@pytest.mark.parametrize("receiver_backend", ["sqlite"], indirect=True)
def test_a_durable_store_does_not_warn_that_it_forgets(browser: BrowserContext, start_receiver) -> None:
    receiver = start_receiver()
    page = browser.new_page()
    _sign_in(page, receiver, "/mappings")
    expect(page.locator("#mappings")).to_be_visible()
    expect(page.locator("#memory-store")).to_have_count(0)
    page.close()
