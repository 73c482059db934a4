"""The outbox sender against a stub Segment endpoint on loopback: batching, retries, refusals, shutdown."""

from __future__ import annotations

import asyncio
import base64
import email.utils
import socket
from collections import deque
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from destination.delivery.retry import RetryPolicy
from receiver.config.outbound import MAX_MESSAGE_BYTES, OutboundConfig
from receiver.logs.stored import StoredLog
from receiver.outbound.messages import outbox_item
from receiver.outbound.outbox import MAX_BACKOFF_FACTOR, Outbox
from receiver.store.entries import LogEntry, LogFilter
from receiver.store.limits import OutboxFull
from receiver.store.memory.store import MemoryStore

WRITE_KEY = "wk-delivery-0123456789"


def settings(url: str, **overrides: Any) -> OutboundConfig:
    fast = {"backoff_seconds": 0.01, "flush_timeout_seconds": 5.0, "request_timeout_seconds": 5.0}
    return OutboundConfig.model_validate({"write_key": WRITE_KEY, "base_url": url, **fast, **overrides})


def message(n: int, customer: str = "u1", pad: int = 0) -> dict[str, Any]:
    return {
        "type": "track",
        "event": "point_add",
        "properties": {"points": n, **({"pad": "x" * pad} if pad else {})},
        "userId": customer,
        "timestamp": "2024-11-26T15:15:49.000Z",
        "messageId": f"m-{n}",
        "integrations": {"Antavo (Actions)": False},
    }


def new_log() -> StoredLog:
    """The outbound log of a fresh memory store (the outbox's queue lives in the same store)."""
    return StoredLog(MemoryStore(), "outbound")


def make_outbox(config: OutboundConfig, log: StoredLog, **kwargs: Any) -> Outbox:
    store = log.store
    assert isinstance(store, MemoryStore)
    store.limits = replace(store.limits, outbox_size=config.queue_size)
    return Outbox(config, store, log, **kwargs)


async def offer(outbox: Outbox, item: dict[str, Any]) -> None:
    await outbox._store.outbox_put([outbox_item(item["userId"], item)])
    outbox.signal()


def entries(log: StoredLog, **where: Any) -> list[LogEntry]:
    return list(reversed(asyncio.run(log.query(LogFilter(**where), limit=10_000)).entries))


def pending(outbox: Outbox) -> int:
    return asyncio.run(outbox.pending())


def run(outbox: Outbox, messages: list[dict[str, Any]], *, before_start: bool = False) -> None:
    """Queue the messages (before or after starting), then stop: stop flushes."""

    async def go() -> None:
        if before_start:
            for item in messages:
                await offer(outbox, item)
        await outbox.start()
        if not before_start:
            for item in messages:
                await offer(outbox, item)
        await outbox.stop()

    asyncio.run(go())


def test_5xx_then_success_delivers_each_message_once_with_the_same_id(segment_stub):
    segment_stub.script.extend([500, 503])
    log = new_log()
    outbox = make_outbox(settings(segment_stub.url), log)
    run(outbox, [message(1), message(2)], before_start=True)
    statuses = [call.status for call in segment_stub.calls]
    assert statuses == [500, 503, 200]
    ids = [[m["messageId"] for m in call.messages] for call in segment_stub.calls]
    assert ids == [["m-1", "m-2"]] * 3, "a retry re-sends the same messages, messageIds unchanged"
    assert [m["messageId"] for m in segment_stub.delivered()] == ["m-1", "m-2"]
    assert all(call.path == "/v1/batch" for call in segment_stub.calls)
    expected = "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()
    assert {call.authorization for call in segment_stub.calls} == {expected}
    logged = entries(log)
    assert [(e.id, e.status, e.error, e.event_type, e.customer_id) for e in logged] == [
        ("m-1", 200, None, "track", "u1"),
        ("m-2", 200, None, "track", "u1"),
    ]
    assert logged[0].response == {"attempts": 3, "body": {"success": True}}
    assert outbox.counts == {"delivered": 2, "failed": 0, "refused": 0}


def test_a_429_is_retried_and_a_400_is_not(segment_stub):
    segment_stub.script.extend([429, 400])
    log = new_log()
    run(make_outbox(settings(segment_stub.url), log), [message(1)], before_start=True)
    assert [call.status for call in segment_stub.calls] == [429, 400]
    [entry] = entries(log)
    assert (entry.status, entry.error_code) == (400, "REJECTED")
    assert entry.response["attempts"] == 2 and "not retried" in entry.error


def test_retries_are_bounded_and_giving_up_is_logged(segment_stub):
    segment_stub.script.extend([500] * 10)
    log = new_log()
    run(make_outbox(settings(segment_stub.url, max_retries=2), log), [message(1)], before_start=True)
    assert len(segment_stub.calls) == 3 and segment_stub.delivered() == []
    [entry] = entries(log)
    assert (entry.status, entry.error_code, entry.response["attempts"]) == (500, "RETRIES_EXHAUSTED", 3)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_endpoint_is_retried_then_logged_with_no_status():
    log = new_log()
    url = f"http://127.0.0.1:{_closed_port()}"
    run(make_outbox(settings(url, max_retries=1), log), [message(1)], before_start=True)
    [entry] = entries(log)
    assert (entry.status, entry.error_code, entry.response["attempts"]) == (0, "RETRIES_EXHAUSTED", 2)
    assert "unreachable" in entry.error and WRITE_KEY not in str(entry)


def test_batches_respect_the_message_and_byte_limits_and_keep_order(segment_stub):
    small = [message(n) for n in range(230)]
    run(make_outbox(settings(segment_stub.url), new_log()), small, before_start=True)
    sizes = [len(call.messages) for call in segment_stub.calls]
    assert sizes == [100, 100, 30]
    assert [m["messageId"] for m in segment_stub.delivered()] == [f"m-{n}" for n in range(230)]

    segment_stub.calls.clear()
    limit = MAX_MESSAGE_BYTES + 1024
    large = [message(n, pad=5000) for n in range(20)]
    run(make_outbox(settings(segment_stub.url, batch_max_bytes=limit), new_log()), large, before_start=True)
    bodies = list(segment_stub.calls)
    assert all(len(call.messages) <= 6 for call in bodies) and len(bodies) >= 4
    assert [m["messageId"] for m in segment_stub.delivered()] == [f"m-{n}" for n in range(20)]


def test_a_full_outbox_refuses_more_and_loses_nothing_it_took(segment_stub):
    log = new_log()
    outbox = make_outbox(settings(segment_stub.url, queue_size=2), log)

    async def go() -> None:
        for n in range(2):
            await offer(outbox, message(n))
        with pytest.raises(OutboxFull) as refused:
            await offer(outbox, message(2))
        assert (refused.value.status, refused.value.code) == (503, "OUTBOUND_QUEUE_FULL")
        await outbox.start()
        await outbox.stop()
        await offer(outbox, message(3))  # drained: room again
        assert await outbox.pending() == 1

    asyncio.run(go())
    assert [m["messageId"] for m in segment_stub.delivered()] == ["m-0", "m-1"]
    assert [(e.id, e.status, e.error_code) for e in entries(log)] == [("m-0", 200, None), ("m-1", 200, None)]
    assert outbox.counts == {"delivered": 2, "failed": 0, "refused": 0}


def test_a_message_over_32kb_is_refused_not_sent(segment_stub):
    log = new_log()
    outbox = make_outbox(settings(segment_stub.url), log)
    run(outbox, [message(1, pad=MAX_MESSAGE_BYTES)], before_start=True)
    [entry] = entries(log)
    assert entry.error_code == "MESSAGE_TOO_LARGE" and pending(outbox) == 0 and segment_stub.calls == []


def test_shutdown_flushes_within_the_limit_and_logs_what_is_left(segment_stub):
    segment_stub.delay = 0.3
    log = new_log()
    outbox = make_outbox(settings(segment_stub.url, flush_timeout_seconds=5.0), log)
    run(outbox, [message(n) for n in range(3)])
    assert sorted(m["messageId"] for m in segment_stub.delivered()) == ["m-0", "m-1", "m-2"]

    log = new_log()
    segment_stub.delay = 1.0
    outbox = make_outbox(settings(segment_stub.url, flush_timeout_seconds=0.2, batch_max_messages=1), log)
    run(outbox, [message(n) for n in range(3)])
    codes = {e.id: e.error_code for e in entries(log)}
    assert codes == {"m-0": "NOT_CONFIRMED", "m-1": "NOT_DELIVERED", "m-2": "NOT_DELIVERED"}
    assert pending(outbox) == 0


def test_messages_offered_from_another_thread_are_delivered(segment_stub):
    log = new_log()
    outbox = make_outbox(settings(segment_stub.url), log)

    async def go() -> None:
        await outbox.start()
        await asyncio.gather(*(asyncio.to_thread(asyncio.run, offer(outbox, message(n))) for n in range(20)))
        assert await outbox.flush(5.0)
        await outbox.stop()

    asyncio.run(go())
    assert sorted(m["messageId"] for m in segment_stub.delivered()) == sorted(f"m-{n}" for n in range(20))


@given(retries=st.integers(0, 20), base=st.floats(0.001, 60))
def test_the_outbox_retries_under_the_shared_policy(retries, base):
    outbox = make_outbox(settings("http://127.0.0.1:9", max_retries=retries, backoff_seconds=base), new_log())
    ceiling = base * MAX_BACKOFF_FACTOR
    assert outbox.retry == RetryPolicy(
        attempts=retries + 1, base=base, cap=ceiling, retry_after_max=ceiling, statuses=frozenset({429})
    )


@pytest.mark.parametrize("form", ["seconds", "http-date"])
def test_segment_retry_after_is_honoured_in_both_forms(segment_stub, form):
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    segment_stub.script.extend([429, 503])
    in_seven = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=7), usegmt=True)
    segment_stub.retry_after = "7" if form == "seconds" else in_seven
    log = new_log()
    run(make_outbox(settings(segment_stub.url, backoff_seconds=1.0), log, sleep=sleep), [message(1)], before_start=True)
    assert [call.status for call in segment_stub.calls] == [429, 503, 200]
    assert len(waits) == 2 and all(5.0 < wait <= 7.0 for wait in waits), waits
    assert [(entry.id, entry.error_code) for entry in entries(log)] == [("m-1", None)]


def test_the_write_key_is_never_in_the_log_even_if_the_data_holds_it(segment_stub):
    log = new_log()
    leaky = message(1)
    leaky["properties"]["note"] = f"key={WRITE_KEY}"
    run(make_outbox(settings(segment_stub.url), log), [leaky], before_start=True)
    [entry] = entries(log)
    assert WRITE_KEY not in repr(entry) and "[REDACTED]" in entry.request["properties"]["note"]
    assert segment_stub.delivered()[0]["properties"]["note"] == f"key={WRITE_KEY}", "the data itself is sent as is"


def test_with_no_retries_a_5xx_is_final(segment_stub):
    segment_stub.script = deque([502])
    log = new_log()
    run(make_outbox(settings(segment_stub.url, max_retries=0), log), [message(1)], before_start=True)
    run(make_outbox(settings(segment_stub.url, max_retries=0), log), [message(2)], before_start=True)
    assert [c.status for c in segment_stub.calls] == [502, 200]
    assert [(e.id, e.error_code) for e in entries(log)] == [("m-1", "RETRIES_EXHAUSTED"), ("m-2", None)]
