"""The JSON Schema Segment's type generator feeds to json-schema-to-typescript, from field specs.

Segment's `generate:types` command runs `fieldsToJsonSchema(fields, {tsType: true})`, strips
`title` and `enum` where its clean-up walk reaches, and compiles the result. The quirks of that
derivation decide the TypeScript (a `datetime` field is typed by a `tsType` override, `multiple`
drops `allowNull`, a nested object's extra keys follow `additionalProperties`), so they are
reproduced here rather than taken from the runtime's validation schema. Keys that cannot change
the TypeScript (`minLength`, bounds) are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Schema = dict[str, Any]


class UnsupportedField(ValueError):
    """A field shape whose generated types we do not reproduce byte for byte: refuse, never guess."""


def truthy(value: Any) -> bool:
    """JavaScript's truthiness: empty objects and arrays are true, zero and "" are false."""
    if isinstance(value, (dict, list)):
        return True
    return bool(value) if value is not None else False


def _json_type(field_type: str) -> str | list[str]:
    if field_type in ("string", "text", "password"):
        return "string"
    if field_type == "datetime":
        return ["string", "number"]
    return field_type


def fields_schema(
    fields: Mapping[str, Mapping[str, Any]], *, ts_type: bool = False, additional_properties: bool = False
) -> Schema:
    """What `fieldsToJsonSchema` returns for these fields (conditions are refused, not rendered)."""
    properties: dict[str, Schema] = {}
    required: list[str] = []
    for key, field in fields.items():
        properties[key] = _field_schema(key, field, ts_type=ts_type)
        if field.get("required") is True:
            required.append(key)
        elif isinstance(field.get("required"), Mapping):
            raise UnsupportedField(f"field {key!r}: conditionally required fields are not exported")
    return {
        "$schema": "http://json-schema.org/schema#",
        "type": "object",
        "additionalProperties": additional_properties,
        "properties": properties,
        "required": required,
    }


def _field_schema(key: str, field: Mapping[str, Any], *, ts_type: bool) -> Schema:
    field_type = field["type"]
    schema_type = _json_type(field_type)
    schema: Schema = {"title": field.get("label"), "description": field.get("description"), "type": schema_type}
    schema["format"] = field.get("format")
    schema["default"] = field.get("default")
    if field_type == "datetime":
        schema["format"] = "date-like"
        if ts_type:
            schema["tsType"] = "string | number"
    elif field_type in ("password", "text"):
        schema["format"] = field_type
    if truthy(field.get("choices")):
        schema["enum"] = [c if isinstance(c, str) else c.get("value") for c in field["choices"]]
    if truthy(field.get("allowNull")):
        schema["type"] = [*(schema_type if isinstance(schema_type, list) else [schema_type]), "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
        if isinstance(schema.get("tsType"), str) and "null" not in schema["tsType"]:
            schema["tsType"] += " | null"
    multiple = truthy(field.get("multiple"))
    if multiple:
        schema["items"] = {"type": schema_type}
        schema["type"] = "array"
        if "enum" in schema:
            schema["items"]["enum"] = schema.pop("enum")
    properties = field.get("properties")
    if schema_type == "object" and isinstance(properties, Mapping):
        if truthy(field.get("allowNull")) and not multiple:
            raise UnsupportedField(f"field {key!r}: an object with properties that allows null is not exported")
        nested = fields_schema(properties, additional_properties=truthy(field.get("additionalProperties")))
        if multiple:
            schema["items"] = nested
        else:
            schema.update(nested)
    # Keys set to `undefined` in Segment's object literal are absent once serialised; `default: null` is kept.
    return {k: v for k, v in schema.items() if v is not None or (k == "default" and "default" in field)}


def remove_extra(schema: Schema) -> Schema:
    """Segment's clean-up before compiling: no `title` (it would name types) and no `enum`."""
    copy = {k: v for k, v in schema.items() if k not in ("title", "enum")}
    if copy.get("type") == "object" and truthy(copy.get("properties")):
        copy["properties"] = {k: remove_extra(v) for k, v in copy["properties"].items()}
    elif copy.get("type") == "array" and truthy(copy.get("items")):
        copy["items"] = remove_extra(copy["items"])
    return copy


def types_schema(fields: Mapping[str, Mapping[str, Any]]) -> Schema:
    """The schema Segment compiles into an interface (`Settings`, `Payload`)."""
    return remove_extra(fields_schema(fields, ts_type=True))
