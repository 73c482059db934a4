"""Lineage on every backend: an event keeps where it came from, through `apply` and through `write_batch`.

Hypothesis draws the lineage's text (any Unicode a messageId, a source or a mapping name may hold),
so what a backend's JSON column gives back is checked against what was written, not against a sample.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_store_batch import WINDOWS, message, request

from receiver.store.contract import Change, Lineage, LoyaltyStore

CUSTOMERS = itertools.count()
TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=40)
LINEAGES = st.builds(
    Lineage,
    log_entry_id=TEXT,
    source=st.sampled_from(["webhook", "segment:analytics-python", "segment:analytics.js"]),
    message_id=st.none() | TEXT,
    subscription=st.none() | TEXT,
    mapping_version=st.none() | st.text("0123456789abcdef", min_size=16, max_size=16),
)


def earn(points: int):
    return lambda _view: Change(account="", action="point_add", data={"points": points}, points=points)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lineage=LINEAGES)
def test_an_applied_event_keeps_its_lineage_as_written(backend, lineage: Lineage):
    customer = f"lin-{next(CUSTOMERS)}"  # the examples share the test's store

    async def body(store: LoyaltyStore) -> None:
        written = await store.apply(customer, earn(1), lineage=lineage)
        untraced = await store.apply(customer, earn(2))
        assert (written.lineage, untraced.lineage) == (lineage, None)
        found = await store.events(customer, offset=0, limit=10)
        assert found is not None
        assert [(e.id, e.lineage) for e in found[0]] == [(written.id, lineage), (untraced.id, None)]

    backend.run(body)


def test_a_batch_writes_each_events_own_lineage(backend):
    lineages = [Lineage(f"m{n}", "segment:analytics-python", f"m{n}", "Points Earned", f"{n:016x}") for n in range(3)]

    async def body(store: LoyaltyStore) -> None:
        units = [
            message(f"m{n}", replace(request(f"m{n}", "batch-lin", earn(n + 1)), lineage=lineages[n])) for n in range(3)
        ]
        results = await store.write_batch(units, WINDOWS)
        assert [r.outcomes[0].event.lineage for r in results] == lineages
        found = await store.events("batch-lin", offset=0, limit=10)
        assert found is not None and [e.lineage for e in found[0]] == lineages

    backend.run(body)


@pytest.mark.parametrize("points", [5])
def test_a_refused_decision_writes_no_lineage(backend, points: int):
    """A decision that raises writes neither the event nor where it came from."""

    def refuse(_view):
        raise ValueError("refused")

    async def body(store: LoyaltyStore) -> None:
        with pytest.raises(ValueError):
            await store.apply("refused-lin", refuse)
        assert await store.events("refused-lin", offset=0, limit=10) is None
        await store.apply("refused-lin", earn(points), lineage=Lineage("x", "webhook"))
        found = await store.events("refused-lin", offset=0, limit=10)
        assert found is not None and [e.lineage for e in found[0]] == [Lineage("x", "webhook")]

    backend.run(body)
