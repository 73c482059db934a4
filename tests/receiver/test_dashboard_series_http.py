"""The dashboard's time series and freshness over plain HTTP, against real uvicorn receivers.

Queue depth is sampled in the background while the outbox cannot reach Segment (a loopback
port nobody listens on), so its rows stay queued and the sampled series must show them;
freshness is per source (the webhook, and each Segment library of the Tracking API) on the
memory store and on SQLite; every window's bars are a rate per minute; the fragment the
page's auto-refresh swaps in refuses a signed-out browser.
"""

from __future__ import annotations

import time
from datetime import datetime

import httpx
import pytest
from test_dashboard_tester_http import signed_in, track
from unreachable import unreachable_outbound

from receiver.pages.dashboard import WINDOWS
from receiver.routes.dashboard import MAX_REFRESH_SECONDS, MIN_REFRESH_SECONDS, refresh_seconds

EARN = {"event": "Points Earned", "properties": {"points": 5, "source": "s", "reason": "r"}}
SAMPLE_SECONDS = 0.05


def poll(client: httpx.Client, until, window: str = "15m", timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        data = client.get("/dashboard/data", params={"window": window}).json()
        if until(data):
            return data
        assert time.monotonic() < deadline, data["outbound"]
        time.sleep(SAMPLE_SECONDS)


def test_queue_depth_is_a_sampled_series_that_shows_queued_rows(start_receiver):
    receiver = start_receiver(queue_sample_seconds=SAMPLE_SECONDS, outbound=unreachable_outbound())
    track(receiver, *({**EARN, "userId": f"q{i}", "messageId": f"q-{i}"} for i in range(3)))
    queued = receiver.call(receiver.store.outbox_pending())
    assert queued == 3  # one `track` per earn, none delivered
    with receiver.client() as client:
        signed_in(receiver, client)

        def shows_them(data: dict) -> bool:
            peaks = [value for value in data["outbound"]["queue_depth_series"]["peak"] if value is not None]
            return bool(peaks) and peaks[-1] == queued

        data = poll(client, shows_them)
        history = data["outbound"]["queue_depth_series"]
        assert data["outbound"]["queue_depth"] == queued
        assert len(history["peak"]) == len(data["inbound"]["buckets"]) == 15
        assert history["samples"] >= 1 and history["sample_seconds"] == SAMPLE_SECONDS
        assert history["last"][-1] == queued  # the newest bucket holds the current reading
        page = client.get("/", params={"window": "15m"}).text
    assert 'id="chart-queue"' in page and 'class="point" data-series="peak"' in page


def test_an_idle_queue_is_sampled_as_zero(start_receiver):
    receiver = start_receiver(queue_sample_seconds=SAMPLE_SECONDS)
    with receiver.client() as client:
        signed_in(receiver, client)
        data = poll(client, lambda d: d["outbound"]["queue_depth_series"]["samples"] >= 2)
    assert {value for value in data["outbound"]["queue_depth_series"]["peak"] if value is not None} == {0}


@pytest.mark.parametrize("receiver_backend", ["memory", "sqlite"], indirect=True)
def test_freshness_is_per_source(receiver_server):
    receiver = receiver_server
    library = {"context": {"library": {"name": "analytics-python", "version": "2.3.0"}}}
    track(receiver, {**EARN, "userId": "f1", "messageId": "py-1", **library})
    time.sleep(0.2)
    track(receiver, {**EARN, "userId": "f1", "messageId": "js-1", "context": {"library": {"name": "analytics.js"}}})
    track(receiver, {**EARN, "userId": "f1", "messageId": "py-1", **library})  # a duplicate still counts as arriving
    with receiver.client() as client:
        body = {"customer": "f2", "action": "point_add", "data": {"points": 1}, "api_key": receiver.api_key}
        assert client.post(receiver.webhook_url, json=body).status_code == 202
        signed_in(receiver, client)
        data = client.get("/dashboard/data").json()
        items = client.get("/v1/logs", headers=receiver.auth).json()["items"]
    fresh = {row["source"]: row for row in data["freshness"]}
    assert set(fresh) == {"webhook", "segment:analytics-python", "segment:analytics.js"}
    by_source = {item["source"]: datetime.fromisoformat(item["timestamp"]) for item in items}
    assert set(by_source) == set(fresh)
    for source, row in fresh.items():
        assert row["age_seconds"] is not None and row["age_seconds"] >= 0
        if source != "segment:analytics-python":  # its newest arrival is the duplicate, not in the inbound log
            assert datetime.fromisoformat(row["last"]) == by_source[source]
    # The duplicate (sent last) is the python library's freshest arrival.
    assert fresh["segment:analytics-python"]["last"] > fresh["segment:analytics.js"]["last"]
    assert [row["source"] for row in data["outbound_freshness"]] == ["To Segment · track", "To Segment · identify"]


@pytest.mark.parametrize(("window", "buckets", "width"), [("15m", 15, 60), ("1h", 60, 60), ("24h", 288, 300)])
def test_every_window_charts_events_per_minute(receiver_server, window, buckets, width):
    track(receiver_server, *({**EARN, "userId": "w1", "messageId": f"w-{i}"} for i in range(4)))
    with receiver_server.client() as client:
        signed_in(receiver_server, client)
        data = client.get("/dashboard/data", params={"window": window}).json()
        page = client.get("/", params={"window": window}).text
    inbound = data["inbound"]
    assert (len(inbound["buckets"]), inbound["bucket_seconds"]) == (buckets, width)
    for name, counts in inbound["outcomes"].items():
        assert inbound["per_minute"]["outcomes"][name] == [pytest.approx(n * 60 / width) for n in counts]
    assert sum(inbound["outcomes"]["applied"]) == 4
    assert max(inbound["per_minute"]["outcomes"]["applied"]) == pytest.approx(4 * 60 / width)
    for name, counts in data["outbound"]["series"].items():
        assert data["outbound"]["per_minute"][name] == [pytest.approx(n * 60 / width) for n in counts]
    assert "Events per minute by outcome" in page and ">events / min</text>" in page
    legend = "one bar per minute" if width == 60 else "one bar per 5 minutes, drawn as its average per minute"
    assert legend in page


def test_the_refresh_fragment_is_signed_in_only_and_the_page_has_no_inline_script(receiver_server):
    with receiver_server.client() as client:
        refused = client.get("/dashboard/fragment")
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "UNAUTHORIZED"
        signed_in(receiver_server, client)
        fragment = client.get("/dashboard/fragment", params={"window": "15m"})
        page = client.get("/", params={"refresh": "3"}).text
    assert fragment.status_code == 200 and 'id="total-events"' in fragment.text and "<html" not in fragment.text
    assert fragment.headers["content-security-policy"] == refused.headers["content-security-policy"]
    assert 'data-refresh-seconds="3"' in page and 'data-fragment="/dashboard/fragment?window=1h"' in page
    assert '<script src="/static/dashboard.js" defer></script>' in page
    assert page.count("<script") == 1 and 'id="auto-refresh" checked' in page


def test_refresh_seconds_are_kept_in_bounds():
    minutes, day = WINDOWS["1h"], WINDOWS["24h"]
    assert refresh_seconds(None, minutes) == 10 and refresh_seconds("x", minutes) == 10
    assert refresh_seconds(None, day) == 60
    assert refresh_seconds("0", day) == MIN_REFRESH_SECONDS and refresh_seconds("99999", day) == MAX_REFRESH_SECONDS
    assert refresh_seconds("30", minutes) == 30
