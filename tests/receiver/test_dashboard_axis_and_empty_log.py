"""What the empty dashboard and the empty outbound log tell a person (issue 29, items 6 and 7)."""

from __future__ import annotations

import re

from markupsafe import escape
from test_dashboard_tester_http import signed_in

from receiver.views import DASHBOARD_PATH, INBOUND_LOG, OUTBOUND_LOG, SYNC_OFF

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
