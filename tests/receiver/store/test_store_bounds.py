"""The store's bounds, on every backend alike: log bodies cut the same way, unauthenticated
refusals kept to their own share of the log, and a full outbound queue refusing a commit whole."""

from __future__ import annotations

from typing import Any

import pytest
from test_store_records import Source, entry

from receiver.store.bodies import MAX_ERROR_CHARS, MAX_ID_CHARS, bounded_body, dump_json
from receiver.store.contract import Change, LogFilter, LoyaltyStore, OutboxItem, StoreUnavailable
from receiver.store.limits import OUTBOX_FULL, OutboxFull

BODY_BYTES = 300


def _size(value: Any) -> int:
    return len(dump_json(value).encode("utf-8"))


def test_an_oversized_body_is_cut_the_same_way_with_its_original_size(backend):
    multibyte = {"text": "é" * 400}  # 400 characters, 800+ bytes: the bound counts bytes
    escaping = {"quotes": '"\\' * 400}  # JSON escapes double what the marker quotes
    small = {"status": "accepted"}

    async def body(store: LoyaltyStore) -> None:
        written = await store.log_add(
            "inbound",
            [
                entry(1, request=multibyte, response=small),
                entry(2, request=small, response=escaping, id="i" * 5000, error="e" * 9000, customer_id="c" * 2000),
                entry(3, request={"text": "é" * 100}, response=small),
            ],
        )
        found = (await store.log_query("inbound", LogFilter(), limit=10, cursor=None)).entries
        assert [e.seq for e in reversed(found)] == [e.seq for e in written]
        for kept in (written, list(reversed(found))):
            cut, echoed, whole = kept
            assert cut.truncated and cut.request == bounded_body(multibyte, BODY_BYTES).value
            assert cut.request["truncated"] is True and cut.request["length"] == _size(multibyte)
            assert cut.request["start"].startswith('{"text":"éé') and cut.response == small
            assert echoed.truncated and echoed.response == bounded_body(escaping, BODY_BYTES).value
            assert echoed.response["length"] == _size(escaping) and echoed.request == small
            assert (len(echoed.id), len(echoed.customer_id or ""), len(echoed.error or "")) == (
                MAX_ID_CHARS,
                MAX_ID_CHARS,
                MAX_ERROR_CHARS,
            )
            assert not whole.truncated and whole.request == {"text": "é" * 100}
            assert all(_size(e.request) <= BODY_BYTES and _size(e.response) <= BODY_BYTES for e in kept)

    backend.run(body, log_body_bytes=BODY_BYTES)


def test_what_a_database_cannot_hold_is_logged_replaced_the_same_way_everywhere(backend):
    """NUL and unpaired surrogates (valid JSON escapes, refused by PostgreSQL) must not fail the log's write."""
    hostile = {"ctx\x00": ["nul \x00 here", "lone \ud83d surrogate", "\\u0000 is text"], "ok": "é😀"}

    async def body(store: LoyaltyStore) -> None:
        [written] = await store.log_add("inbound", [entry(1, request=hostile, id="m\x00", error="e\ud800")])
        [found] = (await store.log_query("inbound", LogFilter(), limit=10, cursor=None)).entries
        for kept in (written, found):
            assert kept.request == {
                "ctx\ufffd": ["nul \ufffd here", "lone \ufffd surrogate", "\\u0000 is text"],
                "ok": "é😀",
            }
            assert (kept.id, kept.error, kept.truncated) == ("m\ufffd", "e\ufffd", False)
        assert (await store.log_query("inbound", LogFilter(id="m\ufffd"), limit=1, cursor=None)).entries

    backend.run(body)


def test_a_flood_of_unauthenticated_refusals_never_pushes_out_authenticated_entries(backend):
    async def body(store: LoyaltyStore) -> None:
        await store.log_add("inbound", [entry(n) for n in range(10)])
        # One call each: past the durable stores' retention sweep (every 256 writes), so rows are really deleted.
        for n in range(300):
            await store.log_add("inbound", [entry(1000 + n, status=401, authenticated=False)])
        kept = (await store.log_query("inbound", LogFilter(), limit=100, cursor=None)).entries
        assert [e.id for e in kept if e.authenticated] == [f"m-{n}" for n in range(9, -1, -1)]
        assert [e.id for e in kept if not e.authenticated] == ["m-1299", "m-1298"]
        assert await store.log_count("inbound", LogFilter()) == 12
        assert await store.log_count("inbound", LogFilter(status=401)) == 2
        await store.log_add("inbound", [entry(10)])  # an authenticated entry pushes out the oldest of its own kind
        kept = (await store.log_query("inbound", LogFilter(), limit=100, cursor=None)).entries
        assert [e.id for e in kept if e.authenticated] == [f"m-{n}" for n in range(10, 0, -1)]
        assert [e.id for e in kept if not e.authenticated] == ["m-1299", "m-1298"]

    backend.run(body, log_size=10, log_anonymous_share=0.2)


def test_a_full_outbound_queue_refuses_a_commit_whole_with_503_and_retry_after(backend):
    def add(points: int) -> Any:
        return lambda _view: Change("a", "point_add", {"points": points}, points=points)

    async def body(one: LoyaltyStore, two: LoyaltyStore) -> None:
        one.set_outbox_source(Source())
        await one.outbox_put([OutboxItem("u", f"m-{n}", "track", {"messageId": f"m-{n}"}) for n in range(2)])
        await one.apply("u1", add(5))  # the third message: the queue is now full
        with pytest.raises(OutboxFull) as refused:
            await one.apply("u1", add(7))
        error = refused.value
        assert isinstance(error, StoreUnavailable) and error.status == 503 and error.code == OUTBOX_FULL
        assert int(error.headers["Retry-After"]) > 0 and set(error.body()) == {"error"}
        with pytest.raises(OutboxFull):
            await two.outbox_put([OutboxItem("u", "m-x", "track", {"messageId": "m-x"})])
        # Nothing of a refused commit was written: no event, no points, no message.
        customer = await two.customer("u1")
        assert customer is not None and customer.balances == {"a": 5} and customer.event_count == 1
        assert await two.event_count() == 1 and await two.outbox_pending() == 3
        two.set_outbox_source(None)
        await two.apply("u2", add(1))  # a commit that queues nothing is not held back
        claimed = await two.outbox_claim(1, lease=30)
        await two.outbox_done([row.seq for row in claimed])
        one.set_outbox_source(Source())
        await one.apply("u1", add(7))  # room again: taken, with its message
        assert await one.outbox_pending() == 3 and (await one.customer("u1")).balances == {"a": 12}  # type: ignore[union-attr]

    backend.run(body, stores=2, outbox_size=3)
