"""Segment's `removeEmptyValues` on its own, as a plain recursive function.

`PayloadValidator` does the same cleaning compiled into its single walk; this version is the
readable reference (and what tests compare the validator against).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from destination.js.values import json_truthy, typeof

__all__ = ["remove_empty_values"]

_DROPPED = object()


def remove_empty_values(value: Any, schema: Any = None, *, is_root: bool = False) -> Any:
    """Segment's `removeEmptyValues` on its own (no validation): a cleaned copy of `value`.

    A value Segment would turn into `undefined` comes back as None; inside objects and arrays
    such values are left out.
    """
    cleaned = _remove_empty(value, schema, is_root)
    return None if cleaned is _DROPPED else cleaned


def _remove_empty(value: Any, schema: Any, is_root: bool) -> Any:
    schema = schema if isinstance(schema, Mapping) else {}
    if not json_truthy(schema.get("type")) and not json_truthy(schema.get("enum")):
        return value
    if type(value) is list:
        items = schema.get("items")
        if not json_truthy(items):
            return value
        return [item for item in value if not _is_dropped(_remove_empty(item, items, False))]
    if type(value) is dict:
        props = schema.get("properties")
        if not isinstance(props, Mapping):
            return value
        out = {}
        for key, item in value.items():
            cleaned = _remove_empty(item, props.get(key), False)
            if _is_dropped(cleaned) or (is_root and cleaned == "" and type(cleaned) is str):
                continue
            out[key] = cleaned
        return out
    declared = schema.get("type")
    types = declared if isinstance(declared, list) else [declared]
    if value is None and "null" not in types:
        return _DROPPED
    if type(value) is str and value == "" and "string" not in types:
        return _DROPPED
    return value


def _is_dropped(value: Any) -> bool:
    return value is _DROPPED or typeof(value) == "undefined"
