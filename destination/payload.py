"""What Segment does to a mapped payload before `perform`: drop empty values, coerce, validate.

Segment's runtime calls `removeEmptyValues(payload, schema, isRoot=true)` and then ajv with
`coerceTypes: "array"`, `removeAdditional: true` and `allErrors: true`, and reports the errors
through `ajv-human-errors`. `PayloadValidator` compiles a schema once into a tree of nodes that
does all three in one walk, in ajv's keyword order, and raises the first error ajv would list.

Semantics worth knowing (all Segment's):
- empty values: `undefined` goes everywhere the schema has properties; `null` goes where the
  property's `type` does not include "null"; `""` goes where it does not include "string", and
  at the top level always. Subtrees without a typed schema, and array items, are left as they are.
- coercion follows ajv's table: number/boolean -> string (`"" + value`), null -> "", numeric
  string/boolean/null -> number, "true"/"false"/1/0/null -> boolean, a one-element array -> its
  element (then coerced), scalar -> [scalar] for array types.
- properties a schema forbids (`additionalProperties: false`) are removed, not reported.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from destination.errors import PayloadValidationError
from destination.human_errors import Labeller, escape_pointer_token
from destination.jsvalues import (
    js_number,
    js_truthy,
    strict_equal,
    string_to_number,
    to_js_string,
    typeof,
)
from destination.payload_formats import format_check

__all__ = ["PayloadValidationError", "PayloadValidator"]

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
        "pattern", "multipleOf", "minItems", "maxItems", "uniqueItems", "contains", "additionalItems",
        "minProperties", "maxProperties", "propertyNames", "patternProperties", "dependencies",
        "dependentRequired", "dependentSchemas", "allOf", "anyOf", "oneOf", "not", "if", "then",
        "else", "$ref", "$defs", "definitions"
    ]
)
_NO = object()


_PRIMARY: dict[type, str] = {
    type(None): "null",
    bool: "boolean",
    str: "string",
    int: "number",
    float: "number",
    list: "array",
    dict: "object",
}
_MAX_DOUBLE = 1.7976931348623157e308
_VALIDATION_KEYWORDS = frozenset(
    [
        "type", "nullable", "enum", "const", "required", "properties", "additionalProperties", "items",
        "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength",
        "maxLength"
    ]
)


def _kind(value: Any) -> str:
    """The JSON kind of a value ("number" for any number); "undefined" for anything else."""
    kind = _PRIMARY.get(type(value))
    if kind is not None:
        return kind
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "undefined"


def _finite(value: Any) -> bool:
    """ajv's number check (strictNumbers): JSON numbers too big for a double are Infinity."""
    return abs(value) <= _MAX_DOUBLE if isinstance(value, int) else math.isfinite(value)


def _is_zero(value: Any) -> bool:
    return _kind(value) == "number" and value == 0


def _not_fractional(x: float) -> bool:
    # JavaScript `!(x % 1)`: true for whole numbers and for ±Infinity (Infinity % 1 is NaN).
    return not math.isfinite(x) or x == int(x)


class _Node:
    """One compiled schema: what to drop, how to coerce, and which keywords to check, in ajv's order."""

    def __init__(self, schema: Any, options: _Options) -> None:
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
        self.clean_active = js_truthy(declared) or js_truthy(schema.get("enum"))
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
        self.properties: dict[str, _Node] | None = None
        self._property_list: list[tuple[str, _Node, str]] = []
        self._drops: dict[str, tuple[bool, bool]] = {}
        if isinstance(props, Mapping):
            self.properties = {key: _Node(sub, options) for key, sub in props.items()}
            for key, node in self.properties.items():
                self._property_list.append((key, node, "/" + escape_pointer_token(key)))
                self._drops[key] = (node.drops_null, node.drops_empty_string)
        extra = schema.get("additionalProperties", _NO)
        self.additional: Any = extra if isinstance(extra, bool) or extra is _NO else _Node(extra, options)
        items = schema.get("items")
        self.items = _Node(items, options) if isinstance(items, (Mapping, bool)) else None

        # Kinds accepted as they are, with nothing left to check: the common leaf case.
        plain = self.const is _NO and self.enum is None
        group_of = {"string": "string", "object": "object", "array": "array"}
        self.fast = frozenset(
            kind
            for kind in ("string", "boolean", "null", "object", "array")
            if plain and kind in self.types and not uses.get(group_of.get(kind, ""), False)
        )

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
        return _kind(value) == "undefined"

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
            elif type(value) not in _PRIMARY and _kind(value) == "undefined":
                continue
            out[key] = value
        return out

    # -- ajv ---------------------------------------------------------------------------------

    def _accepts(self, value: Any, kind: str) -> bool:
        if kind != "number":
            return kind in self.types
        if not _finite(value):
            return False
        return "number" in self.types or ("integer" in self.types and float(value).is_integer())

    def run(self, data: Any, pointer: str, clean: bool, is_root: bool = False) -> Any:
        """Validate one value (cleaning its containers first when `clean`); returns the new value."""
        kind = _kind(data)
        if kind in self.fast or self.accept_all:
            return data
        if self.reject_all:
            raise PayloadValidationError(self.label.false_schema_error(pointer), field=pointer)
        copied = False
        if clean and self.clean_active:
            if kind == "object" and self.properties is not None:
                data, copied = self._clean_object(data, is_root), True
            elif kind == "array" and self.items is not None:
                data, copied = [item for item in data if not self.items.drops(item)], True
        if self.check_types and not self._accepts(data, kind):
            data = self._coerce(data, pointer)
            kind = _kind(data)
        if self.const is not _NO and not strict_equal(data, self.const):
            raise PayloadValidationError(self.label.const_error(pointer), field=pointer)
        if self.enum is not None and not any(strict_equal(data, e) for e in self.enum):
            raise PayloadValidationError(self.label.enum_error(pointer, self.enum), field=pointer)
        if self.use_number:
            if kind == "number" and _finite(data):
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

    def _type_error(self, data: Any, pointer: str) -> None:
        raise PayloadValidationError(self.label.type_error(pointer, data), field=pointer)

    def _coerce(self, data: Any, pointer: str) -> Any:
        if not self.coerce_to:
            self._type_error(data, pointer)
        if isinstance(data, list) and len(data) == 1:
            # coerceTypes "array": look inside a one-element array first.
            data = data[0]
            if self._accepts(data, _kind(data)):
                return data
        kind = typeof(data)
        for target in self.coerce_to:
            if target == "string":
                if kind in ("number", "boolean"):
                    return to_js_string(data)
                if data is None:
                    return ""
            elif target in ("number", "integer"):
                if kind == "boolean":
                    return 1 if data else 0
                if data is None:
                    return 0
                if kind == "string" and data:
                    x = string_to_number(data)
                    if not math.isnan(x) and (target == "number" or _not_fractional(x)):
                        return js_number(x)
            elif target == "boolean":
                if (kind == "string" and data == "false") or _is_zero(data) or data is None:
                    return False
                if (kind == "string" and data == "true") or (kind == "number" and data == 1):
                    return True
            elif target == "null":
                if (kind == "string" and data == "") or _is_zero(data) or data is False:
                    return None
            elif target == "array" and (kind in ("string", "number", "boolean") or data is None):
                return [data]
        self._type_error(data, pointer)

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
            if value is _NO or (type(value) not in _PRIMARY and _kind(value) == "undefined"):
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
        elif isinstance(extra, _Node):
            for key in [k for k in data if k not in props]:
                data[key] = extra.run(data[key], f"{pointer}/{escape_pointer_token(key)}", False)
        for key, node, token in self._property_list:
            value = data.get(key, _NO)
            if value is _NO or (type(value) not in _PRIMARY and _kind(value) == "undefined"):
                continue
            new = node.run(value, pointer + token, clean)
            if new is not value:
                data[key] = new
        return data


class _Options:
    __slots__ = ("coerce", "remove_additional")

    def __init__(self, coerce: bool, remove_additional: bool) -> None:
        self.coerce = coerce
        self.remove_additional = remove_additional


class PayloadValidator:
    """A schema compiled once; `validate` cleans, coerces and checks one payload per call.

    `coerce=False` turns off ajv's type coercion (a wrong type is an error); `remove_additional=False`
    reports forbidden properties instead of dropping them; `clean=False` skips removeEmptyValues.
    Segment's behaviour is the default for all three. The input payload is never modified.
    """

    def __init__(
        self,
        schema: Mapping[str, Any],
        *,
        coerce: bool = True,
        remove_additional: bool = True,
        clean: bool = True,
    ) -> None:
        self.schema = schema
        self.clean = clean
        self._root = _Node(schema, _Options(coerce, remove_additional))

    def validate(self, payload: Any) -> Any:
        """The cleaned, coerced payload, or `PayloadValidationError` with Segment's first message."""
        return self._root.run(payload, "", self.clean, is_root=True)
