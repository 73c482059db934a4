"""`@liquid` as Segment renders it: liquidjs's filters, values, limits and messages.

Segment's own recorded cases (`liquid/liquid.jsonl`) run in the conformance tests; the cases
here were recorded with liquidjs 10.30.1 configured as Segment's `liquid-directive.ts`
configures it (the version that reproduces every Segment case), over one event, to cover
the filters and corners the Segment cases do not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from destination.definition.model import load_definition
from destination.delivery.action import CompiledAction
from destination.delivery.fused import fuse
from destination.errors import MappingError, MappingValidationError
from destination.mapping.engine import compile_mapping, transform, validate_mapping
from destination.mapping.liquid.engine import MAX_TEMPLATE_LENGTH, render
from destination.mapping.liquid.filters import DISABLED_FILTERS
from destination.mapping.liquid.template import DISABLED_TAGS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "liquid"
EVENT = json.loads((FIXTURES / "event.json").read_text(encoding="utf-8"))
RECORDED = [json.loads(line) for line in (FIXTURES / "liquidjs-10.30.jsonl").read_text(encoding="utf-8").splitlines()]


def answer(template: Any, event: Any = EVENT) -> dict[str, Any]:
    try:
        return {"output": render(template, event)}
    except MappingError as exc:
        return {"error": exc.message}


@pytest.mark.parametrize("case", RECORDED, ids=lambda c: c["template"][:60])
def test_agrees_with_liquidjs(case: dict[str, Any]) -> None:
    assert answer(case["template"]) == case["expect"]


def test_numbers_print_as_javascript_prints_them() -> None:
    event = {"properties": {"total": 129.5, "qty": 3}}
    assert render("{{ properties.total | times: 2 }}", event) == "259"
    assert render("{{ properties.qty | divided_by: 2 }}", event) == "1.5"
    assert render("{{ properties.qty | divided_by: 0 }}", event) == "Infinity"
    assert render("{{ 0.1 | plus: 0.2 }}", event) == "0.30000000000000004"


def test_missing_variables_are_undefined_and_only_nil_and_false_are_falsy() -> None:
    event = {"properties": {"zero": 0, "none": "", "nothing": None}}
    assert render("{{ properties.missing | plus: 10 }}", event) == "10"
    assert render("{% if properties.zero %}y{% endif %}{% if properties.none %}y{% endif %}", event) == "yy"
    assert render("{% if properties.nothing %}y{% else %}n{% endif %}", event) == "n"
    assert render("{% if properties.missing == nil %}nil{% endif %}", event) == "nil"
    assert render("{{ now }}{{ today }}", event) == ""


def test_comparisons_convert_as_javascript_does() -> None:
    event = {"properties": {"total": "129.5", "tags": ["a", "b"]}}
    assert render("{% if properties.total > 100 %}big{% endif %}", event) == "big"
    assert render("{% if properties.tags contains 'b' %}b{% endif %}", event) == "b"
    assert render("{% if properties.tags == properties.tags %}eq{% endif %}", event) == "eq"


# (template, what liquidjs 10.30.1 renders), each checked against liquidjs with TZ=UTC
NUMERIC_ARGUMENTS = [
    ('{{ "[object Object]" | truncate: "a,b" }}', "..."),  # NaN as a length keeps only the omission
    ('{{ "abcdefghij" | truncate: 5.5 }}', "abc..."),  # the code-point loop runs ceil(2.5) times
    ('{{ "abcdefghij" | truncate: nil }}', "..."),
    ('{{ "abcdefghij" | truncate: true, "" }}', "a"),
    ('{{ "abcd" | truncate: "3" }}', "..."),
    ('{{ "abcdef" | slice: "1" | json }}', '"b"'),
    ('{{ (1..20) | slice: "1" | json }}', "[2,3,4,5,6,7,8,9,10,11]"),  # ends at "1" + 1, i.e. "11"
    ('{{ (1..20) | slice: "-1" | json }}', "[]"),  # begins at 20 + "-1", i.e. "20-1"
    ("{{ (1..20) | slice | json }}", "[]"),
    ('{{ "abc" | slice }}', "a"),
    ('{{ "abcdef" | slice: 1.5, 1.5 }}', "cd"),
    ("{{ (1..9) | slice: 1.5, 1.5 | json }}", "[2,3]"),
    ('{{ (1..9) | slice: 2, "a" | json }}', "[]"),
    ('{{ "a b c" | truncatewords: "x" }}', ""),
    (
        '{{ " 00ab00 " | strip: 0 }}|{{ " 00ab00 " | strip: empty }}|{{ " 00ab00 " | rstrip: nil }}|',
        "00ab00| 00ab00 | 00ab00 |",
    ),
    ('{{ "A b" | slugify: "default", nil }}|{{ "A b" | slugify: nil }}', "A-b|a b"),  # a drop is truthy
]
DATES = [
    ('{{ "2.5" | date_to_long_string }}', "05 February 2001"),  # V8's legacy date parser
    ('{{ "12" | json | date_to_xmlschema }}', "2001-12-01T00:00:00+00:00"),
    ("{{ (1..3) | date_to_long_string }}", "02 January 2003"),  # new Date([1, 2, 3]) reads "1,2,3"
    ('{{ blank | date_to_string: "x" | json }}', "{}"),  # not a date: the blank drop itself comes back
    ('{{ 1000000000000 | date: "%Y %C %y %j %a %s" }}', "33658 336 58 270 Fri 1000000000000"),
    ('{{ "-000500-03-01T10:00Z" | date: "%Y %C %y %6Y" }}', "-500 -5 00 -00500"),
    ('{{ "0999-01-01" | date: "%C %y %Y %-C" }}', "09 99 0999 9"),
    ('{{ "+000000-12-31" | date: "%j %x" }}', "365 12/31/1"),  # liquidjs's leap rule skips the year 0; 1 BC
    ('{{ 8640000000000 | date: "%Y", -600 }}', "8640000000000"),  # shown past the range: no date
]


@pytest.mark.parametrize(("template", "expected"), NUMERIC_ARGUMENTS + DATES)
def test_filter_arguments_and_dates_coerce_as_liquidjs_does(template: str, expected: str) -> None:
    assert render(template, {}) == expected


@pytest.mark.parametrize("tag", DISABLED_TAGS)
def test_disabled_tags_fail_with_segments_message(tag: str) -> None:
    assert answer(f"ok {{% {tag} x %}}") == {"error": f'tag "{tag}" is disabled, line:1, col:4'}


@pytest.mark.parametrize("name", DISABLED_FILTERS)
def test_disabled_filters_fail_where_they_are_reached(name: str) -> None:
    assert answer(f"a\n  {{{{ 'x' | {name} }}}}") == {"error": f'filter "{name}" is disabled, line:2, col:3'}
    assert answer(f"{{% if false %}}{{{{ 'x' | {name} }}}}{{% endif %}}") == {"output": ""}


def test_template_length_is_counted_in_utf16_units() -> None:
    assert answer("x" * MAX_TEMPLATE_LENGTH) == {"output": "x" * MAX_TEMPLATE_LENGTH}
    assert answer("😀" * 501) == {"error": "liquid template values are limited to 1000 characters"}
    assert answer(5) == {"error": "liquid template value must be a string"}


def test_structural_errors_carry_liquidjs_words_and_positions() -> None:
    assert answer("{{ unclosed") == {"error": 'output "{{ unclosed" not closed, line:1, col:1'}
    assert answer("ab\n{% if x %}c") == {"error": "tag {% if x %} not closed, line:2, col:1"}
    assert answer("{% endif %}") == {"error": 'tag "endif" not found, line:1, col:1'}
    assert answer("{% if %}") == {"error": 'invalid value expression: "", line:1, col:6'}


def test_a_bad_template_fails_only_when_reached_and_validation_checks_only_the_type() -> None:
    mapping = {"a": {"@if": {"exists": {"@path": "$.x"}, "then": {"@liquid": "{% for %}"}, "else": "no"}}}
    assert validate_mapping(mapping) == []
    assert transform(mapping, {}) == {"a": "no"}
    with pytest.raises(MappingError, match='tag "for" is disabled'):
        transform(mapping, {"x": 1})
    with pytest.raises(MappingValidationError):
        transform({"a": {"@liquid": ["x"]}}, {})
    with pytest.raises(MappingError, match="must be a string"):
        transform({"a": [{"@liquid": 5}]}, {})  # Segment does not validate inside arrays


def test_inside_transform_the_payload_is_the_applied_one() -> None:
    mapping = {
        "a": {
            "@transform": {
                "apply": {"n": {"@path": "$.missing"}, "m": 1},
                "mapping": {"@liquid": "{{ m }}-{{ n | default: 'none' }}"},
            }
        }
    }
    assert transform(mapping, {}) == {"a": "1-none"}


def test_the_fused_path_leaves_liquid_to_the_general_path() -> None:
    definition = load_definition()
    action = definition.action("event")
    mapping = {"customer": {"@path": "$.userId"}, "action": {"@liquid": "{{ event | downcase | replace: ' ', '_' }}"}}
    compiled = CompiledAction(definition, action, mapping)
    assert fuse(compile_mapping(mapping), compiled.validator) is None
    assert compiled.payload({"userId": "u1", "event": "Points Earned"}) == {"customer": "u1", "action": "points_earned"}


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)
_PIECES = st.sampled_from(
    [
        "{{ ",
        " }}",
        "{% ",
        " %}",
        "if ",
        "endif",
        "else",
        "assign x = ",
        "capture c",
        "endcapture",
        "x",
        "c",
        "properties.a",
        "properties.b[0]",
        " | ",
        "plus: 1",
        "date: '%Y'",
        "split: ','",
        "join",
        "default: 1",
        "truncate: 3",
        "round: 2",
        "slice: 1, 2",
        "url_decode",
        "json",
        "size",
        "first",
        "== ",
        "< ",
        "contains ",
        "'s'",
        "1.5",
        "nil",
        "empty",
        "(1..3)",
        "raw",
        "endraw",
        "comment",
        "endcomment",
        "for",
        "-",
        "\n",
        "é",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=14).map("".join), st.dictionaries(st.sampled_from(["a", "b"]), _JSON))
def test_rendering_only_ever_fails_with_a_mapping_error(template: str, properties: dict[str, Any]) -> None:
    result = answer(template, {"properties": properties})
    assert isinstance(result.get("output", result.get("error")), str)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_text_renders_or_fails_with_a_mapping_error(template: str) -> None:
    answer(template, {"properties": {}})
