"""`check_message` and `omit_unplanned`: one Segment message against the plan, RudderStack's violation kinds."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from destination.plan.check import (
    ADDITIONAL,
    DATATYPE,
    ENUM,
    FORMAT,
    PATTERN,
    REQUIRED,
    UNPLANNED,
    Violation,
    check_message,
    omit_unplanned,
)
from destination.plan.model import PlannedEvent, TrackingPlan, load_plan

ROOT = Path(__file__).resolve().parents[2]
PLAN = load_plan(ROOT / "tracking_plan.yaml")
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
NAMES = st.text("abcdefghij_", min_size=1, max_size=6)
_FORMATS = {"email": st.emails(), "date": st.dates().map(lambda d: d.isoformat())}


def satisfying(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values that fit a plan's property schema (the subset the plans here use)."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties") or {}
        required = {k: satisfying(v) for k, v in props.items() if k in (schema.get("required") or [])}
        optional = {k: satisfying(v) for k, v in props.items() if k not in required}
        return st.fixed_dictionaries(required, optional=optional)
    if kind == "array":
        return st.lists(satisfying(schema.get("items") or {"type": "string"}), max_size=3)
    if kind == "string":
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True)
        return _FORMATS.get(schema.get("format", ""), st.text(max_size=10))
    low = schema.get("minimum")
    if kind == "integer":
        return st.integers(min_value=low, max_value=10**9)
    if kind == "number":
        return st.floats(min_value=low, max_value=1e9, allow_nan=False) | st.integers(low, 10**6)
    if kind == "boolean":
        return st.booleans()
    return st.none()


def property_schemas(depth: int = 1) -> st.SearchStrategy[dict[str, Any]]:
    leaf = st.sampled_from(
        [
            {"type": "string"},
            {"type": "number"},
            {"type": "integer", "minimum": 0},
            {"type": "boolean"},
            {"type": "string", "enum": ["a", "b"]},
            {"type": "string", "pattern": "^[A-Z]{3}$"},
        ]
    )
    return leaf if depth == 0 else leaf | object_schemas(depth - 1)


def object_schemas(depth: int = 1) -> st.SearchStrategy[dict[str, Any]]:
    def build(props: dict[str, dict[str, Any]], picks: list[bool], closed: bool) -> dict[str, Any]:
        required = [k for k, pick in zip(props, picks) if pick]
        return {"type": "object", "properties": props, "required": required, "additionalProperties": not closed}

    return st.dictionaries(NAMES, property_schemas(depth), min_size=1, max_size=4).flatmap(
        lambda props: st.builds(build, st.just(props), st.lists(st.booleans(), min_size=len(props)), st.booleans())
    )


def single(schema: dict[str, Any]) -> TrackingPlan:
    return TrackingPlan(1, True, (PlannedEvent("track", "E", "", 1, "allow", schema, 0),))


def message_of(event: PlannedEvent, payload: Any) -> dict[str, Any]:
    message = {**event.representative(), "userId": "u1"}
    if event.section:
        message[event.section] = payload
    return message


@given(st.data())
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
def test_a_message_built_to_fit_the_shipped_plan_has_no_violations(data: st.DataObject) -> None:
    event = data.draw(st.sampled_from(PLAN.events))
    message = message_of(event, data.draw(satisfying(dict(event.schema))))
    assert check_message(PLAN, message) == []


@given(object_schemas(), st.data())
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
def test_a_message_built_to_fit_a_generated_schema_has_no_violations(schema: dict[str, Any], data: Any) -> None:
    plan = single(schema)
    assert check_message(plan, message_of(plan.events[0], data.draw(satisfying(schema)))) == []


@given(object_schemas(), st.data())
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
def test_removing_a_required_property_gives_exactly_one_required_missing(schema: dict[str, Any], data: Any) -> None:
    plan = single(schema)
    payload = data.draw(satisfying(schema))
    required = [k for k in schema["required"] if k in payload]
    if not required:
        return
    gone = data.draw(st.sampled_from(required))
    del payload[gone]
    [violation] = check_message(plan, message_of(plan.events[0], payload))
    assert (violation.type, violation.instance_path) == (REQUIRED, f"/properties/{gone}")
    assert gone in violation.message


@given(object_schemas(), st.data())
@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
def test_omitting_unplanned_leaves_a_fitting_message_and_only_declared_keys(schema: dict[str, Any], data: Any) -> None:
    plan = single({**schema, "additionalProperties": False})
    payload = data.draw(satisfying(schema))
    extra = data.draw(st.dictionaries(NAMES.map(lambda n: f"x_{n}"), st.integers(), max_size=3))
    message = message_of(plan.events[0], {**payload, **extra})
    before = copy.deepcopy(message)
    kept = omit_unplanned(plan, message)
    assert message == before  # a copy: the message itself is untouched
    assert set(kept["properties"]) <= set(schema["properties"])
    assert check_message(plan, kept) == []
    assert [v.type for v in check_message(plan, message)] == [ADDITIONAL] * len(extra)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_the_shipped_examples_fit_the_shipped_plan(path: Path) -> None:
    assert check_message(PLAN, json.loads(path.read_text())) == []


ORDER = json.loads((ROOT / "examples" / "order-completed.json").read_text())


def changed(**properties: Any) -> dict[str, Any]:
    message = copy.deepcopy(ORDER)
    message["properties"].update(properties)
    return message


@pytest.mark.parametrize(
    ("message", "kind", "pointer"),
    [
        (changed(total="129.90"), DATATYPE, "/properties/total"),
        (changed(currency="eur"), PATTERN, "/properties/currency"),
        (changed(products=[{"quantity": "one"}]), DATATYPE, "/properties/products/0/quantity"),
        ({**ORDER, "event": "Order Refunded"}, UNPLANNED, ""),
        ({"type": "page", "name": "Home"}, UNPLANNED, ""),
        (
            {"type": "track", "event": "Product Reviewed", "properties": {"product_id": "p", "rating": 7}},
            ENUM,
            "/properties/rating",
        ),
        ({"type": "identify", "traits": {"email": "no-at-sign"}}, FORMAT, "/traits/email"),
        ({"type": "track", "event": "Points Earned"}, REQUIRED, "/properties/points"),
    ],
)
def test_each_kind_of_violation_points_at_its_place(message: dict[str, Any], kind: str, pointer: str) -> None:
    [violation] = check_message(PLAN, message)
    assert (violation.type, violation.instance_path) == (kind, pointer)
    assert violation.as_dict() == {"type": kind, "message": violation.message, "meta": {"instancePath": pointer}}


def test_additional_properties_only_when_the_event_says_so() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False}
    plan = single(schema)
    assert check_message(plan, {"type": "track", "event": "E", "properties": {"a": "x", "b/c": 1}}) == [
        Violation(ADDITIONAL, "/properties/b~1c", "'b/c' is not in the plan for this event")
    ]
    assert check_message(PLAN, changed(coupon="X")) == []  # the shipped events leave it open


def test_omit_unplanned_drops_undeclared_keys_at_every_depth() -> None:
    message = changed(coupon="X", products=[{"product_id": "p", "colour": "red"}])
    kept = omit_unplanned(PLAN, message)
    assert "coupon" not in kept["properties"] and kept["properties"]["products"] == [{"product_id": "p"}]
    assert kept["properties"]["order_id"] == ORDER["properties"]["order_id"] and kept["context"] == ORDER["context"]
    assert "coupon" in message["properties"]
    unplanned = {"type": "track", "event": "Nope", "properties": {"a": 1}}
    assert omit_unplanned(PLAN, unplanned) == unplanned
