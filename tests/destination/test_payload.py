"""Payload cleaning, coercion and validation behave like Segment's removeEmptyValues + ajv setup."""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import FINITE_FLOATS, json_scalars, json_trees

from destination.definition.model import PROJECT_ROOT, load_definition
from destination.definition.payload_schemas import payload_schemas
from destination.errors import PayloadValidationError
from destination.js.values import UNDEFINED, number_to_string, string_to_number
from destination.payload.empty import remove_empty_values
from destination.payload.validator import PayloadValidator

SCHEMAS = payload_schemas(load_definition())
EVENT = PayloadValidator(SCHEMAS["event"])
PROFILE = PayloadValidator(SCHEMAS["profile"])
RAW = {name: PayloadValidator(SCHEMAS[name], clean=False) for name in ("event", "profile")}


def error_of(validator: PayloadValidator, payload: Any) -> tuple[str, str]:
    with pytest.raises(PayloadValidationError) as info:
        validator.validate(payload)
    return info.value.message, info.value.field


def single(schema: dict[str, Any], **options: Any) -> PayloadValidator:
    """A validator for an object with one property `v` of the given schema."""
    return PayloadValidator({"type": "object", "properties": {"v": {"title": "V", **schema}}}, **options)


# -- removeEmptyValues ------------------------------------------------------------------------


def test_empty_values_go_where_segment_drops_them() -> None:
    out = PROFILE.validate(
        {
            "customer": "c",
            "account": "",  # "" at the top level always goes
            "data": {"first_name": None, "email": "", "extra": None, "phone": UNDEFINED},
        }
    )
    # Nested: null goes (type string has no null), "" stays (string allows it), untyped extra stays.
    assert out == {"customer": "c", "data": {"email": "", "extra": None}}


def test_untyped_subtrees_are_left_alone() -> None:
    out = EVENT.validate({"customer": "c", "action": "a", "data": {"x": None, "y": "", "z": {"w": None}}})
    assert out["data"] == {"x": None, "y": "", "z": {"w": None}}


def test_null_and_empty_required_fields_become_missing() -> None:
    assert error_of(EVENT, {"customer": None, "action": "a"})[0] == (
        "The root value is missing the required field 'customer'."
    )
    assert error_of(EVENT, {"customer": "c", "action": ""})[0] == (
        "The root value is missing the required field 'action'."
    )


def test_remove_empty_values_keeps_original_array_items() -> None:
    schema = {
        "type": "object",
        "properties": {
            "list": {"type": "array", "items": {"type": "object", "properties": {"a": {"type": "number"}}}},
            "nums": {"type": "array", "items": {"type": "number"}},
        },
    }
    value = {"list": [{"a": None}, None], "nums": [1, "", None, 2]}
    # Items that clean to nothing are dropped; kept items are not cleaned inside.
    assert remove_empty_values(value, schema, is_root=True) == {"list": [{"a": None}], "nums": [1, 2]}
    assert remove_empty_values(None, {"type": "string"}) is None
    assert remove_empty_values("", {"type": "string"}) == ""


# -- coercion ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (123456, "123456"),
        (True, "true"),
        (False, "false"),
        (1.5, "1.5"),
        (1e21, "1e+21"),
        (0.1 + 0.2, "0.30000000000000004"),
        (-0.0, "0"),
        (2**60, "1152921504606847000"),  # the double, printed with shortest digits
        (["x"], "x"),
        ([7], "7"),
        ([None], ""),
    ],
)
def test_string_coercion(given: Any, expected: str) -> None:
    out = EVENT.validate({"customer": given, "action": "a"})
    assert out["customer"] == expected


@pytest.mark.parametrize(
    ("schema", "given", "expected"),
    [
        ({"type": "number"}, "12", 12),
        ({"type": "number"}, " 1.5 ", 1.5),
        ({"type": "number"}, "0x1A", 26),
        ({"type": "number"}, True, 1),
        ({"type": "number"}, None, 0),
        ({"type": "integer"}, "2", 2),
        ({"type": "integer"}, 3.0, 3.0),
        ({"type": "boolean"}, "true", True),
        ({"type": "boolean"}, "false", False),
        ({"type": "boolean"}, 0, False),
        ({"type": "boolean"}, 1, True),
        ({"type": "boolean"}, None, False),
        ({"type": "null"}, "", None),
        ({"type": "null"}, 0, None),
        ({"type": "null"}, False, None),
        ({"type": "array"}, "x", ["x"]),
        ({"type": "array"}, None, [None]),
        ({"type": ["number", "string"]}, True, 1),
        ({"type": ["string", "number"]}, True, "true"),
    ],
)
def test_ajv_coercion_table(schema: dict[str, Any], given: Any, expected: Any) -> None:
    out = single(schema, clean=False).validate({"v": given})
    assert out["v"] == expected and type(out["v"]) is type(expected)


@pytest.mark.parametrize(
    ("schema", "given", "it_was"),
    [
        ({"type": "number"}, "abc", "a string"),
        ({"type": "number"}, "", "a string"),
        ({"type": "integer"}, "1.5", "a string"),
        ({"type": "boolean"}, "yes", "a string"),
        ({"type": "boolean"}, 2, "a number"),
        ({"type": "string"}, {"a": 1}, "an object"),
        ({"type": "string"}, [1, 2], "an array"),
        ({"type": "string"}, [{}], "an object"),  # ajv looked inside the one-element array
        ({"type": "object"}, ["x"], "an array"),  # objects are never coerced
    ],
)
def test_values_ajv_cannot_coerce(schema: dict[str, Any], given: Any, it_was: str) -> None:
    validator = single(schema, clean=False)
    expected_type = schema["type"]
    message, field = error_of(validator, {"v": given})
    assert (
        message
        == f"V must be {'an' if expected_type in ('integer', 'object', 'array') else 'a'} {expected_type} but it was {it_was}."
    )
    assert field == "/v"


def test_coerce_false_reports_the_wrong_type() -> None:
    strict = PayloadValidator(SCHEMAS["event"], coerce=False)
    assert error_of(strict, {"customer": 123456, "action": "a"}) == (
        "Customer ID must be a string but it was a number.",
        "/customer",
    )


def test_union_types_are_listed_with_or() -> None:
    validator = single({"type": ["string", "number", "null"]})
    assert error_of(validator, {"v": {}})[0] == "V must be a string, number, or null but it was an object."


# -- validation and messages ------------------------------------------------------------------


def test_properties_the_schema_forbids_are_removed() -> None:
    assert EVENT.validate({"customer": "c", "action": "a", "api_key": "k", "x": 1}) == {
        "customer": "c",
        "action": "a",
    }


def test_forbidden_properties_can_be_reported_instead() -> None:
    strict = PayloadValidator(SCHEMAS["event"], remove_additional=False)
    message = (
        "The root value has an unexpected property, x, which is not in the list of allowed "
        "properties (customer, action, account, data)."
    )
    assert error_of(strict, {"customer": "c", "action": "a", "x": 1}) == (message, "/x")


def test_first_error_in_ajv_order() -> None:
    # Missing required fields (in `required` order) come before property type errors.
    assert error_of(EVENT, {"data": "x"}) == ("The root value is missing the required field 'customer'.", "/customer")
    assert error_of(EVENT, {"customer": "c", "data": "x"})[0] == (
        "The root value is missing the required field 'action'."
    )
    # Property errors follow the schema's property order, not the payload's.
    payload = {"customer": "c", "data": {"phone": [1, 2], "first_name": {}}}
    assert error_of(PROFILE, payload) == ("First name must be a string but it was an object.", "/data/first_name")


def test_labels_come_from_titles_with_pointer_fallback() -> None:
    schema = {"type": "object", "properties": {"a/b": {"type": "object", "required": ["x"]}}}
    assert error_of(PayloadValidator(schema), {"a/b": {}}) == (
        "The value at /a~1b is missing the required field 'x'.",
        "/a~1b/x",
    )
    assert error_of(PROFILE, {"customer": "c", "data": []})[0] == "Data must be an object but it was an array."
    assert error_of(PROFILE, [])[0] == "The root value must be an object but it was an array."


def test_enum_format_and_limits() -> None:
    enum = single({"enum": ["a", "b", 3]})
    assert error_of(enum, {"v": "z"})[0] == 'V must be one of: "a", "b", or 3.'
    assert enum.validate({"v": 3}) == {"v": 3}
    # Coercion runs before enum: 3 becomes "3", which is not listed.
    assert error_of(single({"type": "string", "enum": ["a", 3]}), {"v": 3})[0] == 'V must be one of: "a" or 3.'
    email = single({"type": "string", "format": "email"})
    assert error_of(email, {"v": "nope"})[0] == "V must be a valid email address string but it was not."
    assert email.validate({"v": "a@example.com"}) == {"v": "a@example.com"}
    password = single({"type": "string", "format": "password"})
    assert password.validate({"v": "anything"}) == {"v": "anything"}
    bounded = single({"type": "number", "minimum": 1, "maximum": 5})
    assert error_of(bounded, {"v": 9})[0] == "V must be equal to or less than 5."
    assert error_of(bounded, {"v": "0.5"})[0] == "V must be equal to or greater than 1."


def test_validate_does_not_modify_its_input() -> None:
    payload = {"customer": 1, "action": ["a"], "account": "", "extra": 1, "data": {"first_name": None}}
    before = copy.deepcopy(payload)
    PROFILE.validate(payload)
    EVENT.validate(payload)
    assert payload == before


def test_schema_read_from_committed_file() -> None:
    schema = json.loads((PROJECT_ROOT / "schemas" / "event.schema.json").read_text(encoding="utf-8"))
    assert PayloadValidator(schema).validate({"customer": 5, "action": "a"}) == {"customer": "5", "action": "a"}


def test_unsupported_keywords_are_refused() -> None:
    with pytest.raises(ValueError, match="pattern"):
        PayloadValidator({"type": "object", "properties": {"a": {"type": "string", "pattern": "x"}}})


# -- properties -------------------------------------------------------------------------------

json_values = json_trees(
    json_scalars(floats=FINITE_FLOATS, text=st.text(max_size=8)), st.text(max_size=6), size=4, leaves=20
)
field_values = st.one_of(json_values, st.sampled_from(["", None, [], [None], ["x"], {}, UNDEFINED, [UNDEFINED]]))
profile_like = st.fixed_dictionaries(
    {},
    optional={
        "customer": field_values,
        "action": field_values,
        "account": field_values,
        "data": field_values
        | st.dictionaries(st.sampled_from(["first_name", "email", "phone", "x"]), field_values, max_size=4),
        "extra": field_values,
    },
)


@settings(max_examples=300, deadline=None)
@given(payload=profile_like | json_values)
def test_only_payload_errors_escape_and_results_fit_the_schema(payload: Any) -> None:
    for name, validator in (("event", EVENT), ("profile", PROFILE)):
        schema = SCHEMAS[name]
        try:
            out = validator.validate(payload)
        except PayloadValidationError as exc:
            assert exc.message.endswith(".") and exc.message[0].isupper()
            continue
        assert set(out) <= set(schema["properties"])
        assert all(key in out for key in schema["required"])
        for key, spec in schema["properties"].items():
            if key in out:
                assert isinstance(out[key], str if spec["type"] == "string" else dict)
        # A validated payload passes again unchanged (without cleaning: coercion may yield "").
        assert RAW[name].validate(out) == out


def outcome(validator: PayloadValidator, payload: Any) -> Any:
    try:
        return validator.validate(payload)
    except PayloadValidationError as exc:
        return ("error", exc.message, exc.field)


@settings(max_examples=200, deadline=None)
@given(payload=profile_like)
def test_compiled_cleaning_matches_the_reference_remove_empty_values(payload: Any) -> None:
    for name, validator in (("event", EVENT), ("profile", PROFILE)):
        reference = remove_empty_values(payload, SCHEMAS[name], is_root=True)
        assert outcome(validator, payload) == outcome(RAW[name], reference)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_number_to_string_round_trips(x: float) -> None:
    text = number_to_string(x)
    assert float(text) == x or (x == 0 and text == "0")
    assert string_to_number(text) == x


@given(st.integers(min_value=-(2**53), max_value=2**53))
def test_safe_integers_print_like_python(n: int) -> None:
    assert number_to_string(n) == str(n)
    assert number_to_string(float(n)) == str(n)


@given(st.text(max_size=12))
def test_string_to_number_never_raises(text: str) -> None:
    value = string_to_number(text)
    assert isinstance(value, float)
    if text.strip() and not math.isnan(value) and "_" in text:
        pytest.fail("JavaScript does not accept digit separators")
