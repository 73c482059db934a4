"""What the empty dashboard and the empty outbound log tell a person (issue 29, items 6 and 7)."""

from __future__ import annotations

import re

from markupsafe import escape
from test_dashboard_tester_http import signed_in

from receiver.pages.views import DASHBOARD_PATH, INBOUND_LOG, OUTBOUND_LOG, SYNC_OFF

TICK = re.compile(r'<text x="[\d.]+" y="[\d.]+" text-anchor="end"[^>]*>([^<]*)</text>')


def latency_ticks(page: str) -> list[str]:
    """The y-axis labels of the latency chart, bottom to top."""
    section = page.split('id="chart-latency"', 1)[1].split("</section>", 1)[0]
    return [text for text in TICK.findall(section) if text.endswith("ms")]  # the x axis's right-edge time too


def test_the_empty_latency_axis_reads_as_plain_distinct_milliseconds(start_receiver) -> None:
    receiver = start_receiver()
    with receiver.client() as client:
        signed_in(receiver, client)
        page = client.get(DASHBOARD_PATH)
    assert page.status_code == 200
    ticks = latency_ticks(page.text)
    assert len(ticks) == 5, ticks
    assert all(re.fullmatch(r"[\d,]+(\.\d+)? ms", tick) for tick in ticks), ticks
    assert len(set(ticks)) == len(ticks), f"two ticks read the same: {ticks}"
    assert "e+" not in "".join(ticks)


def test_the_empty_outbound_log_does_not_ask_for_a_restart(start_receiver) -> None:
    receiver = start_receiver()
    with receiver.client() as client:
        signed_in(receiver, client)
        page = client.get(OUTBOUND_LOG.path)
    assert page.status_code == 200
    assert "restart" not in SYNC_OFF and "Settings page" in SYNC_OFF
    assert escape(SYNC_OFF) in page.text


def test_the_inbound_log_says_it_lists_tracking_api_calls_too(start_receiver) -> None:
    receiver = start_receiver()
    with receiver.client() as client:
        signed_in(receiver, client)
        page = client.get(INBOUND_LOG.path)
    assert page.status_code == 200
    assert "Tracking API" in page.text and "webhook" in page.text


def test_the_log_filter_asks_in_milliseconds_as_the_column_shows_and_old_links_still_work(start_receiver) -> None:
    receiver = start_receiver()
    with receiver.client() as client:
        signed_in(receiver, client)
        assert client.post("/v1/webhook/segment", json={"api_key": "wrong"}).status_code == 401
        page = client.get(INBOUND_LOG.path)
        assert 'name="min_time_ms"' in page.text and "(ms)" in page.text
        assert "Response time (ms)" in page.text
        kept = client.get(INBOUND_LOG.path, params={"min_time_ms": "0"}).text
        dropped = client.get(INBOUND_LOG.path, params={"min_time_ms": "3600000"}).text
        old = client.get(INBOUND_LOG.path, params={"min_time": "3600"}).text
        bad = client.get(INBOUND_LOG.path, params={"min_time_ms": "-1"}).text
        api = client.get("/v1/logs", params={"min_time_ms": 3_600_000}, headers=receiver.auth).json()
        api_kept = client.get("/v1/logs", params={"min_time_ms": 0}, headers=receiver.auth).json()
    assert 'class="entry"' in kept and 'class="entry"' not in dropped and 'class="entry"' not in old
    assert "Response time must be a number of milliseconds, 0 or more." in bad
    assert api["items"] == [] and len(api_kept["items"]) == 1
