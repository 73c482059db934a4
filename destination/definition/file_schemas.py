"""JSON Schemas of the project's own YAML files: the definition, presets and mapping files.

Editors with yaml-language-server complete and check those files through their
`# yaml-language-server: $schema=` line, and `validate` checks their shape with the same
schemas. The preset and mapping schemas are generated from the definition, so an editor
offers exactly the actions and fields that `antavo.yaml` declares, with their descriptions.
"""

from __future__ import annotations

from typing import Any

from destination.definition.model import Definition

DRAFT = "http://json-schema.org/draft-07/schema#"
FIELD_TYPES = ["string", "text", "number", "integer", "datetime", "boolean", "password", "object"]


def _field_spec(depth: int) -> dict[str, Any]:
    """A field as Segment declares it; object fields nest their properties once."""
    spec: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["label", "type"],
        "properties": {
            "label": {"type": "string", "minLength": 1},
            "description": {"type": "string"},
            "type": {"enum": FIELD_TYPES},
            "required": {"type": "boolean"},
            "multiple": {"type": "boolean"},
            "allowNull": {"type": "boolean"},
            "default": {"description": "The field's default mapping: a value or a mapping directive."},
            "format": {"type": "string"},
            "placeholder": {"type": "string"},
            "choices": {"type": "array"},
            "defaultObjectUI": {"enum": ["keyvalue", "keyvalue:only", "object", "object:only", "arrayeditor"]},
            "additionalProperties": {"type": "boolean"},
        },
    }
    if depth:
        spec["properties"]["properties"] = {"type": "object", "additionalProperties": _field_spec(depth - 1)}
    return spec


def definition_file_schema() -> dict[str, Any]:
    """The shape of `destination/antavo.yaml`."""
    fields = {"type": "object", "minProperties": 1, "additionalProperties": _field_spec(1)}
    action = {
        "type": "object",
        "additionalProperties": False,
        "required": ["title", "defaultSubscription", "segmentType", "fields"],
        "properties": {
            "title": {"type": "string", "minLength": 1},
            "description": {"type": "string"},
            "defaultSubscription": {
                "type": "string",
                "description": "The trigger (FQL) a new subscription starts with.",
            },
            "segmentType": {"enum": ["track", "identify", "page", "screen", "group", "alias"]},
            "body": {"type": "object", "description": "Extra keys every request of this action carries."},
            "dateFields": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Data fields Antavo stores as dates (YYYY-MM-DD).",
            },
            "requires": {
                "type": "object",
                "description": "Per value of the action's event-name field: the keys each field must map "
                "(`point_add: {data: [points]}`); Antavo refuses the event without them.",
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                },
            },
            "fields": fields,
        },
    }
    return {
        "$schema": DRAFT,
        "title": "Antavo (Actions) destination definition",
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "slug", "mode", "authentication", "request", "roles", "actions"],
        "properties": {
            "name": {"type": "string"},
            "slug": {"type": "string", "pattern": "^actions-[a-z0-9-]+$"},
            "mode": {"enum": ["cloud", "device"]},
            "description": {"type": "string"},
            "authentication": {
                "type": "object",
                "additionalProperties": False,
                "required": ["scheme", "fields"],
                "properties": {
                    "scheme": {"enum": ["custom", "basic", "oauth2", "oauth-managed"]},
                    "fields": fields,
                },
            },
            "request": {
                "type": "object",
                "additionalProperties": False,
                "required": ["method", "base_url", "path"],
                "properties": {
                    "method": {"enum": ["POST", "PUT", "PATCH"]},
                    "base_url": {"type": "string", "description": "May name settings in braces: {stack}."},
                    "path": {"type": "string", "pattern": "^/"},
                    "settings_in_body": {"type": "array", "items": {"type": "string"}},
                },
            },
            "roles": {"type": "object", "additionalProperties": {"type": "string"}},
            "actions": {"type": "object", "minProperties": 1, "additionalProperties": action},
        },
    }


def _mapping_for(definition: Definition, key: str) -> dict[str, Any]:
    """Completion for one action's mapping: its fields, described as in the definition."""
    fields = definition.action(key).fields
    return {
        "type": "object",
        "description": "Field mappings; a field left out takes its default from antavo.yaml.",
        "properties": {
            name: {"title": spec["label"], "description": spec.get("description", "")} for name, spec in fields.items()
        },
    }


def _subscription(definition: Definition, extra: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """A preset or mapping file: a trigger, an action and a mapping, checked per action."""
    actions = list(definition.actions)
    return {
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "subscribe": {"type": "string", "description": "The trigger, in Segment's FQL."},
            "partnerAction": {"type": "string", "description": "The action to run.", "examples": actions},
            "mapping": {"type": "object"},
            **extra,
        },
        "allOf": [
            {
                "if": {"properties": {"partnerAction": {"const": key}}},
                "then": {"properties": {"mapping": _mapping_for(definition, key)}},
            }
            for key in actions
        ],
    }


def presets_file_schema(definition: Definition) -> dict[str, Any]:
    """The shape of `presets.yaml`."""
    preset = _subscription(
        definition,
        {"type": {"enum": ["automatic", "specificEvent"]}},
        ["name", "subscribe", "partnerAction", "type"],
    )
    return {
        "$schema": DRAFT,
        "title": f"{definition.name} presets",
        "type": "object",
        "additionalProperties": False,
        "required": ["presets"],
        "properties": {"presets": {"type": "array", "items": preset}},
    }


def mapping_file_schema(definition: Definition) -> dict[str, Any]:
    """The shape of a file in `mappings/`: one subscription as an integration engineer writes it."""
    schema = _subscription(
        definition,
        {
            "enabled": {"type": "boolean", "default": True},
            "multi_accounts": {
                "type": "boolean",
                "default": False,
                "description": "The workspace's brand has Antavo's Multi-accounts module on.",
            },
        },
        ["name", "subscribe", "partnerAction", "mapping"],
    )
    return {"$schema": DRAFT, "title": f"{definition.name} mapping", **schema}


def file_schemas(definition: Definition) -> dict[str, dict[str, Any]]:
    """Every file-format schema, by the stem it is written under in `schemas/`."""
    return {
        "definition": definition_file_schema(),
        "presets": presets_file_schema(definition),
        "mapping": mapping_file_schema(definition),
    }
