"""The impact of a mapping change: both sets through the pipeline, compared per event and subscription.

1. A set compared with itself changes nothing, on any event.
2. A changed `@path` changes only the field it writes.
3. A disabled subscription is `no longer matched` on exactly the events it matched.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from destination.definition.model import load_definition
from destination.definition.subscriptions import Subscription, load_mappings
from destination.delivery.events import read_events
from destination.delivery.impact import FieldChange, Kind, field_changes, impact
from destination.delivery.pipeline import Pipeline

ROOT = Path(__file__).resolve().parents[2]
DEFINITION = load_definition()
SHIPPED = load_mappings(DEFINITION)
EXAMPLES = read_events(str(ROOT / "examples" / "events.jsonl"))

NAMES = st.sampled_from(["Order Completed", "Points Earned", "Signed Up", "Other"])
VALUES = st.one_of(st.none(), st.booleans(), st.integers(-5, 500), st.text(max_size=5), st.floats(allow_nan=False))
PROPERTIES = st.dictionaries(
    st.sampled_from(["order_id", "total", "revenue", "currency", "points", "reason", "loyalty_consent", "method"]),
    VALUES,
    max_size=6,
)
EVENTS = st.fixed_dictionaries(
    {"type": st.sampled_from(["track", "identify", "page"]), "event": NAMES, "properties": PROPERTIES},
    optional={"userId": st.text(min_size=1, max_size=6), "messageId": st.text(min_size=1, max_size=6)},
)
EASY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _named(name: str) -> Subscription:
    return next(s for s in SHIPPED if s.name == name)


def _replaced(edited: Subscription, **changes: Any) -> list[Subscription]:
    new = dataclasses.replace(edited, **changes)
    return [new if s.name == edited.name else s for s in SHIPPED]


@EASY
@given(st.lists(EVENTS, max_size=4))
def test_a_set_against_itself_changes_nothing(events: list[dict[str, Any]]) -> None:
    result = impact(DEFINITION, {}, SHIPPED, SHIPPED, events)
    assert {e.kind for e in result.entries} <= {Kind.UNCHANGED}
    assert not result.changed
    assert result.by_kind[Kind.UNCHANGED.value] == len(result.entries)


@EASY
@given(st.lists(EVENTS, max_size=4))
def test_a_changed_path_changes_only_its_field(events: list[dict[str, Any]]) -> None:
    order = _named("Order Completed → checkout")
    data = {**order.mapping["data"], "total": {"@path": "$.properties.revenue"}}
    edited = _replaced(order, mapping={**order.mapping, "data": data})
    result = impact(DEFINITION, {}, SHIPPED, edited, events)
    for entry in result.entries:
        if entry.subscription != order.name:
            assert entry.kind is Kind.UNCHANGED
        elif entry.kind is Kind.PAYLOAD_CHANGED:
            assert [f.pointer for f in entry.fields] == ["/data/total"]
        else:
            assert entry.kind in {Kind.UNCHANGED, Kind.NEW_ERROR, Kind.ERROR_FIXED, Kind.ERROR_CHANGED}


@EASY
@given(st.lists(EVENTS, max_size=4))
def test_disabling_a_subscription_unmatches_exactly_its_events(events: list[dict[str, Any]]) -> None:
    points = _named("Points Earned → point_add")
    result = impact(DEFINITION, {}, SHIPPED, _replaced(points, enabled=False), events)
    matched = {i for i, event in enumerate(events) if Pipeline(DEFINITION, [points], {}).matching(event)}
    gone = {e.event for e in result.entries if e.kind is Kind.NO_LONGER_MATCHED}
    assert gone == matched
    assert all(e.subscription == points.name for e in result.entries if e.kind is not Kind.UNCHANGED)


def test_the_examples_under_three_edits() -> None:
    order, signed, points = (
        _named(n) for n in ("Order Completed → checkout", "Signed Up → opt_in", "Points Earned → point_add")
    )
    edited = [
        dataclasses.replace(
            order,
            mapping={**order.mapping, "data": {**order.mapping["data"], "total": {"@path": "$.properties.revenue"}}},
        ),
        dataclasses.replace(signed, subscribe=signed.subscribe + ' and properties.method = "google"'),
        dataclasses.replace(points, mapping={**points.mapping, "customer": {"@path": "$.properties.customer_id"}}),
        *(s for s in SHIPPED if s.name not in {order.name, signed.name, points.name}),
    ]
    result = impact(DEFINITION, {}, SHIPPED, edited, EXAMPLES)
    kinds = {(e.event, e.subscription): e for e in result.entries}
    assert kinds[(1, signed.name)].kind is Kind.NO_LONGER_MATCHED
    assert kinds[(2, order.name)].fields == (FieldChange("/data/total", "changed", 129.9, 119.9),)
    assert kinds[(3, points.name)].kind is Kind.NEW_ERROR
    assert "customer" in (kinds[(3, points.name)].new_error or "")
    assert result.by_kind["unchanged"] == 1 and result.changed
    assert list(result.by_subscription) == sorted(result.by_subscription)
    json.dumps(result.as_dict())  # plain JSON


def test_added_and_removed_subscriptions() -> None:
    points = _named("Points Earned → point_add")
    result = impact(DEFINITION, {}, [], [points], EXAMPLES)
    assert [e.kind for e in result.entries] == [Kind.NEWLY_MATCHED]
    result = impact(DEFINITION, {}, [points], [], EXAMPLES)
    assert [e.kind for e in result.entries] == [Kind.NO_LONGER_MATCHED]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ({"a": 1}, {"a": 1}, []),
        ({"a": 1}, {"a": True}, [FieldChange("/a", "changed", 1, True)]),
        ({"a": 1}, {"a": 1.0}, []),
        ({"a": {"b/c": 1}}, {"a": {}}, [FieldChange("/a/b~1c", "removed", 1, None)]),
        ({}, {"x~": [1]}, [FieldChange("/x~0", "added", None, [1])]),
        (
            {"l": [1, 2]},
            {"l": [1, 3, 4]},
            [FieldChange("/l/1", "changed", 2, 3), FieldChange("/l/2", "added", None, 4)],
        ),
    ],
)
def test_field_changes_are_json_pointers(old: Any, new: Any, expected: list[FieldChange]) -> None:
    assert field_changes(old, new) == expected
