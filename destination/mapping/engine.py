"""Segment's mapping-kit in Python: validate a mapping, compile it once, apply it to events.

`transform(mapping, event)` behaves like `@segment/actions-core`'s `transform`: it checks the
event, unwraps a root directive, validates the mapping (raising `MappingValidationError` with
Segment's messages), then resolves it, raising `MappingError` with Segment's message when a
directive cannot be applied. `compile_mapping` does the same work once up front so that each
event only runs the compiled tree — that is the hot path.

Values that resolve to nothing are JavaScript's `undefined`, here the `UNDEFINED` sentinel.
`CompiledMapping.raw` returns what Segment's `transform` returns (undefined dropped from
objects, kept in arrays); calling the compiled mapping returns what `JSON.stringify` of it
shows (arrays get `None` instead).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from destination.errors import MappingError, MappingValidationError
from destination.js.objects import is_undefined, js_keys, json_view, remove_undefined
from destination.js.values import UNDEFINED, truthy, type_name, typeof, utf16_units
from destination.mapping.directives import DIRECTIVES
from destination.mapping.node import Node, constant, fails, is_directive
from destination.mapping.reshape import merged_members
from destination.mapping.rules import MappingIssue, MappingValidator

__all__ = [
    "UNDEFINED",
    "is_undefined",
    "MappingIssue",
    "MappingError",
    "MappingValidationError",
    "CompiledMapping",
    "OutputField",
    "compile_mapping",
    "transform",
    "validate_mapping",
]

ROOT_MAPPING_FIELD_KEY = "__segment_internal_directive"

_VALIDATOR = MappingValidator({name: d.validate for name, d in DIRECTIVES.items()})

Run = Callable[[Any], Any]


def validate_mapping(mapping: Any) -> list[MappingIssue]:
    """Segment's mapping validator: every problem, in Segment's order ([] when valid)."""
    return _VALIDATOR.issues(mapping)


def _own_keys(value: Any) -> list[str]:
    """`Object.keys(value)` for any JSON value."""
    if value is None or value is UNDEFINED:
        raise MappingError("Cannot convert undefined or null to object")
    if isinstance(value, Mapping):
        return js_keys(value)
    if isinstance(value, list):
        return [str(i) for i in range(len(value))]
    if isinstance(value, str):
        return [str(i) for i in range(len(utf16_units(value)))]
    return []


def _spread(value: Any) -> dict[str, Any]:
    """`{...value}` for any JSON value."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, list):
        return {str(i): item for i, item in enumerate(value)}
    if isinstance(value, str):
        return {str(i): unit for i, unit in enumerate(utf16_units(value))}
    return {}


def _mapping_to_process(mapping: Any) -> Any:
    """`getMappingToProcess`: a mapping with a root directive becomes that directive, fed the rest."""
    spread = _spread(mapping)
    if ROOT_MAPPING_FIELD_KEY not in _own_keys(mapping):
        return spread
    customer = {k: v for k, v in mapping.items() if k != ROOT_MAPPING_FIELD_KEY}
    root = mapping[ROOT_MAPPING_FIELD_KEY]
    keys = _own_keys(root)
    if len(keys) > 1:
        raise MappingError("The root mapping must only have a single directive object")
    directive = _spread(root).get(keys[0], UNDEFINED) if keys else UNDEFINED
    if not truthy(directive) or typeof(directive, Mapping) != "object":
        raise MappingError("The root directive must be an object")
    if isinstance(root, Mapping) and isinstance(directive, Mapping):
        return {keys[0]: {**directive, "mapping": customer}}
    if isinstance(root, list) and isinstance(directive, Mapping):
        return [{**directive, "mapping": customer}]
    return root


def _check_mapping(mapping: Any) -> Any:
    """Unwrap and validate as Segment's `transform` does before resolving anything."""
    processed = _mapping_to_process(mapping)
    issues = _VALIDATOR.issues(processed)
    if issues:
        raise MappingValidationError([issue.message for issue in issues])
    return processed


def _check_data(data: Any) -> Any:
    """`transform(mapping, data = {})`: data must be an object; undefined means {}."""
    if data is UNDEFINED:
        return {}
    if type(data) is not dict and type_name(data, Mapping) != "object":
        raise MappingError(f"data must be an object, got {type_name(data, Mapping)}")
    return data


class OutputField(NamedTuple):
    """One member of a plain object in output position, as `CompiledMapping.fields` lists it.

    `run(payload)` gives the member's raw value (UNDEFINED when it is left out); `mapping` is
    the member's mapping. When the value is an object built member by member — a plain object,
    or a `@merge` of plain objects (see `merged_members`) — `fields` lists those members, so
    that `{f.key: f.run(payload)}` over them, leaving out UNDEFINED, is the value.
    """

    key: str
    run: Run
    mapping: Any
    fields: tuple[OutputField, ...] | None


def _object_node(fields: tuple[OutputField, ...]) -> Node:
    """An object built from its members, leaving out those that resolve to undefined."""
    pairs = [(f.key, f.run) for f in fields]

    def build(payload: Any) -> dict[str, Any]:
        out = {}
        for key, run in pairs:
            value = run(payload)
            if value is not UNDEFINED:
                out[key] = value
        return out

    return Node(build, clean=True, defined=True)


class _Compiler:
    """Compiles mapping values for one kind of payload (whether it may hold UNDEFINED)."""

    def __init__(self, payload_clean: bool) -> None:
        self.payload_clean = payload_clean

    def for_payload(self, clean: bool) -> _Compiler:
        return self if clean == self.payload_clean else _Compiler(clean)

    def node(self, mapping: Any) -> Node:
        """`resolve(mapping, payload)` compiled: raw values kept, directives run."""
        if isinstance(mapping, dict):
            if is_directive(mapping):
                return self._directive(mapping)
            keys = js_keys(mapping)
            nodes = [self.node(mapping[k]) for k in keys]
            pairs = [(k, n.run) for k, n in zip(keys, nodes, strict=True)]
            clean = all(n.clean and n.defined for n in nodes)
            return Node(lambda payload: {k: run(payload) for k, run in pairs}, clean=clean, defined=True)
        if isinstance(mapping, list):
            nodes = [self.node(item) for item in mapping]
            runs = [n.run for n in nodes]
            clean = all(n.clean and n.defined for n in nodes)
            return Node(lambda payload: [run(payload) for run in runs], clean=clean, defined=True)
        return constant(mapping)

    def _directive(self, mapping: dict[str, Any]) -> Node:
        name = next(k for k in mapping if k.startswith("@"))
        directive = DIRECTIVES.get(name)
        if directive is None:
            return fails(f"{name} is not a valid directive, got undefined")
        return directive.compile(mapping[name], self)

    def apply(self, mapping: dict[str, Any]) -> Node:
        """`@transform`'s nested `transform(apply, payload)`, checks and all, as a node."""
        try:
            processed = _check_mapping(mapping)
        except (MappingError, MappingValidationError) as exc:
            problem: str | None = exc.message
            inner = constant(UNDEFINED)
        else:
            problem = None
            inner = self.node(processed)
        resolve = inner.run
        strip = not inner.clean

        def run(payload: Any) -> Any:
            data = _check_data(payload)
            if problem is not None:
                raise MappingError(problem)
            value = resolve(data)
            return remove_undefined(value) if strip else value

        return Node(run, clean=inner.clean, defined=inner.defined)

    def output_fields(self, mapping: dict[str, Any], cleanup: Callable[[Any], Any]) -> tuple[OutputField, ...]:
        """The members of a plain object in output position, each compiled in output position."""
        return self._fields([(key, mapping[key]) for key in js_keys(mapping)], cleanup)

    def _fields(self, members: list[tuple[str, Any]], cleanup: Callable[[Any], Any]) -> tuple[OutputField, ...]:
        fields: list[OutputField] = []
        inner: tuple[OutputField, ...] | None
        for key, value in members:
            if isinstance(value, dict) and not is_directive(value):
                inner = self.output_fields(value, cleanup)
                fields.append(OutputField(key, _object_node(inner).run, value, inner))
                continue
            merged = merged_members(value)
            inner = None if merged is None else self._fields(merged, cleanup)
            fields.append(OutputField(key, self.output(value, cleanup, False).run, value, inner))
        return tuple(fields)

    def output(self, mapping: Any, cleanup: Callable[[Any], Any], in_array: bool) -> Node:
        """A node in output position: undefined values are dropped as the output is built.

        Objects and arrays that only lead to the output are built without undefined members;
        directive results that may hold undefined inside get `cleanup` (removeUndefined, or
        the JSON view). `in_array` nodes turn a top-level undefined into None in JSON view.
        """
        if isinstance(mapping, dict) and not is_directive(mapping):
            return _object_node(self.output_fields(mapping, cleanup))
        if isinstance(mapping, list):
            runs = [self.output(item, cleanup, True).run for item in mapping]
            return Node(lambda payload: [run(payload) for run in runs], clean=True, defined=True)
        node = self.node(mapping)
        if node.clean and (node.defined or not in_array or cleanup is remove_undefined):
            return node
        run = node.run
        if in_array and cleanup is json_view:
            return Node(lambda payload: None if (v := run(payload)) is UNDEFINED else json_view(v), clean=True)
        return Node(lambda payload: cleanup(run(payload)), clean=True)


class CompiledMapping:
    """A validated mapping compiled once: calling it maps one event with no parsing or checks."""

    __slots__ = ("mapping", "_processed", "_json", "_raw", "_fields")

    def __init__(self, mapping: Any) -> None:
        self.mapping = mapping
        self._processed = _check_mapping(mapping)
        self._json: Run = _Compiler(payload_clean=True).output(self._processed, json_view, False).run
        self._raw: Run | None = None
        self._fields: tuple[OutputField, ...] | None = None

    def __call__(self, event: Mapping[str, Any]) -> Any:
        """The mapped payload as JSON would show it: no UNDEFINED anywhere (None at the top)."""
        if type(event) is not dict:
            event = _check_data(event)
        result = self._json(event)
        return None if result is UNDEFINED else result

    def raw(self, event: Mapping[str, Any]) -> Any:
        """The mapped payload exactly as Segment's transform returns it (UNDEFINED kept in arrays)."""
        if self._raw is None:
            self._compile_raw()
        if type(event) is not dict:
            event = _check_data(event)
        return self._raw(event)  # type: ignore[misc]

    def fields(self) -> tuple[OutputField, ...] | None:
        """The members `raw` builds its object from, or None when the mapping is a root directive.

        `raw(event)` is `{f.key: f.run(event)}` over these, leaving out UNDEFINED values; a
        caller may run them itself to build (and check) the payload in one pass.
        """
        if self._raw is None:
            self._compile_raw()
        return self._fields

    def _compile_raw(self) -> None:
        compiler = _Compiler(payload_clean=True)
        processed = self._processed
        if isinstance(processed, dict) and not is_directive(processed):
            self._fields = compiler.output_fields(processed, remove_undefined)
            self._raw = _object_node(self._fields).run
        else:
            self._raw = compiler.output(processed, remove_undefined, False).run


def compile_mapping(mapping: Any) -> CompiledMapping:
    """Validate and compile a mapping (raises MappingValidationError / MappingError)."""
    return CompiledMapping(mapping)


def transform(mapping: Any, event: Any) -> Any:
    """Segment's `transform(mapping, event)`, as JSON would show the result."""
    data = _check_data(event)
    return compile_mapping(mapping)(data)
