"""JavaScript object semantics the mapping kit depends on, for Python JSON values.

Segment's mapping-kit runs on Node, so what a mapping produces hinges on JS rules that Python
does not share: a value can be `undefined` (distinct from `null`), integer-like keys come first
in `Object.keys`, and `JSON.stringify` drops `undefined` from objects but writes `null` for it
inside arrays. This module gives the object rules one home so directives can stay short; the
scalar rules (`undefined` itself, typeof, truthiness, conversions) live in `jsvalues`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from json.encoder import encode_basestring
from typing import Any, Final

from destination.js.values import UNDEFINED, number_to_string, to_double, to_js_string

__all__ = [
    "is_undefined",
    "loosely_empty",
    "js_keys",
    "any_index_key",
    "array_index",
    "json_stringify",
    "json_parse",
    "remove_undefined",
    "json_view",
    "is_json_view",
]

_MAX_INDEX: Final = 2**32 - 1
# Types whose values `json_view` and `remove_undefined` hand back as they are.
_PLAIN_SCALARS: Final = frozenset({str, int, bool, type(None)})
_MAX_SAFE: Final = 2**53


def is_undefined(value: Any) -> bool:
    """True for the `undefined` sentinel (never for `None`, which is JSON `null`)."""
    return value is UNDEFINED


def loosely_empty(value: Any) -> bool:
    """`value == ''` with JavaScript's loose equality, for a value that is not null/undefined."""
    if isinstance(value, str):
        return value == ""
    if value is True or value is False:
        return value is False
    if isinstance(value, (int, float)):
        return value == 0
    if isinstance(value, list):
        return to_js_string(value) == ""
    return False


def array_index(key: str) -> int:
    """The array index a property key names, or -1 (only canonical forms such as "3" count)."""
    if not key or not key.isascii() or not key.isdigit() or (key[0] == "0" and len(key) > 1):
        return -1
    index = int(key)
    return index if index < _MAX_INDEX else -1


def any_index_key(obj: Mapping[str, Any]) -> bool:
    """Whether some key may be an array index, i.e. `Object.keys` might not be insertion order."""
    for k in obj:
        if k[:1].isdigit():
            return True
    return False


def js_keys(obj: Mapping[str, Any]) -> list[str]:
    """`Object.keys` order: integer-like keys ascending first, then the rest in insertion order."""
    keys = list(obj)
    if not any_index_key(obj):
        return keys
    indexed = sorted((i, k) for k in keys if (i := array_index(k)) >= 0)
    if not indexed:
        return keys
    seen = {k for _, k in indexed}
    return [k for _, k in indexed] + [k for k in keys if k not in seen]


def _quote(text: str) -> str:
    quoted: str = encode_basestring(text)
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
        quoted = "".join(f"\\u{ord(ch):04x}" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in quoted)
    return quoted


def json_stringify(value: Any) -> Any:
    """`JSON.stringify(value)`: a string, or UNDEFINED when the value itself is undefined."""
    if value is UNDEFINED:
        return UNDEFINED
    return _stringify(value)


def _stringify(value: Any) -> str:
    if value is None or value is UNDEFINED:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, (int, float)):
        if not math.isfinite(to_double(value)):  # NaN, ±Infinity, and integers beyond a double's range
            return "null"
        return number_to_string(value)
    if isinstance(value, list):
        return "[" + ",".join(_stringify(item) for item in value) + "]"
    if isinstance(value, Mapping):
        parts = [_quote(k) + ":" + _stringify(value[k]) for k in js_keys(value) if value[k] is not UNDEFINED]
        return "{" + ",".join(parts) + "}"
    return "null"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parse_int(text: str) -> int | float:
    number = int(text)
    return number if -_MAX_SAFE < number < _MAX_SAFE else float(text)


def json_parse(text: str) -> Any:
    """`JSON.parse`: raises ValueError where JavaScript would throw; big integers become doubles."""
    return json.loads(text, parse_constant=_reject_constant, parse_int=_parse_int)


def remove_undefined(value: Any) -> Any:
    """Segment's `removeUndefined`: undefined leaves objects (recursively) but stays in arrays."""
    if isinstance(value, dict):
        return {
            k: v if type(v) in _PLAIN_SCALARS else remove_undefined(v) for k, v in value.items() if v is not UNDEFINED
        }
    if isinstance(value, list):
        return [v if type(v) in _PLAIN_SCALARS else remove_undefined(v) for v in value]
    return value


def json_view(value: Any) -> Any:
    """What `JSON.stringify` would show: undefined dropped from objects, null in arrays."""
    if isinstance(value, dict):
        return {k: v if type(v) in _PLAIN_SCALARS else json_view(v) for k, v in value.items() if v is not UNDEFINED}
    if isinstance(value, list):
        return [v if type(v) in _PLAIN_SCALARS else None if v is UNDEFINED else json_view(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def is_json_view(value: Any) -> bool:
    """Whether `value` already is its own JSON view: plain JSON types only, no undefined, no NaN or ±inf.

    Cheaper than `json_view` (nothing is copied), so a caller can keep such a value as it is.
    A False answer only means "take the view" (other types are not looked into).
    """
    kind = type(value)
    if kind is dict:
        items: Any = value.values()
    elif kind is list:
        items = value
    elif kind in _PLAIN_SCALARS:
        return True
    else:
        return kind is float and math.isfinite(value)
    for item in items:
        kind = type(item)
        if kind in _PLAIN_SCALARS:
            continue
        if kind is float:
            if not math.isfinite(item):
                return False
        elif not is_json_view(item):
            return False
    return True
