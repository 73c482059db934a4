"""Segment's trigger language: the recorded conformance cases, Segment's rules one by one, and properties.

Expected verdicts in the rule tables were recorded by running `@segment/destination-subscriptions`
3.37.0 on the same inputs; several are surprising on purpose (they are how Segment behaves).
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from cases import load_cases
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import json_scalars, json_trees

from destination.errors import FQLSyntaxError
from destination.fql import parser as fql
from destination.fql.access import OBJECT_PROTOTYPE_NAMES

FQL_CASES = load_cases("fql")


def _answer(query: str, event: Any) -> dict[str, Any]:
    try:
        trigger = fql.parse(query)
    except FQLSyntaxError:
        return {"error": "parse"}
    try:
        return {"match": trigger.evaluate(event)}
    except fql.FQLEvaluationError:
        return {"error": "evaluate"}


def test_conformance_cases_are_there() -> None:
    assert len(FQL_CASES) >= 100
    assert {json.dumps(c["expect"], sort_keys=True) for c in FQL_CASES} >= {
        '{"match": true}',
        '{"match": false}',
        '{"error": "parse"}',
    }


@pytest.mark.parametrize("case", FQL_CASES, ids=[c["id"] for c in FQL_CASES])
def test_conformance(case: dict[str, Any]) -> None:
    assert _answer(case["query"], case["event"]) == case["expect"]
    if "match" in case["expect"]:
        assert fql.matches(case["query"], case["event"]) is case["expect"]["match"]


# Parsing: what Segment accepts and rejects ------------------------------------------------------

ACCEPTED = [
    'type = "track"',
    'type = "track" and (event = "A" or event = "B")',
    '(type = "a") and (event = "b")',
    'type = "track" foo',  # tokens that start nothing are skipped
    "type =",  # the end of input is taken as the value
    'contains(properties.x, "a"',  # a function's closing parenthesis is never checked
    '(properties.x = 1 and match(type, "t*"))',  # match() on `type` yields nothing, the rest stands
    "properties.x = 'v'",
    "userId = true",
    'traits.tier != "{\\"a\\":1}"',
    "x = 1 or userId != null",
]
REJECTED = [
    "",
    "foo bar",
    '= "x"',
    'match(type, "check*")',  # the only condition yields nothing
    'type = "track" &&& x',
    'type = "track',
    'type = track"',
    "type",
    '((type = "track")',
    '(a = 1 or (type = "x"))',  # a group inside a group never closes
    '(type = "a" or event = "b"',
    "x!=5",  # fql-ts wants a terminator after `!=`
    'type = "a"\r',
    'properties.x = "a" and constructor',
]


@pytest.mark.parametrize("query", ACCEPTED)
def test_accepted(query: str) -> None:
    assert fql.parse(query).source == query


@pytest.mark.parametrize("query", REJECTED)
def test_rejected(query: str) -> None:
    with pytest.raises(FQLSyntaxError):
        fql.parse(query)


def test_last_conjunction_of_a_level_wins() -> None:
    trigger = fql.parse('type = "a" and event = "b" or userId = "c"')
    assert trigger.tree.operator == "or" and len(trigger.tree.children) == 3
    assert trigger.matches({"userId": "c"})
    assert not fql.matches('type = "a" or event = "b" and userId = "c"', {"type": "a"})


def test_tree_has_segments_shape() -> None:
    assert fql.parse('type = "track" and (event = "A" or properties.total > 100)').as_segment() == {
        "type": "group",
        "operator": "and",
        "children": [
            {"type": "event-type", "operator": "=", "value": "track"},
            {
                "type": "group",
                "operator": "or",
                "children": [
                    {"type": "event", "operator": "=", "value": "A"},
                    {"type": "event-property", "name": "total", "operator": ">", "value": 100.0},
                ],
            },
        ],
    }
    assert fql.parse("properties.x = 5").as_segment()["children"] == [
        {"type": "event-property", "name": "x", "operator": "number_equals", "value": 5.0}
    ]
    assert fql.parse('!match(traits.email, "abc")').as_segment()["children"] == [
        {"type": "event-trait", "name": "email", "operator": "not_ends_with", "value": "bc"}
    ]
    assert fql.parse("properties.tags.0 = 1").as_segment()["children"] == [
        {"type": "event-property", "name": "tags", "operator": ".", "value": 0.0}
    ]


def test_parse_is_cached() -> None:
    assert fql.parse('event = "Cached"') is fql.parse('event = "Cached"')


@pytest.mark.parametrize(
    ("query", "line", "column", "fragment"),
    [
        ('type = "track" &&& x', 1, 16, "invalid character"),
        ('type = "track" and (event = "A" or event = "B"', 1, 20, "never closed"),
        ('(type = "a" or (event = "b"))', 1, 16, "inside another group"),
        ('type = "a"\n  and event = "x', 2, 15, "unterminated"),
        ('match(type, "check*")', 1, 7, "type"),
        ("type", 1, 5, "type"),
    ],
)
def test_error_points_at_the_offending_token(query: str, line: int, column: int, fragment: str) -> None:
    with pytest.raises(FQLSyntaxError) as caught:
        fql.parse(query)
    error = caught.value
    assert (error.line, error.column) == (line, column)
    assert fragment in error.message
    lines = query.split("\n")
    assert sum(len(x) + 1 for x in lines[: line - 1]) + column - 1 == error.offset


# Evaluation: Segment's validate ---------------------------------------------------------------

RULES = [
    ('type = "track"', {"type": "track"}, True),
    ('type = "track"', "track", False),
    ("type = 5.0", {"type": "5"}, True),  # type/event values are compared as strings
    ("properties.x = 5", {"properties": {"x": "5"}}, False),  # a number only equals a number
    ('properties.x = "5"', {"properties": {"x": 5}}, False),
    ("properties.x != 5", {"properties": {}}, False),  # numeric != needs a number
    ('properties.x != "5"', {"properties": {}}, True),  # string != holds when missing
    ('properties.x < "10"', {"properties": {"x": 9}}, True),  # Number("10")
    ("properties.x < true", {"properties": {"x": 0.5}}, True),  # Number(true) is 1
    ("properties.x > 100", {"properties": {"x": 10**400}}, True),  # beyond a double: Infinity
    ("properties.x = true", {"properties": {"x": "true"}}, False),  # only the boolean
    ("properties.x = true", {"properties": {"x": True}}, True),
    ("properties.x != true", {"properties": {"x": "true"}}, False),
    ("properties.x != null", {"properties": {"x": None}}, False),
    ("properties.x = null", {"properties": {}}, True),
    ("event != null", {}, True),  # for event, null is the string "null"
    ("name = null", {"name": None}, True),
    ("userId = true", {"userId": True}, True),
    ("userId = 5", {"userId": 5}, False),
    ('match(properties.x, "abc")', {"properties": {"x": "xbc"}}, True),  # no `*`: ends with all but 1st char
    ('match(properties.x, "*")', {"properties": {"x": ""}}, True),
    ('match(properties.x, "ab*")', {"properties": {"x": "abc"}}, True),
    ('match(properties.x, "*bc")', {"properties": {"x": "abc"}}, True),
    ('match(properties.x, "ab*")', {"properties": {"x": ["abc"]}}, False),
    ('contains(properties.x, "1")', {"properties": {"x": 123}}, False),
    ('!contains(event, "Order")', {"event": "Signed Up"}, True),
    ('!contains(event, "Order")', {}, False),
    ("properties.n.x = 0", {"properties": {"n": 0}}, True),  # a falsy value stops the path walk
    ('properties.n.x = ""', {"properties": {"n": ""}}, True),
    ("properties.n.x < 5", {"properties": {"n": 0}}, True),
    ("properties.n.x != null", {"properties": {"n": 10**400}}, False),
    ("properties.n.x = false", {"properties": False}, True),
    ("properties.items.length > 2", {"properties": {"items": [1, 2, 3]}}, True),
    ("properties.s.length = 3", {"properties": {"s": "abc"}}, True),
    ('properties.tags.0 = "vip"', {"properties": {"tags": ["vip"]}}, False),
    ("properties.x = 'v'", {"properties": {"x": "v"}}, False),  # single quotes stay in the value
    ("properties.x = 'v'", {"properties": {"x": "'v'"}}, True),
    ('traits.tier != "{\\"a\\":1}"', {"traits": {"tier": "{\\"}}, False),
    ("properties.x exists 1", {"properties": {"x": 0}}, True),  # any operator name validate knows
    ('properties.a\\.b = "v"', {"properties": {"a": {"b": "v"}}}, True),
    ("properties.constructor != null", {"properties": {}}, True),  # inherited from Object.prototype
    ('(contains(event, "a") and type = "t")', {"event": "xa", "type": "u"}, False),
]


@pytest.mark.parametrize(("query", "event", "expected"), RULES)
def test_rule(query: str, event: Any, expected: bool) -> None:
    assert fql.parse(query).evaluate(event) is expected


def test_null_event_fails_evaluation_but_never_matches() -> None:
    trigger = fql.parse('type = "track"')
    with pytest.raises(fql.FQLEvaluationError):
        trigger.evaluate(None)
    assert trigger.matches(None) is False


def test_empty_group_fails_only_when_reached() -> None:
    trigger = fql.parse('(match(type, "x")) or type = "track"')
    with pytest.raises(fql.FQLEvaluationError):
        trigger.evaluate({"type": "track"})
    assert trigger.matches({"type": "track"}) is False
    short_circuit = fql.parse('type = "track" or (match(type, "x"))')
    assert short_circuit.evaluate({"type": "track"}) is True


def test_explain_shows_each_condition_and_value() -> None:
    trigger = fql.parse('type = "track" and (properties.total > 100 or contains(traits.email, "@"))')
    checks = trigger.explain({"type": "track", "properties": {"total": 50}})
    assert checks == [
        fql.Check('type = "track"', "track", True),
        fql.Check("properties.total > 100", 50, False),
        fql.Check('contains(traits.email, "@")', fql.MISSING, False),
    ]
    assert trigger.matches({"type": "track", "properties": {"total": 50}}) is False
    assert repr(fql.MISSING) == "<missing>"
    assert [c.result for c in fql.parse('(match(type, "x")) or type = "t"').explain(None)] == [False, False]


# Properties -----------------------------------------------------------------------------------

JSON = json_trees(json_scalars(text=st.text(max_size=8)), st.text(max_size=6), size=4, leaves=12)
FIELDS = st.sampled_from(
    [
        "event",
        "name",
        "userId",
        "properties.total",
        "properties.a.b",
        "traits.email",
        "context.library.name",
        "properties.items.length",
        "traits.x.0",
        "properties",
    ]
)
KEYS = st.sampled_from(
    [
        "type",
        "event",
        "name",
        "userId",
        "properties",
        "traits",
        "context",
        "total",
        "a",
        "b",
        "email",
        "library",
        "items",
        "x",
        "0",
    ]
)
EVENTS = json_trees(
    json_scalars(text=st.sampled_from(["", "track", "a@b"])), KEYS, size=3, dict_size=5, leaves=16
) | st.dictionaries(KEYS, JSON, max_size=6)
VALUES = st.sampled_from(['"track"', '""', '"5"', "5", "-2.5", "true", "false", "null", '"a*"', '"*b"', "'q'"])
OPERATORS = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])


@st.composite
def conditions(draw: st.DrawFn) -> str:
    field, value = draw(FIELDS), draw(VALUES)
    shape = draw(st.sampled_from(["compare", "contains", "match", "not"]))
    if shape == "compare":
        return f"{draw(st.just('type') | FIELDS)} {draw(OPERATORS)} {value}"
    function = "match" if shape == "match" else "contains"
    return f"{'!' if shape == 'not' else ''}{function}({field}, {value})"


@st.composite
def queries(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            inner = draw(st.lists(conditions(), min_size=1, max_size=3))
            parts.append("(" + f" {draw(st.sampled_from(['and', 'or']))} ".join(inner) + ")")
        else:
            parts.append(draw(conditions()))
    return " ".join(p if i == 0 else f"{draw(st.sampled_from(['and', 'or']))} {p}" for i, p in enumerate(parts))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(queries(), EVENTS)
def test_valid_queries_never_raise_on_any_json(query: str, event: Any) -> None:
    trigger = fql.parse(query)
    assert trigger.matches(event) in (True, False)
    try:
        assert trigger.evaluate(event) is trigger.matches(event)
    except fql.FQLEvaluationError:
        assert trigger.matches(event) is False
    checks = trigger.explain(event)
    assert checks and all(isinstance(c, fql.Check) and c.condition in query for c in checks)


QUERY_TEXT = st.text(alphabet=st.sampled_from(list("typevnrcoaish.=!<>\"'()[],-_\\*0159 \t\n\rüé😀&")), max_size=40)


@settings(max_examples=300, deadline=None)
@given(st.one_of(QUERY_TEXT, st.text(max_size=30), queries().map(lambda q: q[: len(q) // 2])))
def test_any_text_parses_or_raises_syntax_error(text: str) -> None:
    try:
        trigger = fql.parse(text)
    except FQLSyntaxError as error:
        assert 0 <= error.offset <= len(text)
        assert error.line == text.count("\n", 0, error.offset) + 1 and error.column >= 1
        return
    assert trigger.source == text and trigger.matches({}) in (True, False)


NAMES = st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,8}", fullmatch=True).filter(
    lambda n: n not in {"and", "or", "null"} and n not in OBJECT_PROTOTYPE_NAMES
)
PLAIN = st.text(alphabet=st.characters(blacklist_characters='"\r', blacklist_categories=("Cs",)), max_size=10)
SCALARS = st.none() | st.booleans() | st.integers(-1000, 1000) | st.floats(-1e6, 1e6) | PLAIN


@settings(max_examples=300, deadline=None)
@given(NAMES, PLAIN, st.dictionaries(NAMES, SCALARS, max_size=4), st.data())
def test_single_conditions_agree_with_a_plain_reading(
    key: str, text: str, props: dict[str, Any], data: st.DataObject
) -> None:
    if data.draw(st.booleans()):
        props[key] = data.draw(st.just(text) | SCALARS)
    event = {"properties": props}
    value = props.get(key, fql.MISSING)
    is_text, is_number = isinstance(value, str), isinstance(value, (int, float)) and not isinstance(value, bool)
    assert fql.matches(f'properties.{key} = "{text}"', event) is (is_text and value == text)
    assert fql.matches(f'properties.{key} != "{text}"', event) is not (is_text and value == text)
    assert fql.matches(f'contains(properties.{key}, "{text}")', event) is (is_text and text in value)
    assert fql.matches(f'match(properties.{key}, "{text}*")', event) is (is_text and value.startswith(text))
    assert fql.matches(f"properties.{key} != null", event) is (value is not fql.MISSING and value is not None)
    assert fql.matches(f"properties.{key} = true", event) is (value is True)
    bound = data.draw(st.integers(-1000, 1000))
    assert fql.matches(f"properties.{key} > {bound}", event) is (is_number and value > bound)
    assert fql.matches(f"properties.{key} = {bound}", event) is (is_number and value == bound)


def test_numbers_follow_javascript() -> None:
    assert fql.matches('properties.x < " 0x10 "', {"properties": {"x": 15}})
    assert not fql.matches('properties.x < "1_0"', {"properties": {"x": 1}})
    assert fql.matches("properties.x < Infinity", {"properties": {"x": 1e308}})
    assert fql.matches("contains(event, 1.50)", {"event": "v1.5"})
    assert fql.matches("event = 100000000000000000000000", {"event": "1e+23"})
    assert fql.matches("properties.x = -0", {"properties": {"x": 0}})
    assert math.isnan(fql.parse("properties.x = -").tree.children[0].value)  # Number("-")
