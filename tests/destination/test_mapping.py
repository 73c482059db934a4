"""mapping-kit: each directive's behaviour, the validator's messages, and every recorded case.

The expected values below are what `@segment/actions-core` 3.170.0 gives for the same input
(JavaScript quirks included: falsy values end a path walk, integer-like keys sort first,
`undefined` vanishes from objects but is `null` in arrays).
"""

from __future__ import annotations

from typing import Any

import pytest
from cases import load_cases

from destination.conformance.runner import same
from destination.errors import MappingError, MappingValidationError
from destination.js.objects import json_view
from destination.mapping.engine import UNDEFINED, compile_mapping, is_undefined, transform, validate_mapping


def outcome(mapping: Any, event: Any) -> dict[str, Any]:
    try:
        return {"output": transform(mapping, event)}
    except MappingValidationError as exc:
        return {"error": exc.errors[0]}
    except MappingError as exc:
        return {"error": exc.message}


# ---- the recorded cases -----------------------------------------------------------------------

TRANSFORM_CASES = load_cases("transform")
VALIDATE_CASES = load_cases("validate_mapping")


def test_the_recorded_cases_are_there() -> None:
    assert len(TRANSFORM_CASES) > 100 and len(VALIDATE_CASES) > 50


@pytest.mark.parametrize("case", TRANSFORM_CASES, ids=lambda c: c["id"])
def test_recorded_transform(case: dict[str, Any]) -> None:
    got = outcome(case["mapping"], case["event"])
    assert same(got, case["expect"]), (got, case["expect"])
    if "output" in got:
        compiled = compile_mapping(case["mapping"])
        assert same(compiled(case["event"]), got["output"])
        assert same(json_view(compiled.raw(case["event"])), got["output"])


@pytest.mark.parametrize("case", VALIDATE_CASES, ids=lambda c: c["id"])
def test_recorded_validate_mapping(case: dict[str, Any]) -> None:
    assert [issue.message for issue in validate_mapping(case["mapping"])] == case["expect"]["errors"]


# ---- directives, one behaviour per row ------------------------------------------------------

EVENT: dict[str, Any] = {
    "userId": "u1",
    "zero": 0,
    "empty": "",
    "no": False,
    "nothing": None,
    "n": 1.0,
    "big": 1e21,
    "tiny": 1e-7,
    "arr": ["z", "y"],
    "o": {"weird key": 1, "a.b": 2, "b": {"c": 3}},
    "items": [{"sku": "A", "qty": 2}, {"sku": "B"}],
    "traits": {"name": "Ann", "email": None, "tags": ["x", None, 2]},
    "json": '{"k":[1,2]}',
    "mixed": {"b": 1, "10": 2, "a": 3, "2": 4},
    "txt": "a-b-A-b",
    "tpl": "{{userId}}",
}

TRANSFORMS: list[tuple[str, Any, Any]] = [
    # @path: dots, brackets, indices, missing values, JavaScript's `value && value[key]`
    ("path", {"a": {"@path": "$.userId"}}, {"a": "u1"}),
    ("path-missing", {"a": {"@path": "$.missing.deeper"}, "b": 1}, {"b": 1}),
    (
        "path-brackets",
        {"a": {"@path": '$.o["weird key"]'}, "b": {"@path": "$.arr[1]"}, "c": {"@path": "$.arr.0"}},
        {"a": 1, "b": "y", "c": "z"},
    ),
    ("path-single-quotes", {"a": {"@path": "$.o['b'].c"}}, {"a": 3}),
    ("path-dot-in-key-unreachable", {"a": {"@path": '$.o["a.b"]'}}, {}),
    (
        "path-falsy-ends-walk",
        {
            "a": {"@path": "$.zero.x.y"},
            "b": {"@path": "$.empty.x"},
            "c": {"@path": "$.no.x"},
            "d": {"@path": "$.nothing.x"},
        },
        {"a": 0, "b": "", "c": False, "d": None},
    ),
    (
        "path-length",
        {"a": {"@path": "$.arr.length"}, "b": {"@path": "$.userId.length"}, "c": {"@path": "$.userId.0"}},
        {"a": 2, "b": 2, "c": "u"},
    ),
    ("path-whole-event", {"a": {"@path": "$."}}, {"a": EVENT}),
    ("path-first-dollar-dot-only", {"a": {"@path": "o.$.b"}}, {"a": {"c": 3}}),
    ("path-from-directive", {"a": {"@path": {"@template": "$.{{userId}}"}}}, {}),
    ("path-null-value-kept", {"a": {"@path": "$.nothing"}}, {"a": None}),
    # @template: missing and null render empty, JavaScript string conversion
    ("template", {"a": {"@template": "Hi {{traits.name}}!"}}, {"a": "Hi Ann!"}),
    (
        "template-missing-null",
        {"a": {"@template": "[{{traits.missing}}|{{nothing}}|{{zero}}|{{no}}]"}},
        {"a": "[||0|false]"},
    ),
    (
        "template-js-strings",
        {"a": {"@template": "{{n}} {{big}} {{tiny}} {{arr}} {{o}} {{traits.tags}}"}},
        {"a": "1 1e+21 1e-7 z,y [object Object] x,,2"},
    ),
    ("template-trim-triple", {"a": {"@template": "{{ userId }}/{{{userId}}}"}}, {"a": "u1/u1"}),
    ("template-no-placeholder", {"a": {"@template": "plain {{}}"}}, {"a": "plain {{}}"}),
    ("template-triple-then-double", {"a": {"@template": "{{{tpl}}}"}}, {"a": "u1"}),
    # @literal: raw values, and directives inside still resolve
    ("literal", {"a": {"@literal": {"x": {"@path": "$.userId"}, "y": [1, None]}}}, {"a": {"x": "u1", "y": [1, None]}}),
    ("literal-null", {"a": {"@literal": None}}, {"a": None}),
    # @if: exists / blank, then / else
    ("if-exists", {"a": {"@if": {"exists": {"@path": "$.userId"}, "then": "y", "else": "n"}}}, {"a": "y"}),
    ("if-exists-null", {"a": {"@if": {"exists": {"@path": "$.nothing"}, "then": "y", "else": "n"}}}, {"a": "n"}),
    ("if-exists-zero", {"a": {"@if": {"exists": {"@path": "$.zero"}, "then": "y", "else": "n"}}}, {"a": "y"}),
    (
        "if-blank-loose-empty",
        {
            "a": [
                {"@if": {"blank": {"@path": p}, "then": "y", "else": "n"}}
                for p in ("$.empty", "$.zero", "$.no", "$.userId", "$.arr")
            ]
        },
        {"a": ["n", "n", "n", "y", "y"]},
    ),
    ("if-no-else", {"a": {"@if": {"exists": {"@path": "$.missing"}, "then": "y"}}}, {}),
    ("if-falsy-else-ignored", {"a": {"@if": {"exists": {"@path": "$.missing"}, "then": "y", "else": 0}}}, {}),
    # @case
    (
        "case",
        {
            "a": {"@case": {"operator": "upper", "value": {"@path": "$.userId"}}},
            "b": {"@case": {"operator": "lower", "value": "ÀB"}},
        },
        {"a": "U1", "b": "àb"},
    ),
    ("case-not-a-string", {"a": {"@case": {"operator": "upper", "value": {"@path": "$.n"}}}}, {"a": 1}),
    ("case-empty-value", {"a": {"@case": {"operator": "upper", "value": ""}}}, {}),
    # @replace: literal patterns, flags, `$` replacement patterns, stringified numbers
    (
        "replace-global",
        {"a": {"@replace": {"pattern": "-", "replacement": "_", "value": {"@path": "$.txt"}}}},
        {"a": "a_b_A_b"},
    ),
    (
        "replace-first",
        {"a": {"@replace": {"pattern": "b", "replacement": "", "value": {"@path": "$.txt"}, "global": False}}},
        {"a": "a--A-b"},
    ),
    (
        "replace-ignorecase",
        {"a": {"@replace": {"pattern": "a", "replacement": "x", "value": {"@path": "$.txt"}, "ignorecase": True}}},
        {"a": "x-b-x-b"},
    ),
    (
        "replace-special-chars",
        {"a": {"@replace": {"pattern": ".*", "replacement": "$&$&", "value": "a.*b"}}},
        {"a": "a.*.*b"},
    ),
    (
        "replace-pattern2",
        {
            "a": {
                "@replace": {
                    "pattern": "-",
                    "replacement": "",
                    "pattern2": "b",
                    "replacement2": "B",
                    "value": {"@path": "$.txt"},
                }
            }
        },
        {"a": "aBAB"},
    ),
    (
        "replace-number",
        {"a": {"@replace": {"pattern": "0", "replacement": "", "value": {"@path": "$.big"}}}},
        {"a": "1e+21"},
    ),
    ("replace-object-gives-empty", {"a": {"@replace": {"pattern": "x", "value": {"@path": "$.o"}}}}, {"a": ""}),
    # @arrayPath
    (
        "arraypath-shape",
        {"a": {"@arrayPath": ["$.items", {"id": {"@path": "$.sku"}, "n": {"@path": "$.qty"}}]}},
        {"a": [{"id": "A", "n": 2}, {"id": "B"}]},
    ),
    ("arraypath-object-root", {"a": {"@arrayPath": ["$.o.b", {"v": {"@path": "$.c"}}]}}, {"a": [{"v": 3}]}),
    ("arraypath-no-shape", {"a": {"@arrayPath": ["$.arr"]}}, {"a": ["z", "y"]}),
    (
        "arraypath-directive-items",
        {"a": {"@arrayPath": ["$.traits.tags", {"@path": "$.length"}]}},
        {"a": [1, None, None]},
    ),
    # @json
    (
        "json-encode",
        {
            "a": {"@json": {"mode": "encode", "value": {"@path": "$.mixed"}}},
            "b": {"@json": {"mode": "encode", "value": {"@literal": [1.0, {"@path": "$.x"}]}}},
        },
        {"a": '{"2":4,"10":2,"b":1,"a":3}', "b": "[1,null]"},
    ),
    (
        "json-encode-escapes",
        {"a": {"@json": {"mode": "encode", "value": 'q"\n\u2028\u0001'}}},
        {"a": '"q\\"\\n\u2028\\u0001"'},
    ),
    (
        "json-encode-numbers-as-doubles",
        {"a": {"@json": {"mode": "encode", "value": {"@literal": [10**400, 2**60, -(10**400)]}}}},
        {"a": "[null,1152921504606847000,null]"},
    ),
    ("json-encode-undefined", {"a": {"@json": {"mode": "encode", "value": {"@path": "$.missing"}}}}, {}),
    (
        "json-decode",
        {
            "a": {"@json": {"mode": "decode", "value": {"@path": "$.json"}}},
            "b": {"@json": {"mode": "decode", "value": "NaN"}},
        },
        {"a": {"k": [1, 2]}, "b": "NaN"},
    ),
    ("json-mode-case-sensitive", {"a": {"@json": {"mode": "ENCODE", "value": "x"}}}, {}),
    # @flatten
    (
        "flatten",
        {"a": {"@flatten": {"separator": ".", "value": {"@path": "$.o"}}}},
        {"a": {"weird key": 1, "a.b": 2, "b.c": 3}},
    ),
    (
        "flatten-arrays",
        {
            "a": {"@flatten": {"separator": "_", "value": {"@path": "$.traits"}}},
            "b": {"@flatten": {"separator": "_", "value": {"@path": "$.traits"}, "omitArrays": True}},
        },
        {
            "a": {"name": "Ann", "email": None, "tags_0": "x", "tags_1": None, "tags_2": 2},
            "b": {"name": "Ann", "email": None, "tags": ["x", None, 2]},
        },
    ),
    ("flatten-scalar", {"a": {"@flatten": {"separator": ".", "value": {"@path": "$.userId"}}}}, {"a": {"": "u1"}}),
    # @merge
    (
        "merge-right",
        {"a": {"@merge": {"direction": "right", "objects": [{"x": 1, "y": 1}, {"y": 2}]}}},
        {"a": {"x": 1, "y": 2}},
    ),
    (
        "merge-left",
        {"a": {"@merge": {"direction": "left", "objects": [{"x": 1, "y": 1}, {"y": 2}]}}},
        {"a": {"x": 1, "y": 1}},
    ),
    (
        "merge-undefined-wins",
        {
            "a": {
                "@merge": {
                    "direction": "right",
                    "objects": [{"x": 1}, {"x": {"@path": "$.no.x"}}, {"x": {"@path": "$.missing"}}],
                }
            }
        },
        {"a": {}},
    ),
    (
        "merge-strings-and-arrays",
        {"a": {"@merge": {"direction": "right", "objects": [{"@path": "$.arr"}, {"@literal": "q"}]}}},
        {"a": {"0": "q", "1": "y"}},
    ),
    # @transform
    (
        "transform",
        {"a": {"@transform": {"apply": {"p": {"@path": "$.o"}}, "mapping": {"v": {"@path": "$.p.b.c"}}}}},
        {"a": {"v": 3}},
    ),
    # @excludeWhenNull
    (
        "exclude-when-null",
        {"a": {"@excludeWhenNull": {"@path": "$.nothing"}}, "b": {"@excludeWhenNull": {"@path": "$.traits"}}},
        {"b": {"name": "Ann", "tags": ["x", None, 2]}},
    ),
    # raw values, nesting and what resolves to nothing
    (
        "raw-nesting",
        {
            "a": [{"@path": "$.missing"}, {"k": {"@path": "$.missing"}}, [1, {"@path": "$.userId"}]],
            "b": None,
            "c": {"d": {"@path": "$.missing"}},
        },
        {"a": [None, {}, [1, "u1"]], "b": None, "c": {}},
    ),
    ("mixed-keys-are-raw-in-arrays", {"a": [{"@path": "$.userId", "b": 1}]}, {"a": [{"@path": "$.userId", "b": 1}]}),
    ("metadata-key-allowed", {"a": {"@path": "$.userId", "_metadata": {"note": 1}}}, {"a": "u1"}),
]


@pytest.mark.parametrize(("name", "mapping", "expected"), TRANSFORMS, ids=[t[0] for t in TRANSFORMS])
def test_directive(name: str, mapping: dict[str, Any], expected: Any) -> None:
    assert validate_mapping(mapping) == []
    assert same(transform(mapping, EVENT), expected)
    assert same(compile_mapping(mapping)(EVENT), expected)


RUNTIME_ERRORS: list[tuple[str, Any, str]] = [
    ("if-without-condition", {"a": {"@if": {"then": 1}}}, '@if requires an "exists" key or a "blank" key'),
    ("case-without-operator", {"a": {"@case": {"value": "x"}}}, '@case requires a "operator" key'),
    (
        "case-bad-operator",
        {"a": {"@case": {"operator": "title", "value": "x"}}},
        'operator key should have a value of "lower" or "upper"',
    ),
    ("json-falsy-value", {"a": {"@json": {"mode": "encode", "value": ""}}}, '@json requires a "value" key'),
    ("flatten-without-separator", {"a": {"@flatten": {"value": 1}}}, '@flatten requires a "separator" key'),
    ("merge-without-direction", {"a": {"@merge": {"objects": []}}}, '@merge requires a "direction" key'),
    ("path-not-a-string", {"a": {"@path": {"@literal": 5}}}, "@path: expected string, got number"),
    ("unvalidated-inside-array", {"a": [{"@bogus": 1}]}, "@bogus is not a valid directive, got undefined"),
    ("unvalidated-inside-literal", {"a": {"@literal": {"b": {"@path": 5}}}}, "@path: expected string, got number"),
    (
        "replace-pattern2-too-long",
        {"a": {"@replace": {"pattern": "a", "pattern2": "abcdefghijk", "value": "a"}}},
        '@replace requires a "pattern" less than 10 characters',
    ),
    (
        "transform-payload-not-object",
        {"a": {"@arrayPath": ["$.arr", {"@transform": {"apply": {"x": 1}, "mapping": {"v": 1}}}]}},
        "data must be an object, got string",
    ),
    (
        "transform-nested-validation",
        {"a": {"@literal": {"b": {"@transform": {"apply": {"x": {"@path": 1}}, "mapping": {"v": 1}}}}}},
        "/x/@path should be a string or a mapping directive but it is a number.",
    ),
]


@pytest.mark.parametrize(("name", "mapping", "message"), RUNTIME_ERRORS, ids=[t[0] for t in RUNTIME_ERRORS])
def test_runtime_error(name: str, mapping: dict[str, Any], message: str) -> None:
    assert validate_mapping(mapping) == []
    compiled = compile_mapping(mapping)
    with pytest.raises(MappingError) as caught:
        compiled(EVENT)
    assert caught.value.message == message


def test_errors_only_when_reached() -> None:
    mapping = {"a": {"@if": {"exists": {"@path": "$.missing"}, "then": {"@case": {"value": "x"}}, "else": 1}}}
    assert transform(mapping, EVENT) == {"a": 1}


# ---- the validator ------------------------------------------------------------------------------

NOT_STR = "should be a string or a mapping directive but it is"
NOT_OBJ = "should be a object or a mapping directive but it is"

VALIDATIONS: list[tuple[str, Any, list[tuple[tuple[str | int, ...], str]]]] = [
    ("valid", {"a": {"@path": "$.x"}, "b": [1, {"@bogus": 1}], "c": {"@literal": {"x": {"@bogus": 1}}}}, []),
    ("path-type", {"a": {"@path": 5}}, [(("a", "@path"), f"/a/@path {NOT_STR} a number.")]),
    ("unknown", {"a": {"b": {"@bogus": 1}}}, [(("a", "b"), "/a/b has an invalid directive: @bogus.")]),
    (
        "two-directives",
        {"a": {"@path": "$.x", "@template": "y"}},
        [(("a",), "/a should only have one @-prefixed key but it has 2 keys.")],
    ),
    (
        "directive-and-keys",
        {"a": {"@path": "$.x", "_metadata": 1, "b": 1}},
        [(("a",), "/a should only have one @-prefixed key but it has 3 keys.")],
    ),
    ("root-directive", {"@bogus": 1}, [((), "/ has an invalid directive: @bogus.")]),
    (
        "allowed-strings",
        {"a": {"@merge": {"direction": "up", "objects": []}}},
        [(("a", "@merge", "direction"), '/a/@merge/direction should be one of left, right but it is "up".')],
    ),
    ("allowed-strings-any-case", {"a": {"@merge": {"direction": "LEFT", "objects": []}}}, []),
    (
        "missing-fields-in-order",
        {"a": {"@replace": {"pattern": "", "replacement": 5}}},
        [
            (("a", "@replace", "pattern"), "/a/@replace/pattern should be a string of length 1 or greater."),
            (("a", "@replace", "replacement"), "/a/@replace/replacement should be a string but it is a number."),
            (("a", "@replace"), '/a/@replace should have field "value" but it doesn\'t.'),
        ],
    ),
    (
        "integer-keys-first",
        {"b": {"@path": 1}, "10": {"@path": 2}, "2": {"@path": 3}},
        [
            (("2", "@path"), f"/2/@path {NOT_STR} a number."),
            (("10", "@path"), f"/10/@path {NOT_STR} a number."),
            (("b", "@path"), f"/b/@path {NOT_STR} a number."),
        ],
    ),
    (
        "options-checked-as-objects-first",
        {"a": {"@if": {"exists": {"@path": 1}, "then": {"@path": 2}}}},
        [
            (("a", "@if", "exists", "@path"), f"/a/@if/exists/@path {NOT_STR} a number."),
            (("a", "@if", "then", "@path"), f"/a/@if/then/@path {NOT_STR} a number."),
        ],
    ),
    (
        "options-not-object",
        {"a": {"@if": {"@path": "x"}}},
        [(("a", "@if"), "/a/@if should be an object but it is a directive.")],
    ),
    (
        "arraypath-items",
        {"a": {"@arrayPath": [5, {"x": {"@path": 1}}]}},
        [(("a", "@arrayPath", 0), f"/a/@arrayPath {NOT_STR} a number.")],
    ),
    (
        "arraypath-shape",
        {"a": {"@arrayPath": ["$.x", {"x": {"@path": 1}}]}},
        [(("a", "@arrayPath", 1, "x", "@path"), f"/a/@arrayPath/x/@path {NOT_STR} a number.")],
    ),
    (
        "arraypath-empty",
        {"a": {"@arrayPath": []}},
        [(("a", "@arrayPath", 0), f"/a/@arrayPath {NOT_STR} an undefined.")],
    ),
    (
        "merge-objects-restart-the-stack",
        {"a": {"@merge": {"direction": "left", "objects": [{}, "x"]}}},
        [(("a", "@merge", "objects", 1), f"/ {NOT_OBJ} a string.")],
    ),
    (
        "merge-nested-objects",
        {"a": {"@merge": {"objects": [{"k": {"@path": 1}}]}}},
        [(("a", "@merge", "objects", 0, "k", "@path"), f"/k/@path {NOT_STR} a number.")],
    ),
    (
        "json-mode",
        {"a": {"@json": {"value": "x"}}},
        [(("a", "@json"), '/a/@json should have field "mode" but it doesn\'t.')],
    ),
    (
        "transform-apply",
        {"a": {"@transform": {"apply": "x", "mapping": {}}}},
        [(("a", "@transform", "apply"), f"/a/@transform/apply {NOT_OBJ} a string.")],
    ),
    (
        "liquid-is-known",
        {"a": {"@liquid": 5}},
        [(("a", "@liquid"), "/a/@liquid should be a string but it is a number.")],
    ),
]


@pytest.mark.parametrize(("name", "mapping", "issues"), VALIDATIONS, ids=[v[0] for v in VALIDATIONS])
def test_validator(name: str, mapping: Any, issues: list[tuple[tuple[str | int, ...], str]]) -> None:
    assert [(i.pointer, i.message) for i in validate_mapping(mapping)] == issues


def test_transform_validates_first() -> None:
    with pytest.raises(MappingValidationError) as caught:
        transform({"a": {"@path": 5}, "b": {"@bogus": 1}}, EVENT)
    assert caught.value.errors == [
        "/a/@path should be a string or a mapping directive but it is a number.",
        "/b has an invalid directive: @bogus.",
    ]
    assert caught.value.message == caught.value.errors[0]


def test_event_must_be_an_object() -> None:
    with pytest.raises(MappingError, match="data must be an object, got array"):
        transform({"a": 1}, [1])
    with pytest.raises(MappingError, match="data must be an object, got string"):
        compile_mapping({"a": 1})("x")  # type: ignore[arg-type]


# ---- root directive, raw output -----------------------------------------------------------------


def test_root_directive_receives_the_other_fields_as_its_mapping() -> None:
    mapping = {
        "__segment_internal_directive": {"@transform": {"apply": {"p": {"@path": "$.o"}}}},
        "v": {"@path": "$.p.b"},
    }
    assert transform(mapping, EVENT) == {"v": {"c": 3}}


@pytest.mark.parametrize(
    ("root", "message"),
    [
        ({"a": {}, "b": {}}, "The root mapping must only have a single directive object"),
        ({"@path": "$.x"}, "The root directive must be an object"),
        (None, "Cannot convert undefined or null to object"),
    ],
)
def test_root_directive_errors(root: Any, message: str) -> None:
    with pytest.raises(MappingError) as caught:
        compile_mapping({"__segment_internal_directive": root, "v": 1})
    assert caught.value.message == message


def test_raw_keeps_undefined_in_arrays_and_json_view_shows_null() -> None:
    compiled = compile_mapping({"a": [{"@path": "$.missing"}, 1], "b": {"@path": "$.missing"}, "c": {"x": None}})
    raw = compiled.raw(EVENT)
    assert raw["a"][1] == 1 and is_undefined(raw["a"][0]) and raw["a"][0] is UNDEFINED
    assert "b" not in raw and raw["c"] == {"x": None}
    assert compiled(EVENT) == {"a": [None, 1], "c": {"x": None}}


def test_undefined_is_not_null() -> None:
    assert UNDEFINED is not None and not UNDEFINED and not is_undefined(None)


def test_compiled_mapping_is_reusable_and_does_not_share_output() -> None:
    compiled = compile_mapping({"a": {"b": [1, {"@path": "$.userId"}]}})
    first = compiled(EVENT)
    first["a"]["b"].append("mutated")
    assert compiled(EVENT) == {"a": {"b": [1, "u1"]}}
    assert compiled({"userId": "other"}) == {"a": {"b": [1, "other"]}}


def test_compile_mapping_reports_every_validation_error() -> None:
    with pytest.raises(MappingValidationError) as caught:
        compile_mapping({"a": {"@json": {"mode": "x", "value": 1}}, "b": {"@template": 3}})
    assert caught.value.errors == [
        '/a/@json/mode should be one of encode, decode but it is "x".',
        "/b/@template should be a string or a mapping directive but it is a number.",
    ]
