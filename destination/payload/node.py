"""One compiled JSON Schema node of `PayloadValidator`: empty-value removal, coercion, checks.

`payload.py` describes the semantics (all Segment's); this module holds the compiled form. A
node is built once per schema and its `run` is called per value. Two shortcuts keep the
common cases cheap without changing any answer: an object under a plain object schema is
cleaned and checked in one pass (falling back to the step-by-step walk on any problem, so
errors are still ajv's first), and a safe integer for a plain string field becomes its digits.
`fast_types` lets callers that build payloads themselves (`payload_fused`) skip `run` for
values it would hand back as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from destination.errors import PayloadValidationError
from destination.js.values import JSON_KINDS, json_truthy, strict_equal, type_name
from destination.payload.coercion import NOT_COERCIBLE, accepts, coerce, finite
from destination.payload.formats import format_check
from destination.payload.messages import Labeller, escape_pointer_token

__all__ = ["Options", "SchemaNode"]

_COERCIBLE = ("string", "number", "integer", "boolean", "null")
_GROUP_KEYWORDS = {
    "number": ("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum"),
    "string": ("maxLength", "minLength", "format"),
    "array": ("items",),
    "object": ("required", "additionalProperties", "properties"),
}
_LIMIT_BREACHED: dict[str, Callable[[float, float], bool]] = {
    "maximum": lambda x, lim: x > lim,
    "minimum": lambda x, lim: x < lim,
    "exclusiveMaximum": lambda x, lim: x >= lim,
    "exclusiveMinimum": lambda x, lim: x <= lim,
}
# Keywords that constrain data but that no Segment field produces: refuse them rather than
# silently accepting what they would reject.
_UNSUPPORTED = frozenset(
    [
        "pattern",
        "multipleOf",
        "minItems",
        "maxItems",
        "uniqueItems",
        "contains",
        "additionalItems",
        "minProperties",
        "maxProperties",
        "propertyNames",
        "patternProperties",
        "dependencies",
        "dependentRequired",
        "dependentSchemas",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "if",
        "then",
        "else",
        "$ref",
        "$defs",
        "definitions",
    ]
)
_NO = object()
_MAX_SAFE = 2**53


class _Unusual(Exception):
    """Raised by the one-pass object check when the data needs the step by step walk."""


class Options:
    """Validator-wide switches (ajv's `coerceTypes` and `removeAdditional`)."""

    __slots__ = ("coerce", "remove_additional")

    def __init__(self, coerce: bool, remove_additional: bool) -> None:
        self.coerce = coerce
        self.remove_additional = remove_additional


_TYPE_OF_KIND: dict[str, type] = {"string": str, "boolean": bool, "null": type(None), "object": dict, "array": list}
_VALIDATION_KEYWORDS = frozenset(
    [
        "type",
        "nullable",
        "enum",
        "const",
        "required",
        "properties",
        "additionalProperties",
        "items",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
    ]
)


class SchemaNode:
    """One compiled schema: what to drop, how to coerce, and which keywords to check, in ajv's order."""

    def __init__(self, schema: Any, options: Options) -> None:
        self.reject_all = schema is False
        if not isinstance(schema, Mapping):
            schema = {}
        unsupported = _UNSUPPORTED.intersection(schema)
        if unsupported:
            raise ValueError(f"schema keyword(s) not supported: {', '.join(sorted(unsupported))}")
        self.accept_all = not self.reject_all and _VALIDATION_KEYWORDS.isdisjoint(schema)
        self.options = options
        self.label = Labeller(schema)
        declared = schema.get("type")
        declared_list = list(declared) if isinstance(declared, list) else ([declared] if declared else [])
        # removeEmptyValues looks at `type`/`enum` only.
        self.clean_active = json_truthy(declared) or json_truthy(schema.get("enum"))
        self.keeps_null = "null" in declared_list
        self.keeps_empty_string = "string" in declared_list

        types = list(declared_list)
        if schema.get("nullable") is True and "null" not in types:
            types.append("null")
        self.types = frozenset(types)
        self.coerce_to = tuple(t for t in types if options.coerce and (t in _COERCIBLE or t == "array"))
        uses = {group: any(k in schema for k in kws) for group, kws in _GROUP_KEYWORDS.items()}
        single = types[0] if len(types) == 1 else None
        has_rules = single is not None and uses.get(single, False)
        self.check_types = bool(types) and not (not self.coerce_to and has_rules)
        self.type_error_group = single if (not self.check_types and has_rules) else None
        self.use_number, self.use_string = uses["number"], uses["string"]
        self.use_array, self.use_object = uses["array"], uses["object"]

        self.const = schema.get("const", _NO)
        self.enum = list(schema["enum"]) if "enum" in schema else None
        self.limits = [(k, schema[k]) for k in _GROUP_KEYWORDS["number"] if k in schema]
        self.max_length = schema.get("maxLength")
        self.min_length = schema.get("minLength")
        self.format = schema.get("format")
        self.format_ok = format_check(self.format) if isinstance(self.format, str) else None

        self.required = tuple(schema.get("required") or ())
        props = schema.get("properties")
        self.properties: dict[str, SchemaNode] | None = None
        self._property_list: list[tuple[str, SchemaNode, str]] = []
        self._drops: dict[str, tuple[bool, bool]] = {}
        if isinstance(props, Mapping):
            self.properties = {key: SchemaNode(sub, options) for key, sub in props.items()}
            for key, node in self.properties.items():
                self._property_list.append((key, node, "/" + escape_pointer_token(key)))
                self._drops[key] = (node.drops_null, node.drops_empty_string)
        extra = schema.get("additionalProperties", _NO)
        self.additional: Any = extra if isinstance(extra, bool) or extra is _NO else SchemaNode(extra, options)
        items = schema.get("items")
        self.items = SchemaNode(items, options) if isinstance(items, (Mapping, bool)) else None

        # Kinds accepted as they are, with nothing left to check: the common leaf case.
        plain = self.plain = self.const is _NO and self.enum is None
        group_of = {"string": "string", "object": "object", "array": "array"}
        self.fast = frozenset(
            kind
            for kind in ("string", "boolean", "null", "object", "array")
            if plain and kind in self.types and not uses.get(group_of.get(kind, ""), False)
        )
        # The same, as the Python types whose values `run` hands back untouched.
        self.fast_types = frozenset(_TYPE_OF_KIND[kind] for kind in self.fast)
        # An object schema whose `run` on a dict only cleans it and checks it property by property.
        self.plain_object = (
            self.properties is not None
            and self.clean_active
            and not self.accept_all
            and not self.reject_all
            and "object" not in self.fast
            and plain
            and (not self.check_types or "object" in self.types)
            and self.type_error_group in (None, "object")
        )
        self._specs = {key: (node, token, *self._drops[key]) for key, node, token in self._property_list}
        # A plain string field: a safe integer becomes its decimal digits (ajv's `"" + value`).
        self.digits_for_integers = self.types == {"string"} and bool(self.coerce_to) and plain and not self.use_string

    @property
    def drops_null(self) -> bool:
        return self.clean_active and not self.keeps_null

    @property
    def drops_empty_string(self) -> bool:
        return self.clean_active and not self.keeps_empty_string

    # -- removeEmptyValues -------------------------------------------------------------------

    def drops(self, value: Any) -> bool:
        """Whether removeEmptyValues turns this value, under this schema, into `undefined`."""
        if value is None:
            return self.drops_null
        if isinstance(value, str):
            return value == "" and self.drops_empty_string
        return type_name(value) == "undefined"

    def _clean_object(self, data: dict[str, Any], is_root: bool) -> dict[str, Any]:
        drops = self._drops
        out = {}
        for key, value in data.items():
            if value is None:
                flags = drops.get(key)
                if flags is not None and flags[0]:
                    continue
            elif isinstance(value, str):
                if value == "":
                    if is_root:
                        continue
                    flags = drops.get(key)
                    if flags is not None and flags[1]:
                        continue
            elif type(value) not in JSON_KINDS and type_name(value) == "undefined":
                continue
            out[key] = value
        return out

    # -- ajv ---------------------------------------------------------------------------------

    def run(self, data: Any, pointer: str, clean: bool, is_root: bool = False) -> Any:
        """Validate one value (cleaning its containers first when `clean`); returns the new value."""
        kind = JSON_KINDS.get(type(data)) or type_name(data)
        if kind in self.fast or self.accept_all:
            return data
        if self.digits_for_integers and type(data) is int and -_MAX_SAFE < data < _MAX_SAFE:
            return str(data)
        if self.reject_all:
            raise PayloadValidationError(self.label.false_schema_error(pointer), field=pointer)
        if clean and self.plain_object and type(data) is dict:
            try:
                return self._plain_object_run(data, pointer, is_root)
            except (_Unusual, PayloadValidationError):
                pass  # the step by step walk below finds the error ajv lists first
        copied = False
        if clean and self.clean_active:
            if kind == "object" and self.properties is not None:
                data, copied = self._clean_object(data, is_root), True
            elif kind == "array" and self.items is not None:
                data, copied = [item for item in data if not self.items.drops(item)], True
        if self.check_types and not accepts(self.types, data, kind):
            data = self._coerce(data, pointer)
            kind = type_name(data)
        if self.const is not _NO and not strict_equal(data, self.const):
            raise PayloadValidationError(self.label.const_error(pointer), field=pointer)
        if self.enum is not None and not any(strict_equal(data, e) for e in self.enum):
            raise PayloadValidationError(self.label.enum_error(pointer, self.enum), field=pointer)
        if self.use_number:
            if kind == "number" and finite(data):
                self._number(data, pointer)
            elif self.type_error_group == "number":
                self._type_error(data, pointer)
        if self.use_string:
            if kind == "string":
                self._string(data, pointer)
            elif self.type_error_group == "string":
                self._type_error(data, pointer)
        if self.use_array:
            if kind == "array":
                data = self._array(data, pointer)
            elif self.type_error_group == "array":
                self._type_error(data, pointer)
        if self.use_object:
            if kind == "object":
                data = self._object(data if copied else dict(data), pointer, clean)
            elif self.type_error_group == "object":
                self._type_error(data, pointer)
        return data

    def _plain_object_run(self, data: dict[str, Any], pointer: str, is_root: bool) -> dict[str, Any]:
        """`run` for a plain object schema, in one pass over the data; raises when in doubt.

        Cleaning, dropping forbidden properties and checking the others do not depend on one
        another per key, so one pass gives the same object, as long as nothing fails: on the
        first problem (or anything unusual) it raises and `run` takes the long way, which
        reports what ajv reports first.
        """
        out = {}
        specs, extra = self._specs, self.additional
        for key, value in data.items():
            kind = type(value)
            spec = specs.get(key)
            if spec is None:
                if kind is str:
                    if is_root and not value:
                        continue
                elif kind not in JSON_KINDS:
                    raise _Unusual
                if extra is False:
                    if self.options.remove_additional:
                        continue
                    raise _Unusual
                if extra is not True and extra is not _NO:
                    raise _Unusual
                out[key] = value
                continue
            node, token, drop_null, drop_empty = spec
            if kind is str:
                if not value and (is_root or drop_empty):
                    continue
            elif value is None:
                if drop_null:
                    continue
            elif kind not in JSON_KINDS:
                raise _Unusual
            out[key] = value if kind in node.fast_types else node.run(value, pointer + token, True)
        for key in self.required:
            if key not in out:
                raise _Unusual
        return out

    def _type_error(self, data: Any, pointer: str) -> None:
        raise PayloadValidationError(self.label.type_error(pointer, data), field=pointer)

    def _coerce(self, data: Any, pointer: str) -> Any:
        coerced = coerce(data, self.types, self.coerce_to)
        if coerced is NOT_COERCIBLE:
            if self.coerce_to and isinstance(data, list) and len(data) == 1:
                data = data[0]  # ajv reports the value it tried last: the lone element
            self._type_error(data, pointer)
        return coerced

    def _number(self, data: float, pointer: str) -> None:
        for keyword, limit in self.limits:
            if _LIMIT_BREACHED[keyword](data, limit):
                raise PayloadValidationError(self.label.limit_error(pointer, keyword, limit), field=pointer)

    def _string(self, data: str, pointer: str) -> None:
        if self.max_length is not None and len(data) > self.max_length:
            message = self.label.length_error(pointer, "maxLength", self.max_length, len(data))
            raise PayloadValidationError(message, field=pointer)
        if self.min_length is not None and len(data) < self.min_length:
            message = self.label.length_error(pointer, "minLength", self.min_length, len(data))
            raise PayloadValidationError(message, field=pointer)
        if self.format_ok is not None and not self.format_ok(data):
            raise PayloadValidationError(self.label.format_error(pointer, self.format), field=pointer)

    def _array(self, data: list[Any], pointer: str) -> list[Any]:
        if self.items is None:
            return data
        # Array items are never cleaned: Segment keeps the original item when it keeps it.
        return [self.items.run(item, f"{pointer}/{i}", False) for i, item in enumerate(data)]

    def _object(self, data: dict[str, Any], pointer: str, clean: bool) -> dict[str, Any]:
        for key in self.required:
            value = data.get(key, _NO)
            if value is _NO or (type(value) not in JSON_KINDS and type_name(value) == "undefined"):
                field = f"{pointer}/{escape_pointer_token(key)}"
                raise PayloadValidationError(self.label.required_error(pointer, key), field=field)
        props = self.properties or {}
        extra = self.additional
        if extra is False:
            for key in [k for k in data if k not in props]:
                if self.options.remove_additional:
                    del data[key]
                else:
                    field = f"{pointer}/{escape_pointer_token(key)}"
                    raise PayloadValidationError(self.label.additional_error(pointer, key), field=field)
        elif isinstance(extra, SchemaNode):
            for key in [k for k in data if k not in props]:
                data[key] = extra.run(data[key], f"{pointer}/{escape_pointer_token(key)}", False)
        for key, node, token in self._property_list:
            value = data.get(key, _NO)
            if value is _NO or (type(value) not in JSON_KINDS and type_name(value) == "undefined"):
                continue
            if type(value) in node.fast_types:
                continue  # `run` would hand it back as it is
            new = node.run(value, pointer + token, clean)
            if new is not value:
                data[key] = new
        return data
