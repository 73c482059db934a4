"""A mapping's history in Chromium: edited twice, its versions listed, the diff seen, version 1 restored.

The screenshot goes to `tests/artifacts/mapping-history.png`.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect
from test_configuration_browser import _sign_in
from test_configuration_browser import browser as browser  # the module-scoped Chromium context
from test_configuration_browser import page as page  # a fresh 1280 px tab in it

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def _edit_points(page: Page, base_url: str, path: str) -> None:
    page.goto(base_url + "/mappings/quiz-won/edit")
    page.locator("input[name=pair_value]").last.fill(path)
    page.click("#save")
    expect(page.locator("#saved")).to_contain_text("quiz-won.yaml")


def test_edit_a_mapping_twice_see_the_diff_and_restore_version_1(page: Page, start_receiver) -> None:
    receiver = start_receiver()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _sign_in(page, receiver, "/mappings/new")
    page.fill("#name", "Quiz Won")
    page.click("#add-condition")
    page.select_option("#cond-1 select[name=cond_field]", "event")
    page.fill("#cond-1 input[name=cond_value]", "Quiz Won")
    page.fill("#field_action", "point_add")
    page.click("#add-pair")
    page.locator("input[name=pair_key]").last.fill("points")
    page.locator("input[name=pair_value]").last.fill("$.properties.points")
    page.click("#save")
    expect(page.locator("#saved")).to_contain_text("quiz-won.yaml")
    _edit_points(page, receiver.base_url, "$.properties.bonus")
    _edit_points(page, receiver.base_url, "$.properties.extra")

    page.goto(receiver.base_url + "/mappings/quiz-won/edit")
    page.click("#mapping-history")
    expect(page.locator("h1")).to_have_text("History of mapping quiz-won")
    expect(page.locator("tr.version")).to_have_count(3)
    expect(page.locator("#diff h2")).to_have_text("Changes from version 2 to version 3")
    expect(page.locator("#diff-lines .diff-add")).to_contain_text(["$.properties.extra"])

    page.check("input[aria-label='Compare from version 1']")
    page.check("input[aria-label='Compare to version 3']")
    page.click("#compare-button")
    expect(page.locator("#diff h2")).to_have_text("Changes from version 1 to version 3")
    expect(page.locator("#diff-lines .diff-remove")).to_contain_text(["$.properties.points"])
    expect(page.locator("#diff-lines .diff-add")).to_contain_text(["$.properties.extra"])
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "mapping-history.png"), full_page=True)

    page.click("button[aria-label='Restore version 1']")
    expect(page.locator("#restored")).to_have_text("Restored version 1: it is now the newest version.")
    expect(page.locator("tr.version")).to_have_count(4)
    expect(page.locator("tr.version").first).to_contain_text("restored version 1")
    expect(page.locator("#no-change")).to_have_count(0)
    page.goto(receiver.base_url + "/mappings/quiz-won/edit")
    expect(page.locator("input[name=pair_value]").last).to_have_value("$.properties.points")
    assert errors == []
