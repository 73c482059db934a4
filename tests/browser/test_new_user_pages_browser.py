"""Issue 29's page items seen as a person sees them, in Chromium (the same checks over HTTP live in
tests/receiver/test_dashboard_axis_and_empty_log.py and test_mappings_page.py).

Item 1: the Mappings page's live check shows a trigger's warning, and Save keeps the mapping and lists
it. Item 6: the empty dashboard's latency axis reads in plain, distinct milliseconds. Item 7: the empty
outbound log sends a person to the Settings page, without a restart. Item 10: the inbound log says it
lists Tracking-API calls too, and its filter asks in ms. Screenshots go to `tests/artifacts/`.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect
from test_configuration_browser import _sign_in
from test_configuration_browser import browser as browser  # the module-scoped Chromium context
from test_configuration_browser import page as page  # a fresh 1280 px tab in it

from destination.definition.model import load_definition
from destination.lint.checks import check_file
from receiver.pages.views import DASHBOARD_PATH, INBOUND_LOG, OUTBOUND_LOG, SYNC_OFF

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
WARNED_TRIGGER = 'type == "track" and evnt = "Quiz Won"'


def fql_warnings(tmp_path: Path) -> list[str]:
    """What `validate` warns about the trigger, as the page words each warning."""
    file = tmp_path / "warned.yaml"
    file.write_text(f"name: W\nsubscribe: '{WARNED_TRIGGER}'\npartnerAction: event\nmapping: {{action: point_add}}\n")
    found = [p for p in check_file(file, load_definition()) if p.rule.startswith("fql")]
    assert found and all(p.severity == "warning" for p in found)
    return [f"{p.rule}: {p.message}" for p in found]


def test_the_live_check_shows_the_warning_and_save_keeps_the_mapping(page: Page, start_receiver, tmp_path) -> None:
    receiver = start_receiver()
    warnings = fql_warnings(tmp_path)
    _sign_in(page, receiver, "/mappings/new")
    page.fill("#name", "Warned in Chromium")
    page.check("input[name=trigger_mode][value=raw]")
    page.fill("#raw_fql", WARNED_TRIGGER)
    status = page.locator("#fql-status")
    expect(status).to_have_class(re.compile(r"\bwarn\b"))
    expect(status).to_contain_text("Segment accepts this trigger, but:")
    for warning in warnings:
        expect(status).to_contain_text(warning)
    expect(status).not_to_contain_text("✔")
    page.fill("#field_action", "point_add")
    page.screenshot(path=str(ARTIFACTS / "mapping-live-warning.png"), full_page=True)
    page.click("#save")
    expect(page).to_have_url(re.compile(re.escape(receiver.base_url) + r"/mappings(\?.*)?$"))
    expect(page.locator("body")).to_contain_text("Saved with warnings")
    for warning in warnings:
        expect(page.locator("body")).to_contain_text(warning)
    expect(page.locator("body")).to_contain_text("Warned in Chromium")
    page.screenshot(path=str(ARTIFACTS / "mapping-saved-with-warnings.png"), full_page=True)


def test_the_empty_dashboards_latency_axis_reads_in_plain_distinct_milliseconds(page: Page, start_receiver) -> None:
    receiver = start_receiver()
    _sign_in(page, receiver, DASHBOARD_PATH)
    ticks = [
        text.strip()
        for text in page.locator("#chart-latency text[text-anchor=end]").all_text_contents()
        if text.strip().endswith("ms")
    ]
    page.screenshot(path=str(ARTIFACTS / "dashboard-empty-latency.png"), full_page=True)
    assert len(ticks) == 5, ticks
    assert all(re.fullmatch(r"[\d,]+(\.\d+)? ms", tick) for tick in ticks), ticks
    assert len(set(ticks)) == len(ticks), ticks


def test_the_empty_outbound_log_points_to_settings_without_a_restart(page: Page, start_receiver) -> None:
    receiver = start_receiver()
    _sign_in(page, receiver, OUTBOUND_LOG.path)
    body = page.locator("body")
    expect(body).to_contain_text(SYNC_OFF)
    expect(body).not_to_contain_text("restart")
    page.screenshot(path=str(ARTIFACTS / "outbound-empty.png"), full_page=True)


def test_the_inbound_log_says_what_it_lists_and_filters_in_milliseconds(page: Page, start_receiver) -> None:
    receiver = start_receiver()
    _sign_in(page, receiver, INBOUND_LOG.path)
    body = page.locator("body")
    expect(body).to_contain_text("Tracking API")
    expect(body).to_contain_text("webhook")
    expect(page.locator("input[name=min_time_ms]")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "logs-empty.png"), full_page=True)
