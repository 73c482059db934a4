"""The dashboard's live parts in a real headless Chromium: auto-refresh, queue depth over time,
freshness per source, and the 24-hour window at 5-minute resolution drawn per minute.

The receiver here samples its outbound queue every 50 ms and sends to a closed loopback port
(retrying only after a minute), so whatever it queues stays queued. Same rules as the other
page tests (shared browser and tab fixtures): nothing leaves the origin, no console error or
CSP violation. Screenshots go to `tests/artifacts/`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
import test_pages_browser as shared
from playwright.sync_api import expect
from test_dashboard_browser import svg_marks, track
from test_pages_browser import Tab, api_log
from unreachable import unreachable_outbound

browser, tab = shared.browser, shared.tab  # the fixtures, shared with the other page tests
EARN = {"event": "Points Earned", "properties": {"points": 5, "source": "s", "reason": "r"}}


@pytest.fixture
def receiver_server(start_receiver):
    """This module's receiver (the shared `tab` fixture picks it up): outbound to nowhere, sampled fast."""
    return start_receiver(queue_sample_seconds=0.05, outbound=unreachable_outbound())


def earns(receiver, prefix: str, count: int, **extra: Any) -> None:
    track(receiver, *({**EARN, "userId": f"{prefix}{i}", "messageId": f"{prefix}-{i}", **extra} for i in range(count)))


def test_the_dashboard_refreshes_itself_until_switched_off(tab: Tab, receiver_server) -> None:
    page = tab.page
    fragments: list[str] = []
    page.on("request", lambda r: fragments.append(r.url) if urlsplit(r.url).path == "/dashboard/fragment" else None)
    page.clock.install()
    earns(receiver_server, "a", 2)
    page.goto(tab.url("/login?next=/%3Fwindow%3D15m%26refresh%3D5"))
    tab.login(receiver_server.api_key)
    expect(page).to_have_url(tab.url("/?window=15m&refresh=5"))
    expect(page.locator("#total-events")).to_have_text("2")
    expect(page.locator("#auto-refresh")).to_be_checked()
    page.evaluate("() => { window.notReloaded = true; }")

    earns(receiver_server, "b", 3)
    page.clock.fast_forward(5000)
    expect(page.locator("#total-events")).to_have_text("5")
    expect(page.locator("#total-applied")).to_have_text(
        str(sum(item["status"] == 202 for item in api_log(receiver_server)))
    )
    assert page.evaluate("() => window.notReloaded") is True  # updated in place, not reloaded
    assert page.url == tab.url("/?window=15m&refresh=5")
    assert fragments and all(url.endswith("/dashboard/fragment?window=15m") for url in fragments)
    assert svg_marks(tab, "#chart-outcomes") >= 1  # the swapped-in charts are drawn

    page.uncheck("#auto-refresh")
    asked = len(fragments)
    earns(receiver_server, "c", 1)
    page.clock.fast_forward(20_000)
    expect(page.locator("#total-events")).to_have_text("5")
    assert len(fragments) == asked, "auto-refresh ran while switched off"
    page.reload()  # the choice is remembered
    expect(page.locator("#auto-refresh")).not_to_be_checked()
    expect(page.locator("#total-events")).to_have_text("6")
    page.check("#auto-refresh")
    earns(receiver_server, "d", 1)
    page.clock.fast_forward(5000)
    expect(page.locator("#total-events")).to_have_text("7")
    tab.shot("dashboard-auto-refresh")


def test_the_queue_depth_chart_shows_what_stays_queued(tab: Tab, receiver_server) -> None:
    earns(receiver_server, "q", 4)
    queued = receiver_server.call(receiver_server.store.outbox_pending())
    assert queued == 4
    page = tab.page
    page.goto(tab.url("/login?next=/%3Fwindow%3D15m%26refresh%3D1"))
    tab.login(receiver_server.api_key)
    expect(page.locator("#queue-depth")).to_have_text(str(queued))
    chart = page.locator("#chart-queue svg")
    expect(chart).to_be_visible()
    point = page.locator('#chart-queue svg circle.point[data-series="peak"]').last
    expect(point.locator("title")).to_have_text(f"peak {page.locator('#updated-at').inner_text()[:5]}: {queued}")
    assert svg_marks(tab, "#chart-queue") >= 1
    data = page.evaluate("async () => (await fetch('/dashboard/data?window=15m')).json()")
    peaks = [value for value in data["outbound"]["queue_depth_series"]["peak"] if value is not None]
    assert peaks[-1] == queued
    tab.shot("dashboard-queue-depth")


def test_freshness_is_shown_per_source(tab: Tab, receiver_server) -> None:
    earns(receiver_server, "p", 1, context={"library": {"name": "analytics-python"}})
    earns(receiver_server, "j", 1, context={"library": {"name": "<b>analytics.js</b>"}})
    page = tab.page
    page.goto(tab.url("/login"))
    tab.login(receiver_server.api_key)
    rows = page.locator("#freshness tr.source")
    expect(rows).to_have_count(3)
    sources = rows.evaluate_all("(rows) => rows.map((row) => row.dataset.source)")
    assert sources == ["segment:<b>analytics.js</b>", "segment:analytics-python", "webhook"]  # newest first
    expect(page.locator('#freshness tr[data-source="segment:analytics-python"] td.age')).to_contain_text("s ago")
    expect(page.locator('#freshness tr[data-source="webhook"] td.age')).to_have_text("never")
    assert page.locator("#freshness b").count() == 0  # a library name is text, never markup
    tab.shot("dashboard-freshness")


def test_the_day_window_has_five_minute_bars_drawn_per_minute(tab: Tab, receiver_server) -> None:
    earns(receiver_server, "h", 10)
    page = tab.page
    page.goto(tab.url("/login"))
    tab.login(receiver_server.api_key)
    page.click("#window-24h")
    expect(page).to_have_url(tab.url("/?window=24h"))
    expect(page.locator(".dash-updated")).to_contain_text("one bar per 5 minutes, drawn as its average per minute")
    expect(page.locator("#chart-outcomes svg text.unit")).to_have_text("events / min")
    bars = page.locator('#chart-outcomes svg rect.bar[data-series="applied"] title')
    expect(bars.first).to_contain_text("applied: ")
    rates = [float(text.rsplit(": ", 1)[1]) for text in bars.all_text_contents()]
    assert sum(rates) == pytest.approx(10 / 5)  # 10 events in 5-minute buckets: 2 per minute in all
    assert page.locator("#chart-outcomes svg rect.bar").count() <= 288
    tab.shot("dashboard-24h")
