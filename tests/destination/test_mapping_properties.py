"""Properties of the mapping engine over generated mappings and events.

1. A mapping that passes validation never makes `transform` raise anything but MappingError
   (Segment can still fail at transform time: unvalidated arrays, `@if` without a condition…),
   and what it returns is plain JSON.
2. `@path` finds a value wherever it was placed, however the path is spelled.
3. A compiled mapping, reused across events, agrees with a fresh `transform` of each event,
   leaves the event untouched, and its raw result shows as its JSON result.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import json_trees

from destination.errors import MappingError, MappingValidationError
from destination.js.objects import json_view
from destination.mapping.engine import compile_mapping, transform, validate_mapping

KEYS = st.sampled_from(["a", "b", "x", "p", "sku", "0", "1", "10", "weird key", "length", "", "_metadata"])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "a", "A-b", "{{a}}", '{"k":1}', "1e400", "ß", "😀"]),
    st.text(max_size=4),
)
JSON = json_trees(SCALARS, KEYS, size=3, leaves=8)
EVENTS = st.dictionaries(KEYS | st.sampled_from(["items", "o"]), JSON, max_size=5)

STEP = st.one_of(KEYS, st.integers(0, 3).map(str))
PATHS = st.lists(st.tuples(STEP, st.sampled_from([".{}", '["{}"]', "['{}']", "[{}]"])), max_size=3).map(
    lambda steps: "$" + "".join(form.format(step) for step, form in steps)
)
PLACEHOLDERS = PATHS.map(lambda p: "{{" + p[2:] + "}}")
TEMPLATES = st.lists(st.one_of(PLACEHOLDERS, st.text(max_size=3)), max_size=3).map("".join)


def _options(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A directive's options: any subset of its fields, or now and then any JSON at all."""
    return st.fixed_dictionaries({}, optional=fields) | JSON


def _directives(sub: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    flags = st.booleans() | JSON
    options = {
        "@path": PATHS | sub,
        "@template": TEMPLATES | sub,
        "@literal": sub,
        "@excludeWhenNull": sub,
        "@if": _options(exists=sub, blank=sub, then=sub, **{"else": sub}),
        "@case": _options(operator=st.sampled_from(["lower", "upper", "title"]), value=sub),
        "@replace": _options(
            pattern=st.text(max_size=11),
            replacement=st.text(max_size=11),
            value=sub,
            ignorecase=flags,
            pattern2=st.text(max_size=11),
            replacement2=SCALARS,
            **{"global": flags},
        ),
        "@arrayPath": st.lists(PATHS | sub, max_size=3) | JSON,
        "@json": _options(mode=st.sampled_from(["encode", "decode", "ENCODE"]), value=sub),
        "@flatten": _options(separator=st.sampled_from([".", "_", ""]) | SCALARS, value=sub, omitArrays=flags),
        "@merge": _options(direction=st.sampled_from(["left", "right", "up"]), objects=st.lists(sub, max_size=3)),
        "@transform": _options(apply=st.dictionaries(KEYS, sub, max_size=2) | sub, mapping=sub),
        "@bogus": sub,
    }
    return st.sampled_from(sorted(options)).flatmap(lambda name: options[name].map(lambda value: {name: value}))


MAPPING_VALUES = st.recursive(
    SCALARS | PATHS.map(lambda p: {"@path": p}),
    lambda sub: _directives(sub) | st.lists(sub, max_size=3) | st.dictionaries(KEYS, sub, max_size=3),
    max_leaves=10,
)
MAPPINGS = st.dictionaries(KEYS, MAPPING_VALUES, min_size=1, max_size=4)
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _outcome(run: Any, event: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "output", run(event)
    except MappingError as exc:
        return "error", exc.message


@FAST
@given(MAPPINGS, EVENTS)
def test_valid_mappings_only_raise_mapping_errors(mapping: dict[str, Any], event: dict[str, Any]) -> None:
    valid = validate_mapping(mapping) == []
    try:
        result = transform(mapping, event)
    except MappingValidationError:
        assert not valid
        return
    except MappingError:
        assert valid
        return
    assert valid
    json.dumps(result, allow_nan=False)


def _place(steps: list[tuple[str, int | None]], value: Any, filler: Any) -> Any:
    """A structure holding `value` at the end of `steps`: keys make objects, indices arrays."""
    for key, index in reversed(steps):
        value = {key: value, "other.key": filler} if index is None else [filler] * index + [value, filler]
    return value


# Keys a path can spell: no dots, brackets or quotes (Segment's `get` splits on or strips them).
PLAIN_KEYS = st.text(st.characters(blacklist_characters=".[]'\"", blacklist_categories=("Cs",)), min_size=1, max_size=6)
STEPS = st.lists(
    st.one_of(PLAIN_KEYS.map(lambda k: (k, None)), st.integers(0, 4).map(lambda i: (str(i), i))), max_size=4
)


def _spell(first: str, steps: list[tuple[str, int | None]], forms: list[int]) -> str:
    """`$.first` then each step as `.k`, `["k"]`, `['k']`, `.0` or `[0]` (Segment needs the `$.`)."""
    out = f"$.{first}"
    for (key, index), form in zip(steps, forms, strict=False):
        if index is None:
            out += (f".{key}", f'["{key}"]', f"['{key}']")[form % 3]
        else:
            out += (f".{key}", f"[{key}]")[form % 2]
    return out


@FAST
@given(PLAIN_KEYS, STEPS, JSON, JSON, st.lists(st.integers(0, 5), min_size=5, max_size=5))
def test_path_finds_the_value_placed_there(
    first: str, steps: list[tuple[str, int | None]], value: Any, filler: Any, forms: list[int]
) -> None:
    event = _place([(first, None), *steps], value, filler)
    mapping = {"v": {"@path": _spell(first, steps, forms)}}
    assert transform(mapping, event) == {"v": json_view(value)}
    assert compile_mapping(mapping)(event) == {"v": value}


@FAST
@given(MAPPINGS, st.lists(EVENTS, min_size=1, max_size=4))
def test_compiled_mapping_agrees_with_transform(mapping: dict[str, Any], events: list[dict[str, Any]]) -> None:
    try:
        compiled = compile_mapping(mapping)
    except (MappingError, MappingValidationError):
        return
    for event in events:
        before = copy.deepcopy(event)
        got = _outcome(compiled, event)
        assert got == _outcome(lambda e: transform(mapping, e), event)
        if got[0] == "output":
            assert json_view(compiled.raw(event)) == got[1]
        assert event == before
