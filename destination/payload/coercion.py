"""ajv's view of JSON values, as `PayloadValidator` needs it: number checks and type coercion.

ajv runs with `coerceTypes: "array"`: a value of the wrong type is converted by a fixed table
(`"" + value` to strings, `+value` to numbers, "true"/"false"/1/0/null to booleans, scalars into
one-element arrays and back) before the type is checked again.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any

from destination.js.values import (
    js_number,
    string_to_number,
    to_js_string,
    type_name,
    typeof,
)

__all__ = ["NOT_COERCIBLE", "accepts", "coerce", "finite"]

NOT_COERCIBLE = object()  # what `coerce` gives when the table has no conversion
_MAX_DOUBLE = 1.7976931348623157e308


def finite(value: Any) -> bool:
    """ajv's number check (strictNumbers): JSON numbers too big for a double are Infinity."""
    return abs(value) <= _MAX_DOUBLE if isinstance(value, int) else math.isfinite(value)


def is_zero(value: Any) -> bool:
    return type_name(value) == "number" and value == 0


def not_fractional(x: float) -> bool:
    # JavaScript `!(x % 1)`: true for whole numbers and for ±Infinity (Infinity % 1 is NaN).
    return not math.isfinite(x) or x == int(x)


def accepts(types: Collection[str], value: Any, kind: str) -> bool:
    """Whether ajv's type check passes for a value of this kind (integers are whole, finite numbers)."""
    if kind != "number":
        return kind in types
    if not finite(value):
        return False
    return "number" in types or ("integer" in types and float(value).is_integer())


def coerce(data: Any, types: Collection[str], targets: tuple[str, ...]) -> Any:
    """The value ajv's coercion gives for `data` (which failed the type check), or NOT_COERCIBLE.

    `types` are the schema's types; `targets` the ones to try, in the schema's order.
    """
    if not targets:
        return NOT_COERCIBLE
    if isinstance(data, list) and len(data) == 1:
        # coerceTypes "array": look inside a one-element array first.
        data = data[0]
        if accepts(types, data, type_name(data)):
            return data
    kind = typeof(data)
    for target in targets:
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
                if not math.isnan(x) and (target == "number" or not_fractional(x)):
                    return js_number(x)
        elif target == "boolean":
            if (kind == "string" and data == "false") or is_zero(data) or data is None:
                return False
            if (kind == "string" and data == "true") or (kind == "number" and data == 1):
                return True
        elif target == "null":
            if (kind == "string" and data == "") or is_zero(data) or data is False:
                return None
        elif target == "array" and (kind in ("string", "number", "boolean") or data is None):
            return [data]
    return NOT_COERCIBLE
