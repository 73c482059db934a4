"""An event's shape — its keys and the JSON kinds of their values, never the values themselves.

What a log line may say about an event it could not handle: enough to reproduce the case
(which keys, which types, how deep), nothing a customer typed (event data holds personal
data and, mapped into a payload, secrets). Bounded, so a huge event gives a short line.
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 4
MAX_KEYS = 24


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return type(value).__name__


def shape(value: Any, depth: int = MAX_DEPTH) -> Any:
    """`{"userId": "string", "properties": {"total": "number"}, "products": ["object", …]}`-like."""
    if isinstance(value, dict):
        if depth <= 0:
            return "object"
        items = list(value.items())
        out: dict[str, Any] = {str(key): shape(item, depth - 1) for key, item in items[:MAX_KEYS]}
        if len(items) > MAX_KEYS:
            out["…"] = f"{len(items) - MAX_KEYS} more keys"
        return out
    if isinstance(value, (list, tuple)):
        if depth <= 0 or not value:
            return "array"
        return [shape(value[0], depth - 1), f"… {len(value)} items"] if len(value) > 1 else [shape(value[0], depth - 1)]
    return _kind(value)
