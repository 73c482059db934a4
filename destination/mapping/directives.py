"""Segment's mapping directives, registered in one table: how each runs, how it is validated.

Each directive is compiled once into a `Node` (a function of the payload) and every check
Segment makes on the directive's own options is decided at compile time. Checks Segment makes
while transforming still fail only when the directive is reached, with Segment's message — a
directive inside an untaken `@if` branch never fails. Compiled directives never assume the
mapping passed validation: Segment does not validate inside arrays or `@literal` values.
This module holds the directives that fetch and route data; `directives_values` the ones
that reshape values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from destination.errors import MappingError
from destination.js.objects import loosely_empty
from destination.js.values import UNDEFINED, truthy, type_name
from destination.mapping import reshape as values
from destination.mapping.node import Compiler, Directive, Node, constant, fails, option
from destination.mapping.ops import clean_nulls
from destination.mapping.paths import getter, parse_json_path, parse_template
from destination.mapping.rules import Loc, MappingValidator, array, optional, required, string

__all__ = ["DIRECTIVES"]


# ---- @path and @template: a string, or a directive that resolves to one ----------------------


Lookup = Callable[[str], Callable[[Any], Any]]


def _string_directive(name: str, options: Any, c: Compiler, lookup: Lookup) -> Callable[[Any], Any]:
    """A plain string is parsed now; a directive is resolved per payload and must give a string."""
    if isinstance(options, str):
        return lookup(options)
    inner = c.node(options).run

    def run(payload: Any) -> Any:
        text = inner(payload)
        if type(text) is not str:
            raise MappingError(f"{name}: expected string, got {type_name(text, Mapping)}")
        return lookup(text)(payload)

    return run


def _path_getter(text: str) -> Callable[[Any], Any]:
    return getter(parse_json_path(text))


def compile_path(options: Any, c: Compiler) -> Node:
    return Node(_string_directive("@path", options, c, _path_getter), clean=c.payload_clean)


def compile_template(options: Any, c: Compiler) -> Node:
    run = _string_directive("@template", options, c, lambda text: parse_template(text).render)
    return Node(run, clean=True, defined=True)


def validate_string_directive(value: Any, loc: Loc, v: MappingValidator) -> None:
    v.directive_or_string(value, loc)


# ---- @literal and @excludeWhenNull --------------------------------------------------------


def compile_literal(options: Any, c: Compiler) -> Node:
    return c.node(options)


def compile_exclude_when_null(options: Any, c: Compiler) -> Node:
    inner = c.node(options).run

    def run(payload: Any) -> Any:
        value = inner(payload)
        return UNDEFINED if value is None else clean_nulls(value)

    return Node(run)


def validate_raw(value: Any, loc: Loc, v: MappingValidator) -> None:
    v.directive_or_raw(value, loc)


# ---- @if ------------------------------------------------------------------------------------


def compile_if(options: Any, c: Compiler) -> Node:
    if type_name(options, Mapping) != "object":
        return fails('@if requires an object with an "exists" key')
    exists, blank = option(options, "exists"), option(options, "blank")
    if not truthy(exists) and not truthy(blank):
        return fails('@if requires an "exists" key or a "blank" key')
    by_blank = exists is UNDEFINED
    test = c.node(blank if by_blank else exists).run
    then, otherwise = option(options, "then"), option(options, "else")
    then_node = c.node(then) if then is not UNDEFINED else constant(UNDEFINED)
    else_node = c.node(otherwise) if truthy(otherwise) else constant(UNDEFINED)
    then_run, else_run = then_node.run, else_node.run

    def run(payload: Any) -> Any:
        value = test(payload)
        holds = value is not UNDEFINED and value is not None and not (by_blank and loosely_empty(value))
        return then_run(payload) if holds else else_run(payload)

    return Node(run, clean=then_node.clean and else_node.clean)


def validate_if(value: Any, loc: Loc, v: MappingValidator) -> None:
    raw = optional(v.directive_or_raw)
    v.fields(value, loc, {"exists": raw, "then": raw, "else": raw})


# ---- @arrayPath -----------------------------------------------------------------------------


def compile_array_path(options: Any, c: Compiler) -> Node:
    if not isinstance(options, list):
        return fails(f"@arrayPath expected array, got {type_name(options, Mapping)}")
    path = options[0] if options else UNDEFINED
    shape = options[1] if len(options) > 1 else UNDEFINED
    root = Node(_path_getter(path), clean=c.payload_clean) if isinstance(path, str) else c.node(path)
    get_root = root.run
    if type_name(shape, Mapping) != "object" or not shape:
        return root
    each = c.for_payload(root.clean).node(shape).run

    def run(payload: Any) -> Any:
        found = get_root(payload)
        if isinstance(found, dict):
            return [each(found)]
        if isinstance(found, list):
            return [each(item) for item in found]
        return found

    return Node(run)


def validate_array_path(value: Any, loc: Loc, v: MappingValidator) -> None:
    array(value, loc)
    v.directive_or_string(value[0] if value else UNDEFINED, loc.item(0))
    v.value(value[1] if len(value) > 1 else UNDEFINED, loc.item(1))


# ---- @transform -----------------------------------------------------------------------------


def compile_transform(options: Any, c: Compiler) -> Node:
    if type_name(options, Mapping) != "object":
        return fails('@transform requires an object with an "apply" key and a "mapping" key')
    mapping, apply = option(options, "mapping"), option(options, "apply")
    if not truthy(mapping):
        return fails('@transform requires a "mapping" key')
    if not truthy(apply):
        return fails('@transform requires a "apply" key')
    if type_name(apply, Mapping) != "object":
        return fails('@transform "apply" key should be an object')
    new_payload = c.apply(apply)
    get_payload = new_payload.run
    get_value = c.for_payload(new_payload.clean).node(mapping).run
    return Node(lambda payload: get_value(get_payload(payload)))


def validate_transform(value: Any, loc: Loc, v: MappingValidator) -> None:
    v.fields(value, loc, {"apply": required(v.directive_or_object), "mapping": required(v.directive_or_object)})


# ---- @liquid --------------------------------------------------------------------------------


def compile_liquid(options: Any, c: Compiler) -> Node:
    from destination.mapping.liquid.engine import (
        compile_liquid as compile_,  # the Liquid engine loads only when a mapping uses @liquid
    )

    return compile_(options, c)


def validate_liquid(value: Any, loc: Loc, v: MappingValidator) -> None:
    string(value, loc)


DIRECTIVES: dict[str, Directive] = {
    d.name: d
    for d in (
        Directive("@if", compile_if, validate_if),
        Directive("@case", values.compile_case, values.validate_case),
        Directive("@replace", values.compile_replace, values.validate_replace),
        Directive("@arrayPath", compile_array_path, validate_array_path),
        Directive("@path", compile_path, validate_string_directive),
        Directive("@template", compile_template, validate_string_directive),
        Directive("@literal", compile_literal, validate_raw),
        Directive("@flatten", values.compile_flatten, values.validate_flatten),
        Directive("@json", values.compile_json, values.validate_json),
        Directive("@merge", values.compile_merge, values.validate_merge),
        Directive("@transform", compile_transform, validate_transform),
        Directive("@excludeWhenNull", compile_exclude_when_null, validate_raw),
        Directive("@liquid", compile_liquid, validate_liquid),
    )
}
