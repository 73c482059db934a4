"""`generated-types.ts` exactly as Segment's `generate:types` writes it, without Node.

Segment compiles the schema from `typeschema` with json-schema-to-typescript (version 10) and
formats it with prettier (`semi: false`, `singleQuote: true`, `printWidth: 120`). This module
re-implements the part of that pipeline field specs can reach: the schema normaliser's
defaults, the duck typing of schemas into TypeScript types (including its surprises, such as
a scalar field's `default` adding an intersection), and prettier's layout of the result. The
output is compared byte for byte with files Segment generated (tests/test_export_typegen.py).
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from destination.export.typeschema import Schema, UnsupportedField, truthy, types_schema

BANNER = "// Generated file. DO NOT MODIFY IT BY HAND."
PRINT_WIDTH = 120


@dataclass(frozen=True)
class Prim:
    name: str  # string, number, boolean, null, object, unknown, any
    comment: str | None = None


@dataclass(frozen=True)
class Custom:
    text: str
    comment: str | None = None


@dataclass(frozen=True)
class Arr:
    item: TsType
    comment: str | None = None


@dataclass(frozen=True)
class SetOp:
    op: str  # "|" or "&"
    members: tuple[TsType, ...]
    comment: str | None = None


@dataclass(frozen=True)
class Member:
    key: str
    required: bool
    type: TsType


@dataclass(frozen=True)
class Obj:
    members: tuple[Member, ...] = field(default=())
    comment: str | None = None


TsType = Prim | Custom | Arr | SetOp | Obj


# --- normalising, as json-schema-to-typescript's normaliser does before parsing -----------------


def _has_type(schema: Schema, name: str) -> bool:
    kind = schema.get("type")
    return kind == name or (isinstance(kind, list) and name in kind)


def normalize(schema: Schema) -> Schema:
    """Object schemas get `required: []` and open `additionalProperties`; `*/` leaves comments."""
    out = dict(schema)
    if isinstance(out.get("type"), list) and len(out["type"]) == 1:
        out["type"] = out["type"][0]
    is_object = "properties" in out or _has_type(out, "object") or _has_type(out, "any")
    if is_object:
        out.setdefault("required", [])
        out.setdefault("additionalProperties", True)
    if isinstance(out.get("description"), str):
        out["description"] = out["description"].replace("*/", "* /")
    if isinstance(out.get("properties"), Mapping):
        out["properties"] = {k: normalize(v) for k, v in out["properties"].items()}
    if isinstance(out.get("items"), Mapping):
        out["items"] = normalize(out["items"])
    if isinstance(out.get("additionalProperties"), Mapping):
        raise UnsupportedField("a schema for additional properties is not exported")
    return out


# --- duck typing and parsing ------------------------------------------------------------------


def _default_is(schema: Schema, kind: type | tuple[type, ...]) -> bool:
    """A scalar schema's `default` also types it (json-schema-to-typescript's rule)."""
    if isinstance(schema.get("type"), list) or "default" not in schema:
        return False
    value = schema["default"]
    if kind is bool:
        return isinstance(value, bool)
    return isinstance(value, kind) and not isinstance(value, bool)


def kinds_of(schema: Schema) -> list[str]:
    """Which TypeScript kinds a schema is, in the library's matcher order (several: an intersection)."""
    if "tsType" in schema:
        return ["CUSTOM_TYPE"]
    if "enum" in schema or "anyOf" in schema or "allOf" in schema or "oneOf" in schema:
        raise UnsupportedField("enum and combined schemas are not exported")
    kind = schema.get("type")
    found = []
    if not schema or kind == "any":
        found.append("ANY")
    if kind == "boolean" or _default_is(schema, bool):
        found.append("BOOLEAN")
    if kind == "null":
        found.append("NULL")
    if kind in ("integer", "number") or _default_is(schema, (int, float)):
        found.append("NUMBER")
    if kind == "object" and not truthy(schema.get("properties")) and not truthy(schema.get("required")):
        found.append("OBJECT")
    if kind == "string" or _default_is(schema, str):
        found.append("STRING")
    if (not kind or kind == "array") and "items" in schema:
        found.append("TYPED_ARRAY")
    if isinstance(kind, list):
        found.append("UNION")
    if kind == "array" and "items" not in schema:
        found.append("UNTYPED_ARRAY")
    return found or ["UNNAMED_SCHEMA"]


_DEFAULT_TYPES: dict[str, Any] = {
    "boolean": bool,
    "integer": (int, float),
    "number": (int, float),
    "string": str,
    "array": list,
    "object": dict,
}


def _strip_default(schema: Schema) -> Schema:
    """A union member keeps `default` only when it has the member's type."""
    if "default" not in schema:
        return schema
    expected = _DEFAULT_TYPES.get(schema.get("type", ""))
    value = schema["default"]
    if schema.get("type") == "null" and value is None:
        return schema
    if expected is not None and isinstance(value, expected) and (expected is bool or not isinstance(value, bool)):
        return schema
    return {k: v for k, v in schema.items() if k != "default"}


def parse(schema: Schema) -> TsType:
    kinds = kinds_of(schema)
    if len(kinds) == 1:
        return _parse_as(schema, kinds[0])
    stripped = {k: v for k, v in schema.items() if k != "description"}
    return _optimize(SetOp("&", tuple(_parse_as(stripped, k) for k in kinds), schema.get("description")))


def _parse_as(schema: Schema, kind: str) -> TsType:
    comment = schema.get("description")
    if kind == "CUSTOM_TYPE":
        return Custom(schema["tsType"], comment)
    simple = {"ANY": "unknown", "BOOLEAN": "boolean", "NULL": "null", "NUMBER": "number", "OBJECT": "object"}
    if kind in simple:
        return Prim(simple[kind], comment)
    if kind == "STRING":
        return Prim("string", comment)
    if kind == "TYPED_ARRAY":
        if isinstance(schema["items"], list):
            raise UnsupportedField("tuples are not exported")
        return Arr(parse(schema["items"]), comment)
    if kind == "UNTYPED_ARRAY":
        return Arr(Prim("unknown"), comment)
    if kind == "UNION":
        base = {k: v for k, v in schema.items() if k not in ("description", "id", "title")}
        members = tuple(parse(_strip_default({**base, "type": t})) for t in schema["type"])
        return _optimize(SetOp("|", members, comment))
    return _interface(schema, comment)


def _interface(schema: Schema, comment: str | None) -> Obj:
    required = schema.get("required") or []
    members = [Member(k, k in required, parse(v)) for k, v in (schema.get("properties") or {}).items()]
    if schema.get("additionalProperties", True) is not False:
        members.append(Member("[k: string]", True, Prim("unknown")))
    return Obj(tuple(members), comment)


def _optimize(op: SetOp) -> TsType:
    """Like the library's optimiser: `unknown` absorbs a set, and repeated members go."""
    if any(isinstance(m, Prim) and m.name in ("unknown", "any") for m in op.members):
        return Prim("unknown", op.comment)
    unique: list[TsType] = []
    for member in op.members:
        bare = _uncommented(member)
        if all(_uncommented(u) != bare for u in unique):
            unique.append(member)
    return SetOp(op.op, tuple(unique), op.comment)


def _uncommented(t: TsType) -> Any:
    return json.dumps(_shape(t), sort_keys=True)


def _shape(t: TsType) -> Any:
    if isinstance(t, Prim):
        return ["prim", t.name]
    if isinstance(t, Custom):
        return ["custom", t.text]
    if isinstance(t, Arr):
        return ["array", _shape(t.item)]
    if isinstance(t, SetOp):
        return [t.op, [_shape(m) for m in t.members]]
    return ["object", [[m.key, m.required, _shape(m.type)] for m in t.members]]


# --- printing, laid out as prettier lays out the library's output -------------------------------


def _comment_lines(comment: str | None, indent: str) -> list[str]:
    """A JSDoc block; prettier trims each line of an indentable block comment."""
    if comment is None or comment == "":
        return []
    body = [f"{indent} * {line}".rstrip() for line in comment.split("\n")]
    return [f"{indent}/**", *body, f"{indent} */"]


def render(t: TsType, indent: str) -> str:
    """The type's text; lines after the first are indented for a member at `indent`."""
    if isinstance(t, Prim):
        return t.name
    if isinstance(t, Custom):
        return " ".join(t.text.split())
    if isinstance(t, Arr):
        inner = render(t.item, indent)
        wrap = isinstance(t.item, SetOp) and len(t.item.members) > 1
        wrap = wrap or isinstance(t.item, Custom) and any(c in t.item.text for c in "|&")
        return f"({inner})[]" if wrap else f"{inner}[]"
    if isinstance(t, SetOp):
        if len(t.members) == 1:
            return render(t.members[0], indent)
        if any(isinstance(m, SetOp) and len(m.members) > 1 for m in t.members):
            raise UnsupportedField("nested unions and intersections are not exported")
        parts = [render(m, indent) for m in t.members]
        if t.op == "&" and any("\n" in p for p in parts):
            raise UnsupportedField("an intersection with an object type is not exported")
        return f" {t.op} ".join(parts)
    if not t.members:
        return "{}"
    inner_indent = indent + "  "
    return "{\n" + "\n".join(_member(m, inner_indent) for m in t.members) + f"\n{indent}}}"


def _member(m: Member, indent: str) -> str:
    lines = _comment_lines(_comment(m.type), indent)
    text = f"{indent}{m.key}{'' if m.required else '?'}: {render(m.type, indent)}"
    if len(text.split("\n", 1)[0]) > PRINT_WIDTH:
        raise UnsupportedField(f"the line for {m.key!r} is longer than prettier's print width")
    return "\n".join([*lines, text])


def _comment(t: TsType) -> str | None:
    return t.comment


def _key(key: str) -> str:
    """A key as the library escapes it (a JSON string unless a plain identifier), then as prettier
    prints it: unquoted when it is an identifier name after all, else in its preferred quotes."""
    if key == "[k: string]" or _plain_key(key) or _es5_identifier(key):
        return key
    return _quote_key(key)


def _requote(t: TsType) -> TsType:
    if isinstance(t, Obj):
        return Obj(tuple(Member(_key(m.key), m.required, _requote(m.type)) for m in t.members), t.comment)
    if isinstance(t, Arr):
        return Arr(_requote(t.item), t.comment)
    if isinstance(t, SetOp):
        return SetOp(t.op, tuple(_requote(m) for m in t.members), t.comment)
    return t


def _plain_key(key: str) -> bool:
    return (
        bool(key)
        and (key[0].isascii() and (key[0].isalpha() or key[0] in "_$"))
        and all(c.isascii() and (c.isalnum() or c in "_$") for c in key)
    )


def _es5_identifier(key: str) -> bool:
    def start(c: str) -> bool:
        return c in "$_" or unicodedata.category(c) in ("Lu", "Ll", "Lt", "Lm", "Lo", "Nl")

    def part(c: str) -> bool:
        return start(c) or unicodedata.category(c) in ("Mn", "Mc", "Nd", "Pc") or c in "\u200c\u200d"

    return bool(key) and start(key[0]) and all(part(c) for c in key[1:])


def _quote_key(key: str) -> str:
    """`JSON.stringify(key)`, then prettier's quote choice (single unless it needs more escapes)."""
    text = json.dumps(key, ensure_ascii=False)
    inner = text[1:-1]
    if inner.count("'") > inner.count('\\"'):
        return text
    return "'" + inner.replace('\\"', '"').replace("'", "\\'") + "'"


def interface(name: str, fields: Mapping[str, Mapping[str, Any]]) -> str:
    """`export interface <name> {...}` for these fields, as Segment's generator prints it."""
    root = parse(normalize(types_schema(fields)))
    if not isinstance(root, Obj):  # pragma: no cover - the root schema is always an object
        raise UnsupportedField("the root schema is not an object")
    root = _requote(root)
    return f"export interface {name} {render(root, '')}"


def generated_types(name: str, fields: Mapping[str, Mapping[str, Any]]) -> str:
    """A whole `generated-types.ts`: Segment's banner, one blank line, the interface."""
    return f"{BANNER}\n\n{interface(name, fields)}\n"
