"""The queue-depth history: bounded per-minute folding of readings, bucketing for the dashboard,
and the sampler task surviving a store that is down. Plus the log's source names."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from receiver.logs.sources import MAX_LIBRARY_CHARS, SEGMENT, tracking_source
from receiver.outbound.queue_depth import MINUTE, QueueDepthHistory
from receiver.store.contract import StoreUnavailable

T0 = 1_700_000_040.0  # a minute boundary


async def _never() -> int:
    raise AssertionError("not read in this test")


readings = st.lists(
    st.tuples(st.floats(min_value=0, max_value=4 * 3600, allow_nan=False), st.integers(0, 10_000)), max_size=200
)


@given(readings, st.integers(min_value=1, max_value=90), st.sampled_from([60, 300]))
def test_buckets_hold_each_kept_minutes_peak_and_last_reading(found, keep, width):
    history = QueueDepthHistory(_never, 1.0, keep_minutes=keep)
    ordered = sorted(found, key=lambda item: item[0])
    for offset, depth in ordered:
        history.record(depth, T0 + offset)
    assert len(history) <= keep
    minutes = sorted({int((T0 + offset) // MINUTE) for offset, _ in ordered})[-keep:]
    kept = [(offset, depth) for offset, depth in ordered if int((T0 + offset) // MINUTE) in minutes]
    count = 4 * 3600 // width + 1
    series = history.series(datetime.fromtimestamp(T0, UTC), width, count)
    for index in range(count):
        inside = [
            depth
            for offset, depth in kept
            if index * width <= (T0 + offset) // MINUTE * MINUTE - T0 < (index + 1) * width
        ]
        assert series["peak"][index] == (max(inside) if inside else None)
        assert series["last"][index] == (inside[-1] if inside else None)
    assert series["samples"] == len(kept)


def test_a_reading_from_a_clock_that_went_back_is_dropped():
    history = QueueDepthHistory(_never, 1.0)
    history.record(5, T0 + 120)
    history.record(9, T0)
    assert history.series(datetime.fromtimestamp(T0, UTC), 60, 3)["peak"] == [None, None, 5]


def test_the_sampler_keeps_sampling_while_the_store_is_down():
    answers: list[int | Exception] = [3, StoreUnavailable("down"), RuntimeError("bug"), 7]

    async def read() -> int:
        answer = answers.pop(0) if answers else 7
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def main() -> dict:
        history = QueueDepthHistory(read, 0.001, clock=lambda: T0 + 1)
        history.start()
        for _ in range(500):
            if not answers:
                break
            await asyncio.sleep(0.001)
        await history.stop()
        return history.series(datetime.fromtimestamp(T0, UTC), 60, 1)

    series = asyncio.run(main())
    assert answers == [] and series["peak"] == [7] and series["last"] == [7] and series["samples"] >= 2


@given(st.recursive(st.none() | st.text() | st.integers(), lambda kids: st.dictionaries(st.text(), kids), max_leaves=8))
def test_any_message_gets_a_short_printable_source(message):
    source = tracking_source(message)
    assert source == SEGMENT or (source.startswith(SEGMENT + ":") and len(source) > len(SEGMENT) + 1)
    assert len(source) <= len(SEGMENT) + 1 + MAX_LIBRARY_CHARS and source.isprintable()


@given(st.text(min_size=1))
def test_the_library_name_is_the_source(name):
    source = tracking_source({"context": {"library": {"name": name}}})
    cleaned = "".join(c for c in name if c.isprintable()).strip()[:MAX_LIBRARY_CHARS]
    assert source == (f"{SEGMENT}:{cleaned}" if cleaned else SEGMENT)
    assert tracking_source({"context": {"library": {"name": "analytics-python"}}}) == "segment:analytics-python"
