"""Mapping, removal of empty values, validation and the JSON view in one pass, for common shapes.

`CompiledAction.payload` is `json_view(validator.validate(mapping.raw(event)))`: three walks
of the payload and two copies of it. When the mapping is a plain object (the usual case: a few
fields, each a constant, a `@path` or some other directive) and its schema an object with
properties, `fuse` generates one Python function per object of the mapping that maps, cleans,
validates and takes the JSON view field by field. The commonest field — a `@path` giving a
string for a plain string property — is inlined: two dict lookups and a type check.

The generated function is optimistic. Whenever an event strays from what it handles (a
required field missing, a value the schema rejects or would look into, a mapping error, an
unusual type) it raises, and the caller runs the general path, which gives the answer or the
error. So it only ever returns what the general path returns (tests hold it to that), except
that values taken whole from the event (an object under `@path`) are shared, not copied.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from destination.js.objects import is_json_view, json_view
from destination.js.values import JSON_KINDS, UNDEFINED
from destination.mapping.engine import CompiledMapping, OutputField
from destination.mapping.paths import parse_json_path
from destination.payload.messages import escape_pointer_token
from destination.payload.node import SchemaNode
from destination.payload.validator import PayloadValidator

__all__ = ["GiveUp", "fuse"]

Fused = Callable[[dict[str, Any]], dict[str, Any]]
Settle = Callable[[Any, dict[str, Any]], None]
_IMMUTABLE = (str, int, float, bool, type(None))


class GiveUp(Exception):
    """The event is not one the fused function handles: run the general path."""


def fuse(mapping: CompiledMapping, validator: PayloadValidator) -> Fused | None:
    """One function doing `json_view(validator.validate(mapping.raw(event)))` for a dict event.

    It raises (`GiveUp`, or whatever the mapping raised) where the caller must use the general
    path. None when the mapping or schema is not a shape it handles. The generated source is
    the function's `__doc__`, for whoever wants to see what runs.
    """
    if type(mapping) is not CompiledMapping or type(validator) is not PayloadValidator:
        return None  # a subclass may do things its own way: leave it to the general path
    if _uses_liquid(mapping.mapping):
        return None  # a Liquid render dwarfs what fusing saves, and its errors belong to one path: the general one
    fields = mapping.fields()
    if fields is None or not validator.clean:
        return None
    emitter = _Emitter(validator.root.options.remove_additional)
    name = emitter.object(fields, validator.root, "", is_root=True)
    if name is None:
        return None
    exec("\n\n".join(emitter.sources), emitter.env)
    fused: Fused = emitter.env[name]
    fused.__doc__ = "\n\n".join(emitter.sources)
    return fused


def _settler(key: str, schema: SchemaNode | None, pointer: str, clean: bool, drops: tuple[bool, bool]) -> Settle:
    """Puts one field's raw value into the output as the general path would, or raises.

    `drops`: whether removeEmptyValues drops null / "" here; `schema`: the field's schema
    (None: kept as it is); `clean`: whether the general path cleans inside the value.
    """
    drop_null, drop_empty = drops
    fast_types = schema.fast_types if schema is not None else frozenset()
    run = None if schema is None or schema.accept_all else schema.run

    def settle(value: Any, out: dict[str, Any]) -> None:
        kind = type(value)
        if kind is str:
            if drop_empty and not value:
                return
        elif value is None:
            if drop_null:
                return
        elif kind not in JSON_KINDS:
            raise GiveUp
        if run is not None and kind not in fast_types:
            value = run(value, pointer, clean)
        out[key] = value if is_json_view(value) else json_view(value)

    return settle


def _refuser(is_root: bool) -> Settle:
    """A property the schema forbids and the validator reports: fine only when cleaning drops it."""

    def refuse(value: Any, out: dict[str, Any]) -> None:
        if not (is_root and type(value) is str and value == ""):
            raise GiveUp

    return refuse


class _Emitter:
    """Writes the source of one function per object and the names it refers to."""

    def __init__(self, remove_additional: bool) -> None:
        self.remove_additional = remove_additional
        self.env: dict[str, Any] = {"UNDEFINED": UNDEFINED, "GiveUp": GiveUp}
        self.sources: list[str] = []

    def bind(self, prefix: str, value: Any) -> str:
        name = f"{prefix}_{len(self.env)}"
        self.env[name] = value
        return name

    def object(self, fields: tuple[OutputField, ...], node: SchemaNode, pointer: str, is_root: bool) -> str | None:
        """The name of a function building this object, validated, from the event; None if not fusable."""
        if not node.plain_object:
            return None
        lines = ["    out = {}"]
        parents: dict[str, str] = {}
        for field in fields:
            block = self.field(field, node, pointer, is_root, parents)
            if block is None:
                return None
            lines.extend(block)
        if node.required:
            missing = " or ".join(f"{key!r} not in out" for key in node.required)
            lines.append(f"    if {missing}:\n        raise GiveUp")
        lines.append("    return out")
        name = self.bind("build", None)  # the name is taken now; exec defines the function
        self.sources.append(f"def {name}(event):  # the object at {pointer or '/'}\n" + "\n".join(lines))
        return name

    def field(
        self, field: OutputField, node: SchemaNode, pointer: str, is_root: bool, parents: dict[str, str]
    ) -> list[str] | None:
        key, properties = field.key, node.properties or {}
        here = f"{pointer}/{escape_pointer_token(key)}"
        schema = properties.get(key)
        if schema is not None:
            drops = (schema.drops_null, is_root or schema.drops_empty_string)
            clean = True
        elif node.additional is False:
            if self.remove_additional:
                # Removed from the output, but still mapped: the mapping may fail.
                return [] if _is_constant(field) else [f"    {self.bind('run', field.run)}(event)"]
            if _is_constant(field):
                return [] if field.mapping == "" and is_root and type(field.mapping) is str else None
            refuse = self.bind("refuse", _refuser(is_root))
            return [*self.fetch(field, parents), "    if value is not UNDEFINED:", f"        {refuse}(value, out)"]
        else:
            schema = node.additional if isinstance(node.additional, SchemaNode) else None
            drops, clean = (False, is_root), False
        if field.fields is not None and clean and schema is not None and schema.plain_object:
            inner = self.object(field.fields, schema, here, is_root=False)
            if inner is not None:
                return [f"    out[{key!r}] = {inner}(event)"]
        return self.leaf(field, _settler(key, schema, here, clean, drops), schema, drops[1], parents)

    def leaf(
        self, field: OutputField, settle: Settle, schema: SchemaNode | None, drop_empty: bool, parents: dict[str, str]
    ) -> list[str] | None:
        if _is_constant(field):
            scratch: dict[str, Any] = {}
            try:
                settle(field.mapping, scratch)
            except Exception:
                return None
            if not scratch:
                return []
            if isinstance(scratch[field.key], _IMMUTABLE):
                return [f"    out[{field.key!r}] = {self.bind('const', scratch[field.key])}"]
        lines = self.fetch(field, parents)
        slow = self.bind("settle", settle)
        if schema is None or str in schema.fast_types:
            test = "type(value) is str and value" if drop_empty else "type(value) is str"
            lines += [
                f"    if {test}:",
                f"        out[{field.key!r}] = value",
                "    elif value is not UNDEFINED:",
                f"        {slow}(value, out)",
            ]
        else:
            lines += ["    if value is not UNDEFINED:", f"        {slow}(value, out)"]
        return lines

    def fetch(self, field: OutputField, parents: dict[str, str]) -> list[str]:
        """`value = <the field's raw value>`, with one- and two-key `@path`s read inline.

        `parents` names the locals already holding `event[key]` in this function (the mapping
        does not change the event, so one lookup serves every field under the same key).
        """
        run = self.bind("run", field.run)
        mapping = field.mapping
        path = None
        if isinstance(mapping, dict) and len(mapping) == 1 and isinstance(mapping.get("@path"), str):
            path = parse_json_path(mapping["@path"])
        if path is None or len(path) > 2:
            return [f"    value = {run}(event)  # {field.key}"]
        if len(path) == 1:
            return [f"    value = event.get({path[0][0]!r}, UNDEFINED)  # {field.key}"]
        lines = []
        parent = parents.get(path[0][0])
        if parent is None:
            parent = parents[path[0][0]] = f"parent_{len(parents)}"
            lines.append(f"    {parent} = event.get({path[0][0]!r}, UNDEFINED)")
        lookup = f"{parent}.get({path[1][0]!r}, UNDEFINED)"
        lines.append(f"    value = {lookup} if type({parent}) is dict else {run}(event)  # {field.key}")
        return lines


def _uses_liquid(mapping: Any) -> bool:
    """Whether a `@liquid` directive appears anywhere in the mapping."""
    if isinstance(mapping, dict):
        return "@liquid" in mapping or any(_uses_liquid(v) for v in mapping.values())
    return isinstance(mapping, list) and any(_uses_liquid(v) for v in mapping)


def _is_constant(field: OutputField) -> bool:
    """A raw scalar in the mapping: its value is the same for every event."""
    return field.fields is None and isinstance(field.mapping, _IMMUTABLE)
