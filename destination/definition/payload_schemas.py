"""JSON Schemas derived from the field specs, the way Segment's `fieldsToJsonSchema` derives them.

Segment validates every mapped payload against a schema generated from the action's fields
and validates settings against one generated from the authentication fields. We generate the
same schemas from `antavo.yaml` (key for key, in Segment's key order) and commit them under
`schemas/` so the receiver and editors can use them without importing the runtime.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from destination.definition.model import Action, Definition

SCHEMA_DIALECT = "http://json-schema.org/schema#"
GENERATED_COMMENT = "Generated from destination/antavo.yaml by `antavo-actions schemas`. Do not edit."
SETTINGS_SCHEMA_NAME = "settings"

# Segment field types that are not JSON Schema types.
_FIELD_TYPES: dict[str, str | list[str]] = {
    "string": "string",
    "text": "string",
    "password": "string",
    "datetime": ["string", "number"],
}
# Field types Segment expresses as a `format` on top of the JSON type.
_FIELD_FORMATS = {"datetime": "date-like", "password": "password", "text": "text"}


def _json_type(field_type: str) -> str | list[str]:
    return _FIELD_TYPES.get(field_type, field_type)


def _with_null(schema_type: str | list[str]) -> list[str]:
    base = schema_type if isinstance(schema_type, list) else [schema_type]
    return [*base, "null"]


def _field_schema(field: Mapping[str, Any]) -> dict[str, Any]:
    """One property's schema; keys are inserted in the order Segment's object literal has them."""
    field_type = field["type"]
    schema_type = _json_type(field_type)
    schema: dict[str, Any] = {}
    if "label" in field:
        schema["title"] = field["label"]
    if "description" in field:
        schema["description"] = field["description"]
    schema["type"] = schema_type
    fmt = _FIELD_FORMATS.get(field_type, field.get("format"))
    if fmt is not None:
        schema["format"] = fmt
    if "default" in field:
        schema["default"] = field["default"]
    if field_type == "number":
        # Segment copies the bounds only when they are truthy (a bound of 0 is dropped).
        for bound in ("minimum", "maximum"):
            if field.get(bound):
                schema[bound] = field[bound]

    choices = field.get("choices")
    if choices is not None:
        schema["enum"] = [c["value"] if isinstance(c, Mapping) else c for c in choices]

    if field.get("allowNull"):
        schema["type"] = _with_null(schema_type)
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]

    multiple = bool(field.get("multiple"))
    if multiple:
        items: dict[str, Any] = {"type": schema_type}
        if "enum" in schema:
            items["enum"] = schema.pop("enum")
        schema["items"] = items
        schema["type"] = "array"

    properties = field.get("properties")
    if schema_type == "object" and properties:
        nested = fields_to_json_schema(properties, additional_properties=bool(field.get("additionalProperties")))
        if multiple:
            schema["items"] = nested
        else:
            schema.update(nested)
    return schema


def fields_to_json_schema(
    fields: Mapping[str, Mapping[str, Any]] | None, *, additional_properties: bool = False
) -> dict[str, Any]:
    """The object schema Segment builds from a set of field specs (actions, nested objects, settings)."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    conditional: list[dict[str, Any]] = []
    for key, field in (fields or {}).items():
        properties[key] = _field_schema(field)
        requirement = field.get("required")
        if requirement is True:
            required.append(key)
        elif isinstance(requirement, Mapping):
            conditional.extend(_conditional_requirement(key, requirement))
    schema: dict[str, Any] = {
        "$schema": SCHEMA_DIALECT,
        "type": "object",
        "additionalProperties": additional_properties,
        "properties": properties,
        "required": required,
    }
    if conditional:
        schema["allOf"] = conditional
    return schema


def _conditional_requirement(key: str, requirement: Mapping[str, Any]) -> list[dict[str, Any]]:
    """`required: {conditions: [...]}`: Segment turns the last condition into an if/then (or else)."""
    rule: dict[str, Any] | None = None
    for condition in requirement.get("conditions", []):
        test = {"properties": {condition["fieldKey"]: {"const": condition.get("value")}}}
        if condition.get("operator") == "is":
            rule = {"if": test, "then": {"required": [key]}}
        elif condition.get("operator") == "is_not":
            rule = {"if": test, "else": {"required": [key]}}
    return [rule] if rule else []


def action_schema(action: Action) -> dict[str, Any]:
    """The payload schema of one action."""
    return fields_to_json_schema(action.fields)


def settings_schema(definition: Definition) -> dict[str, Any]:
    """The settings schema, from the authentication fields."""
    return fields_to_json_schema(definition.settings)


def payload_schemas(definition: Definition) -> dict[str, dict[str, Any]]:
    """Every generated schema by file stem: one per action, plus `settings`."""
    schemas = {key: action_schema(action) for key, action in definition.actions.items()}
    if SETTINGS_SCHEMA_NAME in schemas:
        raise ValueError(f"an action may not be named {SETTINGS_SCHEMA_NAME!r}")
    schemas[SETTINGS_SCHEMA_NAME] = settings_schema(definition)
    return schemas


def schema_path(directory: Path, name: str) -> Path:
    return directory / f"{name}.schema.json"


def render_schema(schema: Mapping[str, Any]) -> str:
    """The committed text of a schema: the regeneration header first, 2-space indent, newline.

    A schema generated from something other than antavo.yaml brings its own `$comment`.
    """
    comment = schema.get("$comment", GENERATED_COMMENT)
    document = {"$comment": comment, **{k: v for k, v in schema.items() if k != "$comment"}}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def strip_comment(document: Mapping[str, Any]) -> dict[str, Any]:
    """A schema without its top-level `$comment`, for comparing with Segment's own output."""
    return {k: v for k, v in document.items() if k != "$comment"}


def write_schemas(directory: Path, schemas: Mapping[str, Mapping[str, Any]]) -> list[Path]:
    """Write each schema whose file is missing or differs to `<directory>/<name>.schema.json`; the paths
    written (a file already equal is left alone, so regenerating an unchanged YAML touches nothing)."""
    directory.mkdir(parents=True, exist_ok=True)
    stale = set(stale_schemas(directory, schemas))
    written = []
    for name, schema in schemas.items():
        if name in stale:
            path = schema_path(directory, name)
            path.write_text(render_schema(schema), encoding="utf-8")
            written.append(path)
    return written


def stale_schemas(directory: Path, schemas: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Names whose committed file is missing or differs from what `write_schemas` would write."""
    stale = []
    for name, schema in schemas.items():
        path = schema_path(directory, name)
        if not path.is_file() or path.read_text(encoding="utf-8") != render_schema(schema):
            stale.append(name)
    return stale


def load_schema(path: Path) -> dict[str, Any]:
    """A committed schema file as a dict (the validator accepts it as is)."""
    return json.loads(path.read_text(encoding="utf-8"))
