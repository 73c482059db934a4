"""The mapping editor laid out as Segment's mapping page is, at 1280 and 420 px, in Chromium.

A person sees each checkbox and radio beside its label, a condition on one row, a key → value
pair side by side, links and buttons that read as such, roomy Raw-FQL and Event boxes, one way of
writing the trigger at a time, and no name box where the condition takes none. Screenshots go to
`tests/artifacts/` (git-ignored) to be looked at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect
from test_configuration_browser import _sign_in
from test_configuration_browser import browser as browser  # the module-scoped Chromium context

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
WIDTHS = (1280, 420)


def box(locator: Locator) -> dict[str, float]:
    found = locator.bounding_box()
    assert found is not None, f"{locator} is not drawn"
    return found


def luminance(rgb: str) -> float:
    """WCAG relative luminance of a computed `rgb(r, g, b)` colour."""
    channels = [int(v) / 255 for v in re.findall(r"\d+", rgb)[:3]]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(page: Page, selector: str) -> float:
    """The contrast of an element's text on the white card behind it."""
    colour = page.eval_on_selector(selector, "e => getComputedStyle(e).color")
    return (1.05) / (luminance(colour) + 0.05)


@pytest.fixture
def editor(browser: BrowserContext, start_receiver, request: pytest.FixtureRequest) -> Iterator[Page]:
    receiver = start_receiver()
    page = browser.new_page()
    page.set_viewport_size({"width": request.param, "height": 900})
    _sign_in(page, receiver, "/mappings/new")
    yield page
    page.close()


@pytest.mark.parametrize("editor", WIDTHS, indirect=True, ids=[f"{w}px" for w in WIDTHS])
def test_controls_sit_beside_their_labels_and_links_read_as_links(editor: Page) -> None:
    page = editor
    width = page.viewport_size["width"] if page.viewport_size else 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"mapping-editor-{width}.png"), full_page=True)
    for control in (
        "#enabled",
        "#multi_accounts",
        "input[name=action][value=event]",
        "input[name=trigger_mode][value=raw]",
    ):
        own, label = box(page.locator(control)), box(page.locator(control).locator("xpath=.."))
        assert own["width"] < 30, f"{control} is stretched to {own['width']} px"
        middle = own["y"] + own["height"] / 2
        assert label["y"] <= middle <= label["y"] + label["height"], f"{control} is not on its label's line"
        assert own["x"] <= label["x"] + 2, f"{control} is not left of its label's text"
    assert contrast(page, "#refresh") >= 4.5
    assert contrast(page, "#cond-0 button.link") >= 4.5
    assert page.eval_on_selector("#add-condition", "e => getComputedStyle(e).borderRadius") != "0px"
    assert box(page.locator("#sample"))["height"] >= 150
    assert box(page.locator("#builder")) and not page.locator("#raw").is_visible()


@pytest.mark.parametrize("editor", [1280], indirect=True, ids=["1280px"])
def test_a_condition_is_one_row_and_a_pair_is_side_by_side(editor: Page) -> None:
    page = editor
    row = page.locator("#cond-0")
    tops = [
        box(row.locator(sel))["y"]
        for sel in ("select[name=cond_field]", "select[name=cond_op]", "input[name=cond_value]")
    ]
    assert max(tops) - min(tops) < 4, f"the condition's controls are on several lines: {tops}"
    expect(row.locator("input[name=cond_name]")).to_be_hidden()  # Event Type takes no name
    row.locator("select[name=cond_field]").select_option("properties")
    expect(row.locator("input[name=cond_name]")).to_be_visible()
    page.click("#add-pair")  # no mapping name yet: rearranging the form is not blocked by it
    pair = page.locator(".pair").first
    key, value = box(pair.locator("input[name=pair_key]")), box(pair.locator("input[name=pair_value]"))
    assert abs(key["y"] - value["y"]) < 4 and value["x"] > key["x"] + key["width"]
    page.check("input[name=trigger_mode][value=raw]")
    expect(page.locator("#builder")).to_be_hidden()
    expect(page.locator("#raw_fql")).to_be_visible()
    assert box(page.locator("#raw_fql"))["height"] >= 70
    page.screenshot(path=str(ARTIFACTS / "mapping-editor-raw-1280.png"), full_page=True)


@pytest.mark.parametrize("editor", [420], indirect=True, ids=["420px"])
def test_nothing_runs_off_a_phone_screen(editor: Page) -> None:
    page = editor
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page is {overflow} px wider than the screen"
