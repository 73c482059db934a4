"""Bounds by bytes (logs, idempotency, dedup), the window warning, and rate limits on failed keys."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest

from receiver.config.limits import LimitsConfig
from receiver.core.idempotency import Idempotency, Reservation, StoredResponse
from receiver.errors import ApiError
from receiver.ingest.dedup import MessageDeduplicator
from receiver.ratelimit import API_KEY, AuthGuard
from receiver.store.entries import LogFilter as InboundLogFilter
from receiver.store.limits import StoreLimits
from receiver.store.memory.expiring import ExpiringMap
from receiver.store.memory.ring import InboundLog
from receiver.store.memory.store import MemoryStore

WEBHOOK = "/v1/webhook/segment"


def _add(log: InboundLog, n: int, body: object, *, authenticated: bool = True) -> None:
    log.add(
        id=f"r{n}",
        timestamp=datetime.now(UTC),
        customer_id="c",
        event_type="track",
        status=202 if authenticated else 401,
        response_time=0.0,
        error=None,
        error_code=None,
        request=body,
        response={"ok": True},
        authenticated=authenticated,
    )


def test_the_log_is_bounded_by_bytes_and_cuts_long_bodies_marking_them():
    log = InboundLog(10_000, max_bytes=200_000, body_bytes=1_000)
    for n in range(1_000):
        _add(log, n, {"items": list(range(2_000))})
    assert log.bytes <= 200_000 and 0 < len(log) < 1_000
    newest = log.query(InboundLogFilter(), limit=1).entries[0]
    assert newest.truncated and newest.request["truncated"] is True
    assert newest.request["length"] > 1_000 and newest.request["start"].startswith('{"items":[0,1,2')
    small = InboundLog(10)
    _add(small, 1, {"a": 1})
    assert small.query(InboundLogFilter(), limit=1).entries[0].public()["truncated"] is False


def test_unauthenticated_entries_never_evict_authenticated_ones():
    log = InboundLog(100, max_bytes=1_000_000, anonymous_share=0.1)
    for n in range(50):
        _add(log, n, {"n": n})
    for n in range(5_000):
        _add(log, n, None, authenticated=False)
    entries = log.query(InboundLogFilter(), limit=500).entries
    assert sum(entry.authenticated for entry in entries) == 50
    assert sum(not entry.authenticated for entry in entries) == 10


def test_idempotency_keys_are_bounded_by_bytes_and_report_their_real_window():
    now = [0.0]
    store = MemoryStore(StoreLimits(idempotency_max_bytes=50_000, clock=lambda: now[0]))
    idempotency = Idempotency(store, ttl=3600)

    async def fill() -> None:
        for n in range(500):
            now[0] += 1
            claim = await idempotency.begin(f"key-{n}", "f")
            assert isinstance(claim, Reservation)
            await idempotency.finish(claim, StoredResponse(202, {"id": "x" * 100}))

    asyncio.run(fill())
    assert store.key_bytes <= 50_000 + 2_000 and store.key_count < 500
    window = store.key_window()
    assert window is not None and window < 3600
    [warning] = store.warnings()
    assert "Idempotency-Keys" in warning and "idempotency_ttl_seconds" in warning


def test_message_ids_in_the_memory_store_are_bounded_by_bytes_and_warn_when_the_window_shrinks():
    now = [0.0]
    store = MemoryStore(StoreLimits(dedup_max_bytes=10_000, clock=lambda: now[0]))
    dedup = MessageDeduplicator(store, window=100)

    async def fill() -> list[bool]:
        seen = []
        for n in range(1_000):
            now[0] += 0.01
            seen.append(await dedup.first_time(f"message-{n}"))
        return seen

    assert all(asyncio.run(fill()))
    assert store.message_bytes <= 10_000
    window = store.message_window()
    assert window is not None and window < 100
    [warning] = store.warnings()
    assert "messageIds" in warning and "dedup_window_seconds" in warning


def test_an_expiring_map_bounded_by_bytes_reports_entries_dropped_early():
    now = [0.0]
    seen: ExpiringMap[None] = ExpiringMap(100, 10**9, lambda: now[0], max_bytes=10_000)
    for n in range(1_000):
        now[0] += 0.01
        seen.put_new(f"message-{n}", None)
    assert seen.bytes <= 10_000
    assert seen.effective_window is not None and seen.effective_window < 100
    calm: ExpiringMap[None] = ExpiringMap(1, 10**9, lambda: now[0], max_bytes=10_000)
    for n in range(100):
        now[0] += 1
        calm.put_new(f"m-{n}", None)
    assert calm.effective_window is None


def test_healthz_warns_when_the_memory_window_falls_below_the_configured_one(start_receiver):
    receiver = start_receiver(limits={"idempotency_max_bytes": 4096})
    key = receiver.api_key
    with receiver.client() as client:
        assert client.get("/healthz").json()["warnings"] == []
        for n in range(10):
            body = {"customer": "w", "action": "opt_in", "api_key": key}
            assert client.post(WEBHOOK, json=body, headers={"Idempotency-Key": f"k{n}"}).status_code == 202
        warnings = client.get("/healthz").json()["warnings"]
    assert len(warnings) == 1 and "Idempotency-Keys" in warnings[0] and "idempotency_ttl_seconds" in warnings[0]
    assert any("receiver.store.memory.windows WARNING" in line for line in receiver.log_lines)


def test_failed_keys_are_limited_per_address_and_per_key_but_never_a_caller_without_failures():
    now = [0.0]
    limits = LimitsConfig(
        auth_failures_burst=3, auth_failures_per_minute=60, key_failures_burst=5, key_failures_per_minute=1
    )
    guard = AuthGuard(limits, clock=lambda: now[0])
    for _ in range(3):
        guard.check("10.0.0.1", API_KEY)
        guard.failed("10.0.0.1", API_KEY)
    with pytest.raises(ApiError) as refused:
        guard.check("10.0.0.1", API_KEY)
    assert refused.value.status == 429 and refused.value.headers["Retry-After"] == "1"
    guard.check("10.0.0.9", API_KEY)  # another address, never failed: not slowed
    now[0] += 1.0
    guard.check("10.0.0.1", API_KEY)  # a token earned back
    for address in ("10.0.0.2", "10.0.0.3"):  # the key's own budget (5) is now spent, from many addresses
        guard.failed(address, API_KEY)
    with pytest.raises(ApiError):
        guard.check("10.0.0.2", API_KEY)
    guard.check("10.0.0.9", API_KEY)  # still: a caller with no failures passes


def _from(address: str, base_url: str, **kwargs) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=10, transport=httpx.HTTPTransport(local_address=address), **kwargs)


def test_every_key_check_answers_429_with_retry_after_once_an_address_failed_too_often(start_receiver):
    receiver = start_receiver(limits={"auth_failures_burst": 3, "auth_failures_per_minute": 1})
    good = {"customer": "g", "action": "opt_in", "api_key": receiver.api_key}
    with (
        _from("127.0.0.2", receiver.base_url) as attacker,
        _from("127.0.0.3", receiver.base_url) as honest,
        _from("127.0.0.4", receiver.base_url) as other_attacker,
    ):
        statuses = [attacker.post(WEBHOOK, json={**good, "api_key": f"guess-{n}"}).status_code for n in range(4)]
        assert statuses == [401, 401, 401, 429]
        blocked = attacker.get("/v1/logs", headers={"Authorization": "Bearer guess"})
        assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) >= 1
        assert blocked.json()["error"]["code"] == "TOO_MANY_FAILED_ATTEMPTS"
        login = attacker.post("/login", data={"api_key": "guess", "next": "/logs"})
        assert login.status_code == 429 and "Retry-After" in login.headers
        # Another client with the good key is not slowed by those failures.
        assert honest.post(WEBHOOK, json=good).status_code == 202
        assert honest.get("/v1/logs", headers=receiver.auth).status_code == 200
        wrong_write = [
            other_attacker.post("/v1/track", json={"userId": "u", "event": "E"}, auth=(f"w{n}" * 8, "")).status_code
            for n in range(4)
        ]
        assert wrong_write == [401, 401, 401, 429]
        track = honest.post("/v1/track", json={"userId": "u", "event": "E"}, auth=(receiver.write_key, ""))
        assert track.status_code == 200


def test_unauthenticated_refusals_are_logged_without_body_or_customer_and_cannot_push_out_real_entries(
    start_receiver,
):
    receiver = start_receiver(log_size=50, limits={"auth_failures_burst": 10**6, "key_failures_burst": 10**6})
    key = receiver.api_key
    with receiver.client() as client:
        for n in range(20):
            client.post(WEBHOOK, json={"customer": f"real-{n}", "action": "opt_in", "api_key": key})
        for n in range(300):
            client.post(WEBHOOK, json={"customer": f"chosen-{n}", "action": "opt_in", "api_key": "x", "pad": "p" * 900})
        items = client.get("/v1/logs", params={"limit": 500}, headers=receiver.auth).json()["items"]
    assert sum(item["status"] == 202 for item in items) == 20
    refused = [item for item in items if item["status"] == 401]
    assert 0 < len(refused) <= 5
    assert all(item["request"] is None and item["customer_id"] is None for item in refused)
