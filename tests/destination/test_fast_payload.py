"""The payload shortcuts give exactly what the general path gives, on generated inputs.

1. `payload_fused`: the generated build-and-validate function, where it returns, returns what
   `json_view(validator.validate(mapping.raw(event)))` returns (same values, types and key
   order); where the general path raises, it does not return. `CompiledAction.payload` gives
   the general path's value or error either way, `@merge`s taken apart included.
2. The one-pass object check (and integer-to-digits shortcut) in `SchemaNode.run` agrees
   with the step-by-step walk.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import json_trees

from destination.definition.model import load_definition
from destination.definition.payload_schemas import payload_schemas
from destination.definition.subscriptions import load_mappings, load_presets
from destination.delivery.action import CompiledAction
from destination.delivery.fused import fuse
from destination.errors import DestinationError
from destination.js.objects import json_view
from destination.js.values import UNDEFINED
from destination.mapping.engine import compile_mapping
from destination.payload.node import SchemaNode
from destination.payload.validator import PayloadValidator

DEFINITION = load_definition()
SCHEMAS = payload_schemas(DEFINITION)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- generated events, mappings and schemas ----------------------------------------------------

KEYS = st.sampled_from(["a", "b", "o", "customer", "action", "data", "first_name", "phone", "0", "", "x y"])
SCALARS = st.one_of(
    st.sampled_from([None, "", "a", 1, 1.5, True, math.nan]),
    st.none(),
    st.booleans(),
    st.integers(-(2**60), 2**60) | st.sampled_from([0, 1, 2**1030]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "a", "1", "true", "false", "0x1F", " 2 ", "2020-01-01", "a@b.co", "😀"]),
    st.text(max_size=4),
)
JSON = json_trees(SCALARS, KEYS, size=3, leaves=8)
VALUES = st.one_of(st.just(""), st.none(), st.sampled_from(["a", "1", 1, 1.5, True, math.inf, [], {}]), JSON)
OBJECTS = st.dictionaries(KEYS, VALUES, max_size=4)
EVENTS = st.fixed_dictionaries(
    {},
    optional={
        "a": VALUES,
        "b": VALUES,
        "o": OBJECTS | VALUES,
        "userId": VALUES,
        "traits": OBJECTS | VALUES,
        "properties": OBJECTS | VALUES,
        "": VALUES,
    },
)

SIMPLE_PATHS = st.sampled_from(["$.a", "$.b", "$.userId", "$.o.a", "$.traits.first_name", "$.properties.a"])
PATHS = SIMPLE_PATHS | st.sampled_from(
    ["$.o", "$.o.b", "$.o.0", "$.a.length", "$.o.a.b", "$.properties", "$", "a", '$.o["a"]', "$.o[0]", "$."]
)
LEAF_MAPPINGS = st.one_of(
    SCALARS,
    SIMPLE_PATHS.map(lambda p: {"@path": p}),
    SIMPLE_PATHS.map(lambda p: {"@path": p}),
    PATHS.map(lambda p: {"@path": p}),
    PATHS.map(lambda p: {"@path": {"@path": p}}),
    st.builds(lambda p: {"@template": "{{" + p[2:] + "}}!"}, PATHS),
    st.builds(lambda p: {"@if": {"exists": {"@path": p}, "then": 1, "else": None}}, PATHS),
    st.builds(lambda p: {"@merge": {"direction": "right", "objects": [{"a": {"@path": p}}, {"b": 2}]}}, PATHS),
    st.builds(lambda p: {"@arrayPath": [p, {"v": {"@path": "$.a"}}]}, PATHS),
    st.builds(lambda p: {"@json": {"mode": "decode", "value": {"@path": p}}}, PATHS),
    st.just({"@json": {"mode": "decode", "value": "NaN"}}),
    st.builds(lambda p: [{"@path": p}, 1], PATHS),
    st.just({"@bogus": 1}),
)
MAPPING_VALUES = st.recursive(LEAF_MAPPINGS, lambda sub: st.dictionaries(KEYS, sub, max_size=3), max_leaves=6)
MAPPINGS = st.dictionaries(KEYS, MAPPING_VALUES, min_size=1, max_size=5)
# A payload field's mapping: mostly a plain `@path`, as in real subscriptions.
FIELDS = st.one_of(SIMPLE_PATHS.map(lambda p: {"@path": p}), LEAF_MAPPINGS, MAPPING_VALUES)


DIRECTIONS = st.sampled_from(["left", "right"]) | st.sampled_from(["up", 1, {"@path": "$.a"}])


def merges(objects: st.SearchStrategy[Any], min_size: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    lists = st.lists(objects, min_size=min_size, max_size=3)
    return st.builds(lambda d, o: {"@merge": {"direction": d, "objects": o}}, DIRECTIONS, lists)


def mappings_for(schema: Any) -> st.SearchStrategy[Any]:
    """Mappings for an object schema: mostly its own properties (in any order), nested likewise,
    or a `@merge` of such objects (keys overlapping, some members failing at transform time)."""
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict) or not properties:
        return FIELDS
    fields = {key: mappings_for(sub) | FIELDS for key, sub in properties.items()}
    chosen = st.fixed_dictionaries({}, optional={**fields, "extra": FIELDS, "0": FIELDS})
    objects = chosen.flatmap(lambda d: st.permutations(list(d.items()))).map(dict)
    return objects | merges(objects)


TYPES = st.sampled_from(["string", "number", "integer", "boolean", "null", "object", "array"])
LEAF_SCHEMAS = (
    st.fixed_dictionaries(
        {},
        optional={
            "title": st.just("Field"),
            "type": TYPES | st.lists(TYPES, min_size=1, max_size=3, unique=True),
            "enum": st.lists(st.sampled_from(["a", "1", 1, True, None, ""]), min_size=1, max_size=3),
            "nullable": st.booleans(),
            "format": st.sampled_from(["email", "date-like", "text"]),
            "minimum": st.integers(-3, 3),
            "maxLength": st.integers(0, 4),
            "items": st.fixed_dictionaries({"type": TYPES}),
        },
    )
    | st.booleans()
)


def _object_schemas(sub: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"type": st.sampled_from(["object", ["object", "null"]]), "properties": st.dictionaries(KEYS, sub, max_size=5)},
        optional={
            "required": st.lists(KEYS, max_size=3, unique=True),
            "additionalProperties": st.booleans() | st.fixed_dictionaries({"type": TYPES}),
            "title": st.just("Thing"),
        },
    )


OBJECT_SCHEMAS = _object_schemas(st.recursive(LEAF_SCHEMAS, _object_schemas, max_leaves=6))
ROOT_SCHEMAS = OBJECT_SCHEMAS | st.sampled_from([SCHEMAS["event"], SCHEMAS["profile"]])
OPTIONS = st.fixed_dictionaries(
    {"coerce": st.booleans(), "remove_additional": st.booleans(), "clean": st.sampled_from([True, True, True, False])}
)


# -- references -------------------------------------------------------------------------------


def _nodes(node: SchemaNode) -> list[SchemaNode]:
    children = list((node.properties or {}).values())
    children += [n for n in (node.additional, node.items) if isinstance(n, SchemaNode)]
    return [node, *(n for child in children for n in _nodes(child))]


def step_by_step(validator: PayloadValidator) -> PayloadValidator:
    """The same validator with its shortcuts (one-pass object check, integer digits) turned off."""
    options = validator.root.options
    clone = PayloadValidator(
        validator.schema, coerce=options.coerce, remove_additional=options.remove_additional, clean=validator.clean
    )
    for node in _nodes(clone.root):
        node.plain_object = node.digits_for_integers = False
    return clone


def outcome(run: Callable[..., Any], *args: Any) -> tuple[str, ...]:
    """`run(*args)` as text (types, key order and all), or the error's class, message and field."""
    try:
        return ("value", repr(run(*args)))
    except DestinationError as exc:
        return ("error", type(exc).__name__, exc.message, getattr(exc, "field", ""))


def general_payload(validator: PayloadValidator, mapping: Any, event: Any) -> Any:
    """What `CompiledAction.payload` computes without its shortcuts (the mapping compiled afresh)."""
    return json_view(validator.validate(compile_mapping(mapping).raw(event)))


# -- 1. fused payloads --------------------------------------------------------------------------


@FAST
@given(ROOT_SCHEMAS, OPTIONS, st.lists(EVENTS, min_size=1, max_size=3), st.data())
def test_fused_payload_agrees_with_the_general_path(
    schema: dict[str, Any], options: dict[str, bool], events: list[dict[str, Any]], data: st.DataObject
) -> None:
    # Mostly the schema's own properties, so that cleaning and validation have work to do.
    mapping = data.draw(mappings_for(schema) | MAPPINGS)
    try:
        compiled = compile_mapping(mapping)
    except DestinationError:
        return
    validator = PayloadValidator(schema, **options)
    reference = step_by_step(validator)
    fused = fuse(compiled, validator)
    for event in events:
        general = outcome(general_payload, reference, mapping, event)
        assert outcome(general_payload, validator, mapping, event) == general
        if fused is not None:
            try:
                got = fused(event)
            except Exception:
                continue
            assert general == ("value", repr(got))


MERGE_KEYS = st.sampled_from(["first_name", "phone", "x", "0", "1"])
MERGE_VALUES = st.one_of(
    st.sampled_from(["v", "w", 5, None, ""]),
    SIMPLE_PATHS.map(lambda p: {"@path": p}),
    PATHS.map(lambda p: {"@path": {"@path": p}}),  # fails when `p` does not give a string
    st.dictionaries(MERGE_KEYS, SIMPLE_PATHS.map(lambda p: {"@path": p}), max_size=2),
)


@FAST
@given(
    merges(st.dictionaries(MERGE_KEYS, MERGE_VALUES, min_size=1, max_size=4), min_size=2),
    st.sampled_from(["profile", "event"]),
    st.lists(EVENTS, min_size=1, max_size=3),
)
def test_fused_merges_agree_with_the_general_path(
    merge: dict[str, Any], action_key: str, events: list[dict[str, Any]]
) -> None:
    action = CompiledAction(DEFINITION, DEFINITION.action(action_key), {"customer": "c", "action": "a", "data": merge})
    for event in events:
        reference = step_by_step(action.validator)
        assert outcome(action.payload, event) == outcome(general_payload, reference, action.mapping, event)


@pytest.mark.parametrize(
    ("merge", "data"),
    [
        # A key keeps the place it first had and takes the value it last had.
        ({"direction": "right", "objects": [{"x": "v", "phone": "p"}, {"x": 5}]}, {"x": 5, "phone": "p"}),
        # `left`: the objects are assigned last to first ("1" comes first within its object).
        (
            {"direction": "left", "objects": [{"x": "v", "phone": "p"}, {"x": 5, "1": "a"}]},
            {"1": "a", "x": "v", "phone": "p"},
        ),
        # A winner that resolves to nothing leaves the key out, even when a loser had a value.
        ({"direction": "right", "objects": [{"x": "v"}, {"x": {"@path": "$.none"}}]}, {}),
        # Integer-like keys come first within each object, not across them.
        ({"direction": "right", "objects": [{"b": 1, "0": 2}, {"1": 3, "a": 4}]}, {"0": 2, "b": 1, "1": 3, "a": 4}),
    ],
)
def test_fused_merges_place_and_pick_keys_like_object_assign(merge: dict[str, Any], data: dict[str, Any]) -> None:
    action = CompiledAction(DEFINITION, DEFINITION.action("profile"), {"customer": "c", "data": {"@merge": merge}})
    assert action._fused is not None
    assert repr(action.payload({})) == repr({"customer": "c", "data": data})


def test_a_merge_whose_overridden_mappings_can_fail_is_not_taken_apart() -> None:
    failing = {"@merge": {"direction": "right", "objects": [{"x": {"@path": {"@path": "$.n"}}}, {"x": 1}]}}
    action = CompiledAction(DEFINITION, DEFINITION.action("profile"), {"customer": "c", "data": failing})
    with pytest.raises(DestinationError, match="@path: expected string, got number"):
        action.payload({"n": 5})
    assert action.payload({"n": "$.n"}) == {"customer": "c", "data": {"x": 1}}


@FAST
@given(MAPPINGS, st.sampled_from(sorted(DEFINITION.actions)), st.lists(EVENTS, min_size=1, max_size=3))
def test_compiled_action_payload_is_the_general_paths(
    mapping: dict[str, Any], action_key: str, events: list[dict[str, Any]]
) -> None:
    action = CompiledAction(DEFINITION, DEFINITION.action(action_key), mapping)
    for event in events:
        expected = outcome(general_payload, step_by_step(action.validator), action.mapping, event)
        assert outcome(action.payload, event) == expected


def test_the_shipped_subscriptions_are_fused() -> None:
    for subscription in load_presets(DEFINITION) + load_mappings(DEFINITION):
        action = CompiledAction(DEFINITION, DEFINITION.action(subscription.action), subscription.mapping)
        assert action._fused is not None, subscription.name


def test_fused_payload_shares_values_taken_whole_but_never_the_mappings_own() -> None:
    action = CompiledAction(
        DEFINITION, DEFINITION.action("event"), {"customer": "c", "action": "a", "data": {"k": [1, 2]}}
    )
    first = action.payload({})
    first["data"]["k"].append(3)
    assert action.payload({}) == {"customer": "c", "action": "a", "data": {"k": [1, 2]}}
    properties = {"total": 5}
    passed = CompiledAction(
        DEFINITION, DEFINITION.action("event"), {"customer": "c", "action": "a", "data": {"@path": "$.p"}}
    )
    assert passed.payload({"p": properties})["data"] is properties


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"userId": "u", "event": "e", "properties": {"x": math.nan}}, {"x": None}),
        ({"userId": "u", "event": "e", "properties": {"x": [math.inf, 1.5]}}, {"x": [None, 1.5]}),
        ({"userId": "u", "event": "e", "properties": {"x": 2**1030}}, {"x": 2**1030}),
    ],
)
def test_non_finite_numbers_from_the_event_show_as_null(event: dict[str, Any], expected: Any) -> None:
    action = CompiledAction(
        DEFINITION,
        DEFINITION.action("event"),
        {"customer": {"@path": "$.userId"}, "action": "a", "data": {"@path": "$.properties"}},
    )
    assert action.payload(event)["data"] == expected


PROFILE_MAPPING = {
    "customer": {"@path": "$.a"},
    "account": {"@path": "$.b"},
    "data": {"first_name": {"@path": "$.o.a"}, "phone": {"@path": "$.o.b"}, "x": {"@path": "$.o.x"}},
}
EVENT_MAPPING = {"customer": {"@path": "$.a"}, "action": {"@path": "$.o.a"}, "data": {"@path": "$.o.b"}}


@pytest.mark.parametrize(
    ("action_key", "mapping", "event"),
    [
        ("profile", PROFILE_MAPPING, {"a": "c", "b": "", "o": {"a": "", "b": 5, "x": None}}),  # "" kept inside
        ("profile", PROFILE_MAPPING, {"a": "c", "b": None, "o": {"a": None, "b": "", "x": ""}}),  # null dropped
        ("profile", PROFILE_MAPPING, {"a": "", "o": {}}),  # "" at the top: the required customer is missing
        ("profile", PROFILE_MAPPING, {"a": 7, "b": True, "o": {"a": 1.5, "b": [3], "x": [None]}}),  # coerced
        ("profile", PROFILE_MAPPING, {"a": "c", "o": {"a": {}, "b": [1, 2]}}),  # not coercible
        ("profile", PROFILE_MAPPING, {"a": "c", "o": "text"}),  # a path through a string
        ("event", EVENT_MAPPING, {"a": "c", "o": {"a": "x", "b": {"n": math.nan, "m": [math.inf]}}}),
        ("event", EVENT_MAPPING, {"a": "c", "o": {"a": "x", "b": None}}),
        ("event", EVENT_MAPPING, {"a": "c", "o": {"a": "", "b": {}}}),
        ("event", EVENT_MAPPING, {"a": "c", "o": {"a": "x", "b": "y"}}),
        ("event", {**EVENT_MAPPING, "extra": {"@path": "$.a"}}, {"a": "c", "o": {"a": "x"}}),  # removed
    ],
)
def test_payload_edge_cases_follow_the_general_path(action_key: str, mapping: Any, event: Any) -> None:
    action = CompiledAction(DEFINITION, DEFINITION.action(action_key), mapping)
    assert action._fused is not None
    expected = outcome(general_payload, step_by_step(action.validator), mapping, event)
    assert outcome(action.payload, event) == expected


def test_constants_the_schema_turns_into_containers_are_not_shared() -> None:
    schema = {"type": "object", "properties": {"tags": {"type": "array"}, "n": {"type": "number"}}}
    fused = fuse(compile_mapping({"tags": "x", "n": "5"}), PayloadValidator(schema))
    assert fused is not None
    first, second = fused({}), fused({})
    assert first == second == {"tags": ["x"], "n": 5} and first["tags"] is not second["tags"]


# -- 2. the one-pass object check ---------------------------------------------------------------


@FAST
@given(ROOT_SCHEMAS, OPTIONS, st.dictionaries(KEYS, JSON | st.just(UNDEFINED), max_size=6) | JSON)
def test_one_pass_object_check_agrees_with_the_step_by_step_walk(
    schema: dict[str, Any], options: dict[str, bool], payload: Any
) -> None:
    validator = PayloadValidator(schema, **options)
    assert outcome(validator.validate, payload) == outcome(step_by_step(validator).validate, payload)


@pytest.mark.parametrize("value", [5, -(2**53) + 1, 2**53, 2**60, 2**1030, True, 1.5, "7", None, [4], {}])
@pytest.mark.parametrize(
    "field",
    [
        {"type": "string"},
        {"type": "string", "maxLength": 2},
        {"type": "string", "enum": ["5"]},
        {"type": ["string", "number"]},
        {"type": "string", "format": "email"},
    ],
)
@pytest.mark.parametrize("coerce", [True, False])
def test_shortcuts_for_scalars_agree_with_the_step_by_step_walk(
    value: Any, field: dict[str, Any], coerce: bool
) -> None:
    validator = PayloadValidator({"type": "object", "properties": {"v": {"title": "V", **field}}}, coerce=coerce)
    payload = {"v": value}
    assert outcome(validator.validate, payload) == outcome(step_by_step(validator).validate, payload)
