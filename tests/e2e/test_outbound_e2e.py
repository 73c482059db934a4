"""The outbound sync through a real receiver on loopback, delivering to a stub Segment endpoint."""

from __future__ import annotations

import statistics
import time
from typing import Any

import httpx
import pytest

from destination.definition.model import load_definition

WEBHOOK = "/v1/webhook/segment"
OUTBOUND_LOG = "/v1/outbound-logs"
WRITE_KEY = "wk-e2e-5f1d9c3a7b"


def outbound(url: str, **overrides: Any) -> dict[str, Any]:
    return {
        "write_key": WRITE_KEY,
        "base_url": url,
        "events": ["point_add", "checkout"],
        "customer_fields": ["first_name", "tier"],
        "backoff_seconds": 0.01,
        "flush_timeout_seconds": 1.0,
        **overrides,
    }


def event(api_key: str, customer: str = "u1", action: str = "point_add", **data: Any) -> dict[str, Any]:
    return {"customer": customer, "action": action, "account": "", "api_key": api_key, "data": data}


def profile(api_key: str, customer: str = "u1", **data: Any) -> dict[str, Any]:
    return {"customer": customer, "account": "", "data": data, "action": "profile", "api_key": api_key}


def wait_for_log(client: httpx.Client, auth: dict[str, str], count: int, **params: Any) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        items = client.get(OUTBOUND_LOG, headers=auth, params={"limit": 500, **params}).json()["items"]
        if len(items) >= count:
            return items
        time.sleep(0.02)
    raise AssertionError(f"the outbound log has {len(items)} entries, expected {count}")


def test_a_synced_point_add_leaves_as_a_track_and_both_logs_show_the_trip(start_receiver, segment_stub):
    receiver = start_receiver(outbound=outbound(segment_stub.url))
    with receiver.client() as client:
        answer = client.post(WEBHOOK, json=event(receiver.api_key, points=5000), headers={"X-Message-Id": "in-1"})
        assert answer.status_code == 202
        [sent] = segment_stub.wait_for(1)
        assert sent["type"] == "track" and sent["event"] == "point_add"
        assert sent["properties"] == {"points": 5000} and sent["userId"] == "u1"
        assert sent["integrations"][load_definition().name] is False
        [entry] = wait_for_log(client, receiver.auth, 1)
        assert entry["id"] == sent["messageId"] and entry["status"] == 200 and entry["error"] is None
        assert (entry["customer_id"], entry["event_type"]) == ("u1", "track")
        assert entry["request"] == sent and entry["response"]["attempts"] == 1
        inbound = client.get("/v1/logs", headers=receiver.auth, params={"id": "in-1"}).json()["items"]
        assert [e["status"] for e in inbound] == [202]
        identifies = client.get(OUTBOUND_LOG, params={"event_type": "identify"}, headers=receiver.auth).json()
        assert identifies["items"] == []


def test_profile_updates_send_only_synced_fields_and_only_when_one_changed(start_receiver, segment_stub):
    receiver = start_receiver(outbound=outbound(segment_stub.url))
    with receiver.client() as client:
        post = lambda body: client.post(WEBHOOK, json=body).status_code
        assert post(profile(receiver.api_key, first_name="Ada", last_name="Lovelace", tier="gold", shoe=38)) == 202
        assert post(profile(receiver.api_key, last_name="Byron", shoe=39)) == 202, "no synced field"
        assert post(profile(receiver.api_key, first_name="Ada", tier="gold")) == 202, "synced fields, unchanged"
        assert post(profile(receiver.api_key, first_name="Augusta", last_name="King")) == 202
        assert post(event(receiver.api_key, action="opt_in")) == 202, "not in Event sync"
        sent = segment_stub.wait_for(2)
        entries = wait_for_log(client, receiver.auth, 2)
    assert [(m["type"], m["traits"]) for m in sent] == [
        ("identify", {"first_name": "Ada", "tier": "gold"}),
        ("identify", {"first_name": "Augusta"}),
    ]
    time.sleep(0.2)
    assert len(segment_stub.delivered()) == 2 and len(entries) == 2
    assert all(m["userId"] == "u1" and m["messageId"].endswith("-identify") for m in sent)


def test_the_outbound_log_needs_the_key_and_never_shows_the_write_key(start_receiver, segment_stub):
    segment_stub.script.extend([500])
    receiver = start_receiver(outbound=outbound(segment_stub.url))
    with receiver.client() as client:
        assert client.get(OUTBOUND_LOG).status_code == 401
        assert client.get(OUTBOUND_LOG, headers={"Authorization": "Bearer nope"}).status_code == 401
        client.post(WEBHOOK, json=event(receiver.api_key, points=1, note=WRITE_KEY))
        [entry] = wait_for_log(client, receiver.auth, 1)
        assert entry["response"]["attempts"] == 2
        everything = client.get(OUTBOUND_LOG, headers=receiver.auth).text + client.get("/openapi.json").text
        everything += client.get("/healthz").text
    assert WRITE_KEY not in everything and "[REDACTED]" in everything
    assert not any(WRITE_KEY in line for line in receiver.log_lines)


@pytest.mark.parametrize("receiver_backend", ["memory", "sqlite"], indirect=True)
def test_a_full_outbox_refuses_the_event_whole_with_503_and_the_retry_is_applied(start_receiver, segment_stub):
    segment_stub.delay = 1.0  # the first message stays queued until Segment answers
    receiver = start_receiver(outbound=outbound(segment_stub.url, queue_size=1, flush_timeout_seconds=3.0))
    key = {"Idempotency-Key": "full-queue-retry"}
    with receiver.client() as client:
        assert client.post(WEBHOOK, json=event(receiver.api_key, points=1)).status_code == 202
        full = client.post(WEBHOOK, json=event(receiver.api_key, points=2), headers=key)
        assert full.status_code == 503 and int(full.headers["Retry-After"]) > 0
        assert full.json()["error"]["code"] == "OUTBOUND_QUEUE_FULL" and set(full.json()) == {"error"}
        assert receiver.customer("u1").balances == {"default": 1}, "nothing of the refused event was applied"
        segment_stub.wait_for(1)
        wait_for_log(client, receiver.auth, 1)
        retried = client.post(WEBHOOK, json=event(receiver.api_key, points=2), headers=key)
        assert retried.status_code == 202 and "Idempotent-Replayed" not in retried.headers
        final = wait_for_log(client, receiver.auth, 2)
        logged = client.get("/v1/logs", headers=receiver.auth, params={"status": 503}).json()["items"]
    assert [e["error_code"] for e in logged] == ["OUTBOUND_QUEUE_FULL"]
    assert receiver.customer("u1").balances == {"default": 3}
    assert [m["properties"]["points"] for m in segment_stub.delivered()] == [1, 2], "each accepted event sent once"
    assert {e["status"] for e in final} == {200}


def _p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[98]


def _latencies(client: httpx.Client, api_key: str, count: int) -> list[float]:
    samples = []
    for n in range(count):
        started = time.perf_counter()
        response = client.post(WEBHOOK, json=event(api_key, customer=f"c{n % 7}", points=1))
        samples.append(time.perf_counter() - started)
        assert response.status_code == 202
    return samples


def test_a_slow_segment_endpoint_does_not_slow_the_webhook(start_receiver, segment_stub):
    """The webhook never waits for Segment: all answers come while the first delivery is still held.

    Judged on order of events, not on timings, so a loaded machine cannot make it flaky: the stub
    holds its first answer for far longer than the requests take even on a busy CI machine.
    """
    segment_stub.delay = 10.0
    receiver = start_receiver(outbound=outbound(segment_stub.url, batch_max_messages=10, flush_timeout_seconds=0.2))
    with receiver.client() as client:
        _latencies(client, receiver.api_key, 105)
    assert segment_stub.delivered() == [], "no delivery had been answered while the webhook answered 105 requests"
    assert receiver.call(receiver.app.state.outbound.outbox.pending()) > 0, (
        "delivery really was lagging behind meanwhile"
    )


@pytest.mark.parametrize("receiver_backend", ["memory", "sqlite"], indirect=True)
def test_a_batch_the_store_cannot_take_answers_503_and_the_librarys_retry_is_applied_once(start_receiver, segment_stub):
    """A Tracking-API message refused for a full outbound queue is not lost: the call answers 503
    (which Segment's libraries retry), its messageId is released, and the retry applies it once."""
    segment_stub.delay = 1.0  # the first message stays queued until Segment answers
    receiver = start_receiver(outbound=outbound(segment_stub.url, queue_size=1, flush_timeout_seconds=3.0))
    basic = httpx.BasicAuth(receiver.write_key, "")
    message = {"type": "track", "event": "Points Earned", "userId": "u1", "messageId": "full-batch-1"}
    batch = {"batch": [{**message, "properties": {"points": 2, "source": "s", "reason": "r"}}]}
    with receiver.client() as client:
        assert client.post(WEBHOOK, json=event(receiver.api_key, points=1)).status_code == 202
        full = client.post("/v1/batch", json=batch, auth=basic)
        assert full.status_code == 503 and int(full.headers["Retry-After"]) > 0
        assert full.json()["code"] == "OUTBOUND_QUEUE_FULL" and full.json()["success"] is False
        assert receiver.customer("u1").balances == {"default": 1}, "nothing of the refused message was applied"
        segment_stub.wait_for(1)
        wait_for_log(client, receiver.auth, 1)
        assert client.post("/v1/batch", json=batch, auth=basic).status_code == 200
        assert client.post("/v1/batch", json=batch, auth=basic).status_code == 200  # now a duplicate: dropped
    assert receiver.customer("u1").balances == {"default": 3}
    assert receiver.app.state.ingest.fanout.stats.duplicates == 1
