"""Directives that reshape values: `@case`, `@replace`, `@json`, `@flatten` and `@merge`.

Each has a compile function (options to `Node`) and a validate rule; `directives.DIRECTIVES`
registers them. Options Segment only checks while transforming are still checked per run, so
their errors appear only when the directive is reached.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from destination.errors import MappingError
from destination.js.objects import js_keys, json_parse, json_stringify
from destination.js.values import UNDEFINED, to_js_string, truthy, type_name, typeof, utf16_length
from destination.mapping.node import Compiler, Node, constant, fails, is_directive, option
from destination.mapping.ops import assign, flatten_object, parse_replacement, replace_literal
from destination.mapping.rules import Loc, MappingValidator, array, boolean, length, one_of, optional, required, string

__all__ = [
    "MAX_PATTERN_LENGTH",
    "MAX_REPLACEMENT_LENGTH",
    "compile_case",
    "validate_case",
    "compile_replace",
    "validate_replace",
    "compile_flatten",
    "validate_flatten",
    "compile_json",
    "validate_json",
    "compile_merge",
    "validate_merge",
    "merged_members",
]

MAX_PATTERN_LENGTH = 10
MAX_REPLACEMENT_LENGTH = 10


# ---- @case ----------------------------------------------------------------------------------

_CASES: dict[str, Callable[[str], str]] = {"lower": str.lower, "upper": str.upper}


def compile_case(options: Any, c: Compiler) -> Node:
    if type_name(options, Mapping) != "object":
        return fails('@case requires an object with a "operator" key')
    operator = option(options, "operator")
    if not truthy(operator):
        return fails('@case requires a "operator" key')
    value = option(options, "value")
    if not truthy(value):
        return constant(UNDEFINED)
    inner = c.node(value)
    convert = _CASES.get(operator) if isinstance(operator, str) else None

    def run(payload: Any) -> Any:
        resolved = inner.run(payload)
        if type(resolved) is not str:
            return resolved
        if convert is None:
            raise MappingError('operator key should have a value of "lower" or "upper"')
        return convert(resolved)

    return Node(run, clean=inner.clean)


def validate_case(value: Any, loc: Loc, v: MappingValidator) -> None:
    v.fields(value, loc, {"operator": optional(string), "value": optional(v.directive_or_string)})


# ---- @replace -------------------------------------------------------------------------------


def _replacer(pattern: Any, replacement: Any) -> Callable[[str, bool, bool], str] | None:
    """`performReplace` for one pattern, or None when Segment's type checks skip it."""
    if not isinstance(pattern, str) or not isinstance(replacement, str):
        return None
    too_long = None
    if utf16_length(pattern) > MAX_PATTERN_LENGTH:
        too_long = f'@replace requires a "pattern" less than {MAX_PATTERN_LENGTH} characters'
    elif utf16_length(replacement) > MAX_REPLACEMENT_LENGTH:
        too_long = f'@replace requires a "replacement" less than {MAX_REPLACEMENT_LENGTH} characters'
    parsed = parse_replacement(replacement)

    def perform(value: str, global_: bool, ignorecase: bool) -> str:
        if too_long:
            raise MappingError(too_long)
        return replace_literal(value, pattern, parsed, global_, ignorecase)

    return perform


def compile_replace(options: Any, c: Compiler) -> Node:
    if type_name(options, Mapping) != "object":
        return fails('@replace requires an object with a "pattern" key')
    pattern = option(options, "pattern")
    if not truthy(pattern):
        return fails('@replace requires a "pattern" key')
    replacement = option(options, "replacement")
    pattern2, replacement2 = option(options, "pattern2"), option(options, "replacement2")
    ignorecase, global_ = option(options, "ignorecase"), option(options, "global")
    value = option(options, "value")
    if not truthy(value):
        return constant(UNDEFINED)
    first = _replacer(pattern, "" if replacement in (None, UNDEFINED) else replacement)
    if truthy(pattern2) and replacement2 in (None, UNDEFINED):
        replacement2 = ""
    second = _replacer(pattern2, replacement2) if truthy(pattern2) else None
    ignorecase = False if ignorecase in (None, UNDEFINED) else ignorecase
    global_ = True if global_ in (None, UNDEFINED) else global_
    if not (isinstance(ignorecase, bool) and isinstance(global_, bool)):
        first = None
    inner = c.node(value).run

    def run(payload: Any) -> str:
        resolved = inner(payload)
        if resolved is True or resolved is False or (type(resolved) in (int, float)):
            resolved = to_js_string(resolved)
        if type(resolved) is not str or first is None:
            return ""
        result = first(resolved, global_, ignorecase)
        return second(result, global_, ignorecase) if second else result

    return Node(run, clean=True, defined=True)


def validate_replace(value: Any, loc: Loc, v: MappingValidator) -> None:
    v.fields(
        value,
        loc,
        {
            "pattern": required(string, length(1, MAX_PATTERN_LENGTH)),
            "replacement": optional(string, length(0, MAX_REPLACEMENT_LENGTH)),
            "value": required(v.directive_or_string),
            "ignorecase": optional(boolean),
            "global": optional(boolean),
        },
    )


# ---- @flatten -------------------------------------------------------------------------------


def compile_flatten(options: Any, c: Compiler) -> Node:
    if type_name(options, Mapping) != "object":
        return fails('@flatten requires an object with a "separator" key')
    separator = option(options, "separator")
    if not truthy(separator):
        return fails('@flatten requires a "separator" key')
    get_separator = c.node(separator).run
    get_value = c.node(option(options, "value")).run
    omit_arrays = truthy(option(options, "omitArrays"))

    def run(payload: Any) -> Any:
        sep = get_separator(payload)
        if type(sep) is not str:
            raise MappingError("@flatten requires a string separator")
        return flatten_object(get_value(payload), sep, omit_arrays)

    return Node(run, defined=True)


def validate_flatten(value: Any, loc: Loc, v: MappingValidator) -> None:
    v.fields(value, loc, {"separator": optional(string), "value": required(v.directive_or_raw)})


# ---- @json ----------------------------------------------------------------------------------


def _decode(value: Any) -> Any:
    if type(value) is not str:
        return value
    try:
        return json_parse(value)
    except ValueError:
        return value


def compile_json(options: Any, c: Compiler) -> Node:
    if type_name(options, Mapping) != "object":
        return fails('@json requires an object with a "value" key')
    mode = option(options, "mode")
    if not truthy(mode):
        return fails('@json requires a "mode" key')
    value = option(options, "value")
    if not truthy(value):
        return fails('@json requires a "value" key')
    inner = c.node(value).run
    if mode == "encode":
        return Node(lambda payload: json_stringify(inner(payload)), clean=True)
    if mode == "decode":
        return Node(lambda payload: _decode(inner(payload)))

    def neither(payload: Any) -> Any:
        inner(payload)
        return UNDEFINED

    return Node(neither, clean=True)


def validate_json(value: Any, loc: Loc, v: MappingValidator) -> None:
    v.fields(value, loc, {"value": required(v.directive_or_raw), "mode": required(one_of("encode", "decode"))})


# ---- @merge ---------------------------------------------------------------------------------


def compile_merge(options: Any, c: Compiler) -> Node:
    if type_name(options, Mapping) != "object":
        return fails('@merge requires an object with an "objects" key and a "direction" key')
    direction = option(options, "direction")
    if not truthy(direction):
        return fails('@merge requires a "direction" key')
    get_direction = c.node(direction).run
    objects = option(options, "objects")
    problem = None
    if not truthy(objects):
        problem = '@merge requires a "objects" key'
    elif not isinstance(objects, list):
        problem = f"@merge: expected opts.array, got {typeof(objects, Mapping)}"
    parts = [c.node(item).run for item in objects] if problem is None else []

    def run(payload: Any) -> Any:
        left = get_direction(payload) == "left"
        if problem is not None:
            raise MappingError(problem)
        resolved = [part(payload) for part in parts]
        return assign(resolved[::-1] if left else resolved)

    return Node(run, defined=True)


def merged_members(mapping: Any) -> list[tuple[str, Any]] | None:
    """What a `@merge` of plain objects resolves, as the members of one object, when that is static.

    With a constant direction and plain objects, `Object.assign` gives each key the position
    of its first appearance and the mapping of its last one: the merged object is the members'
    values, in that order, left out where undefined. Mappings that lose a key are still
    resolved by `@merge`, so this holds only when they cannot fail (constants, string `@path`s).
    None when the mapping is not such a `@merge`.
    """
    if not (isinstance(mapping, dict) and len(mapping) == 1 and isinstance(mapping.get("@merge"), dict)):
        return None
    direction, objects = option(mapping["@merge"], "direction"), option(mapping["@merge"], "objects")
    if isinstance(direction, (dict, list)) or not truthy(direction) or not isinstance(objects, list):
        return None
    if not all(isinstance(item, dict) and not is_directive(item) for item in objects):
        return None
    members: dict[str, Any] = {}
    overridden = []
    for source in objects[::-1] if direction == "left" else objects:
        for key in js_keys(source):
            if key in members:
                overridden.append(members[key])
            members[key] = source[key]
    return list(members.items()) if all(map(_cannot_fail, overridden)) else None


def _cannot_fail(mapping: Any) -> bool:
    """A mapping whose resolution never raises: JSON values and plain string `@path`s, nested."""
    if isinstance(mapping, list):
        return all(map(_cannot_fail, mapping))
    if not isinstance(mapping, dict):
        return True
    if is_directive(mapping):
        return len(mapping) == 1 and isinstance(mapping.get("@path"), str)
    return all(map(_cannot_fail, mapping.values()))


def validate_merge(value: Any, loc: Loc, v: MappingValidator) -> None:
    v.fields(value, loc, {"direction": optional(one_of("left", "right")), "objects": required(array)})
    objects = loc.key("objects")
    for index, item in enumerate(value["objects"]):
        v.directive_or_object(item, objects.restart(index))
