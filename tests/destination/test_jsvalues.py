"""The one home of JavaScript's scalar rules: the variants its callers choose between, and Node's answers.

FQL, the mapping kit and the payload validator share these functions; where they need different
behaviour it is an explicit argument (`objects`, `undefined`) or a separately named function (`json_truthy`),
and these tests pin down both sides. Expected strings are what Node 20 prints.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import json_scalars, json_trees

from destination.fql.access import JS_FUNCTION
from destination.fql.access import UNDEFINED as FQL_UNDEFINED
from destination.js.values import (
    UNDEFINED,
    json_truthy,
    number_to_string,
    to_js_string,
    to_number,
    truthy,
    type_name,
    typeof,
    utf16_length,
    utf16_units,
)

JSON = json_trees(json_scalars(floats=st.floats()), st.text(max_size=4), size=3, leaves=8)


@pytest.mark.parametrize(
    ("value", "name", "js_typeof"),
    [
        (None, "null", "object"),
        (UNDEFINED, "undefined", "undefined"),
        (True, "boolean", "boolean"),
        ("", "string", "string"),
        (0, "number", "number"),
        (1.5, "number", "number"),
        ([], "array", "object"),
        ({}, "object", "object"),
    ],
)
def test_type_names_of_json_values(value: Any, name: str, js_typeof: str) -> None:
    assert type_name(value) == type_name(value, Mapping) == name
    assert typeof(value) == typeof(value, Mapping) == js_typeof


def test_a_non_dict_mapping_is_an_object_only_where_the_caller_says_so() -> None:
    view = MappingProxyType({"a": 1})
    assert (type_name(view), typeof(view)) == ("undefined", "undefined")  # the payload side: plain JSON only
    assert (type_name(view, Mapping), typeof(view, Mapping)) == ("object", "object")  # the mapping kit


@given(JSON)
def test_json_truthy_is_truthy_on_json_values(value: Any) -> None:
    number = type(value) in (int, float)
    nan = type(value) is float and math.isnan(value)
    falsy = value is None or value is False or value == "" or (number and value == 0) or nan
    expected = not falsy
    assert truthy(value) is json_truthy(value) is expected


def test_non_json_values_are_truthy_except_for_json_truthy() -> None:
    for value in (MappingProxyType({}), JS_FUNCTION, object()):
        assert truthy(value) and not json_truthy(value)
    assert not truthy(UNDEFINED) and not json_truthy(UNDEFINED)
    # FQL names its own `undefined` marker; to FQL the mapping kit's sentinel is just an object
    assert not truthy(FQL_UNDEFINED, FQL_UNDEFINED) and truthy(UNDEFINED, FQL_UNDEFINED) and truthy(FQL_UNDEFINED)


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-7, "1e-7"),
        (1e-6, "0.000001"),
        (123e-20, "1.23e-18"),
        (-1.5e300, "-1.5e+300"),
        (0.1, "0.1"),
        (100.0, "100"),
        (-0.0, "0"),
        (2**53 + 1, "9007199254740992"),
        (10**400, "Infinity"),
        (-(10**400), "-Infinity"),
        (math.nan, "NaN"),
        (5e-324, "5e-324"),
    ],
)
def test_number_to_string_as_node_prints_it(number: float, text: str) -> None:
    assert number_to_string(number) == text
    assert to_js_string(number) == text


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ("0x1F", 31.0),
        (" 12\u00a0", 12.0),
        ("", 0.0),
        ("1e400", math.inf),
        ("-Infinity", -math.inf),
        ("1.", 1.0),
        (True, 1.0),
        (False, 0.0),
        (5, 5.0),
        (10**400, math.inf),
    ],
)
def test_to_number_as_node_reads_it(value: str | float | bool, number: float) -> None:
    assert to_number(value) == number


@pytest.mark.parametrize("text", ["abc", "1_000", "0x", "-0x10", "Infinityx", "1e"])
def test_to_number_is_nan_where_node_gives_nan(text: str) -> None:
    assert math.isnan(to_number(text))


@given(st.text(max_size=8))
def test_utf16_units_are_the_strings_code_units(text: str) -> None:
    units = utf16_units(text)
    assert len(units) == utf16_length(text)
    raw = text.encode("utf-16-le", "surrogatepass")
    assert "".join(units).encode("utf-16-le", "surrogatepass") == raw
