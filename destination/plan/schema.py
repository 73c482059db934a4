"""The format of `tracking_plan.yaml`, as a JSON Schema: `validate` checks a plan with it and
`antavo-actions schemas` writes it to `schemas/` for editors.

The plan's vocabulary (call types, policies, JSON types) and its defaults are declared here
once; the model reads them from this schema instead of repeating them.
"""

from __future__ import annotations

from typing import Any

DRAFT = "http://json-schema.org/draft-07/schema#"
PLAN_SCHEMA_NAME = "tracking-plan"
PLAN_COMMENT = "Generated from destination/plan/schema.py by `antavo-actions schemas`. Do not edit."
JSON_TYPES = ["string", "number", "integer", "boolean", "object", "array", "null"]
ALLOW, OMIT, BLOCK = "allow", "omit", "block"
POLICIES = [ALLOW, OMIT, BLOCK]
# Segment's call types, and the key of each one's planned payload (alias carries none).
SECTIONS: dict[str, str | None] = {
    "track": "properties",
    "page": "properties",
    "screen": "properties",
    "identify": "traits",
    "group": "traits",
    "alias": None,
}
NAMED_TYPES = ["track"]  # the types whose events a plan tells apart by `name`
PII_KINDS = ["email", "phone", "name"]
"""The `pii` kinds with their own normalisation before hashing (`destination.plan.pii`); `true` is plain personal data."""


def _property() -> dict[str, Any]:
    """One property or trait: a JSON Schema subset, plus `pii`."""
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "type": {"enum": JSON_TYPES},
            "description": {"type": "string"},
            "enum": {"type": "array", "minItems": 1},
            "const": {},
            "pattern": {"type": "string", "description": "A regular expression the value must match."},
            "format": {"type": "string", "examples": ["email", "date", "date-time", "uri", "uuid"]},
            "minimum": {"type": "number"},
            "maximum": {"type": "number"},
            "minLength": {"type": "integer", "minimum": 0},
            "maxLength": {"type": "integer", "minimum": 0},
            "pii": {
                "enum": [True, False, *PII_KINDS],
                "default": False,
                "description": "Personal data: masked on the receiver's pages for users without PII access, hashed "
                "before the outbound sync when `outbound.hash_pii` is on; `email`, `phone` or `name` says how the "
                "value is normalised before hashing (true: trimmed only).",
            },
            "properties": {"type": "object", "additionalProperties": {"$ref": "#/definitions/property"}},
            "required": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
            "additionalProperties": {"type": "boolean"},
            "items": {"$ref": "#/definitions/property"},
        },
    }


def _object() -> dict[str, Any]:
    """An event's `properties` or `traits`: an object schema."""
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "type": {"const": "object", "default": "object"},
            "description": {"type": "string"},
            "properties": {"type": "object", "additionalProperties": {"$ref": "#/definitions/property"}},
            "required": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
            "additionalProperties": {
                "type": "boolean",
                "default": True,
                "description": "false: a property the plan does not declare is a violation.",
            },
        },
    }


def _event() -> dict[str, Any]:
    # Which of `properties`/`traits` a type carries is checked by the model, which can say so plainly.
    rules: list[dict[str, Any]] = [
        {"if": {"properties": {"type": {"enum": NAMED_TYPES}}}, "then": {"required": ["name"]}},
    ]
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["type"],
        "properties": {
            "type": {"enum": list(SECTIONS)},
            "name": {"type": "string", "minLength": 1, "description": "The event name (track) or page name."},
            "description": {"type": "string", "default": ""},
            "version": {"type": "integer", "minimum": 1, "default": 1},
            "policy": {
                "enum": POLICIES,
                "default": ALLOW,
                "description": "What the receiver does with a message that breaks this event's schema.",
            },
            "properties": {"$ref": "#/definitions/object"},
            "traits": {"$ref": "#/definitions/object"},
        },
        "allOf": rules,
    }


def plan_file_schema() -> dict[str, Any]:
    """The shape of `tracking_plan.yaml`."""
    return {
        "$comment": PLAN_COMMENT,
        "$schema": DRAFT,
        "title": "Tracking plan",
        "type": "object",
        "additionalProperties": False,
        "required": ["version", "events"],
        "properties": {
            "version": {"type": "integer", "minimum": 1},
            "allow_unplanned": {
                "type": "boolean",
                "default": True,
                "description": "false: an event the plan does not list is an Unplanned-Event violation, which the "
                "receiver handles per the plan's `policy`.",
            },
            "policy": {
                "enum": POLICIES,
                "default": ALLOW,
                "description": "The plan's default policy: for an event that names none, and for an unplanned "
                "event when `allow_unplanned` is false (block: kept in the receiver's quarantine).",
            },
            "events": {"type": "array", "items": {"$ref": "#/definitions/event"}},
        },
        "definitions": {"event": _event(), "object": _object(), "property": _property()},
    }


def default_of(*path: str) -> Any:
    """The default the schema declares at `path` (through `properties` and `definitions`)."""
    node: Any = plan_file_schema()
    for part in path:
        node = node["definitions"][part] if part in node.get("definitions", {}) else node["properties"][part]
    return node["default"]
