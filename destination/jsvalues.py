"""JavaScript value semantics that Segment's validation relies on, for Python JSON values.

Segment runs on Node: `typeof`, `"" + value`, `+string`, strict equality and `JSON.stringify`
decide what a coerced payload and an error message look like. JSON numbers are doubles there,
so big integers lose precision exactly as they would after `JSON.parse`.
"""

from __future__ import annotations

import json
import math
import re
import sys
from decimal import Decimal
from typing import Any

_MAX_SAFE = 2**53
# String.prototype.trim strips WhiteSpace and LineTerminator code points.
_JS_SPACE = (
    "\u0009\u000a\u000b\u000c\u000d\u0020\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_RADIX = {"0x": 16, "0X": 16, "0o": 8, "0O": 8, "0b": 2, "0B": 2}
_RADIX_DIGITS = {16: re.compile(r"[0-9a-fA-F]+\Z"), 8: re.compile(r"[0-7]+\Z"), 2: re.compile(r"[01]+\Z")}


def typeof(value: Any) -> str:
    """JavaScript's `typeof` for a JSON value (`None` is `null`, whose typeof is "object")."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None or isinstance(value, (dict, list)):
        return "object"
    return "undefined"


def js_truthy(value: Any) -> bool:
    """JavaScript truthiness for JSON values: empty arrays and objects are truthy."""
    if value is None or value is False or value == "" and isinstance(value, str):
        return False
    if is_number(value):
        return value != 0 and not (isinstance(value, float) and math.isnan(value))
    return typeof(value) != "undefined"


def is_number(value: Any) -> bool:
    """A JSON number (booleans are not numbers here, unlike in Python)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def to_double(value: float) -> float:
    """The double a JSON number becomes in JavaScript (huge integers round or overflow)."""
    if isinstance(value, float):
        return value
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def number_to_string(value: float) -> str:
    """`Number.prototype.toString()`: shortest round-trip digits, JavaScript's exponent rules."""
    if isinstance(value, int) and abs(value) < _MAX_SAFE:
        return str(value)
    x = to_double(value)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    _, digit_tuple, exponent = Decimal(repr(abs(x))).as_tuple()
    # `point`: where the decimal point sits relative to the first significant digit.
    point = len(digit_tuple) + int(exponent)
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    k = len(digits)
    if k <= point <= 21:
        return sign + digits + "0" * (point - k)
    if 0 < point <= 21:
        return sign + digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return sign + "0." + "0" * (-point) + digits
    e = point - 1
    exp = f"e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + (digits if k == 1 else digits[0] + "." + digits[1:]) + exp


def to_js_string(value: Any) -> str:
    """`"" + value` / template-literal conversion for JSON values."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_number(value):
        return number_to_string(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return ",".join("" if v is None or typeof(v) == "undefined" else to_js_string(v) for v in value)
    if isinstance(value, dict):
        return "[object Object]"
    return "undefined"


def string_to_number(text: str) -> float:
    """`Number(text)` / `+text`: NaN when JavaScript would not read a number."""
    s = text.strip(_JS_SPACE)
    if not s:
        return 0.0
    if s in ("Infinity", "+Infinity"):
        return math.inf
    if s == "-Infinity":
        return -math.inf
    radix = _RADIX.get(s[:2])
    if radix is not None:
        body = s[2:]
        if _RADIX_DIGITS[radix].match(body):
            return to_double(int(body, radix))
        return math.nan
    if _DECIMAL.match(s):
        try:
            return float(s)
        except OverflowError:  # pragma: no cover - float() returns inf rather than raising
            return math.inf if not s.startswith("-") else -math.inf
    return math.nan


def js_number(x: float) -> int | float:
    """A double as the Python number that serializes like `JSON.stringify` would (12, not 12.0)."""
    if math.isfinite(x) and x == int(x) and abs(x) <= sys.float_info.max:
        return int(x)
    return x


def strict_equal(a: Any, b: Any) -> bool:
    """Deep equality as `fast-deep-equal` does it (ajv's `enum`/`const`): no bool/number mixing."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if is_number(a) and is_number(b):
        return to_double(a) == to_double(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(strict_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(strict_equal(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def json_stringify(value: Any) -> str:
    """`JSON.stringify` for a JSON value (compact, numbers in JavaScript's form)."""
    if is_number(value):
        x = to_double(value)
        return number_to_string(value) if math.isfinite(x) else "null"
    if isinstance(value, list):
        return "[" + ",".join(json_stringify(v) if typeof(v) != "undefined" else "null" for v in value) + "]"
    if isinstance(value, dict):
        parts = [
            json.dumps(str(k), ensure_ascii=False) + ":" + json_stringify(v)
            for k, v in value.items()
            if typeof(v) != "undefined"
        ]
        return "{" + ",".join(parts) + "}"
    return json.dumps(value, ensure_ascii=False)
