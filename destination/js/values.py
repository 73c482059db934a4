"""JavaScript value semantics for Python JSON values: the one home of Node's scalar rules.

Segment runs on Node: `typeof`, truthiness, `String(x)`, `Number(x)`, strict equality and
`JSON.stringify` decide trigger verdicts, mapped values, coerced payloads and error messages.
FQL, the mapping kit and the payload validator all import these rules from here, so they
cannot drift apart. JSON numbers are doubles there, so big integers lose precision exactly
as they would after `JSON.parse`.
"""

from __future__ import annotations

import json
import math
import re
import sys
from typing import Any, Final

_MAX_SAFE: Final = 2**53


class _Undefined:
    """JavaScript's `undefined`: the value a mapping resolves to when it finds nothing."""

    __slots__ = ()
    _instance: _Undefined | None = None

    def __new__(cls) -> _Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "UNDEFINED"


UNDEFINED: Final = _Undefined()

# Characters JavaScript's String.prototype.trim strips (WhiteSpace and LineTerminator).
JS_WHITESPACE: Final = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
# The JSON kind of each plain Python type a JSON value is made of: the hot paths look a
# value's exact type up here before falling back to `type_name`.
JSON_KINDS: Final[dict[type, str]] = {
    type(None): "null",
    bool: "boolean",
    str: "string",
    int: "number",
    float: "number",
    list: "array",
    dict: "object",
}
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_RADIX = {"0x": 16, "0X": 16, "0o": 8, "0O": 8, "0b": 2, "0B": 2}
_RADIX_DIGITS = {16: re.compile(r"[0-9a-fA-F]+\Z"), 8: re.compile(r"[0-7]+\Z"), 2: re.compile(r"[01]+\Z")}


def type_name(value: Any, objects: type = dict) -> str:
    """Segment's `realTypeOf`: "null", "undefined", "boolean", "string", "number", "array", "object".

    `objects` says what else counts as an object. The payload side (ajv, removeEmptyValues,
    their messages) works on plain JSON, so by default only dicts do; the mapping kit reads
    any event the caller hands it and passes `collections.abc.Mapping`. Anything else
    (including `UNDEFINED`) is "undefined".
    """
    kind = JSON_KINDS.get(type(value))
    if kind is not None:
        return kind
    if isinstance(value, str):
        return "string"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, objects):
        return "object"
    return "undefined"


def typeof(value: Any, objects: type = dict) -> str:
    """JavaScript's `typeof` (null, arrays and objects are all "object"); `objects` as in `type_name`."""
    name = type_name(value, objects)
    return "object" if name == "null" or name == "array" else name


def is_number(value: Any) -> bool:
    """`typeof value === 'number'` (booleans are not numbers here, unlike in Python)."""
    kind = type(value)
    return kind is float or kind is int or (kind is not bool and isinstance(value, (int, float)))


def truthy(value: Any, undefined: object = UNDEFINED) -> bool:
    """JavaScript truthiness: only undefined, null, false, 0, NaN and "" are false.

    `undefined` is the sentinel standing for JavaScript's `undefined`: `UNDEFINED` for the
    mapping kit, FQL's own marker for FQL (to which `UNDEFINED` is just another object).
    Objects and arrays are truthy even when empty, and so is any other non-JSON value.
    """
    if value is None or value is undefined or value is False:
        return False
    if value is True or isinstance(value, (dict, list)):
        return True
    if isinstance(value, str):
        return value != ""
    if isinstance(value, (int, float)):
        return value == value and value != 0
    return True


def json_truthy(value: Any) -> bool:
    """`truthy` for a value read from a JSON schema: anything outside plain JSON counts as undefined."""
    return truthy(value) and type_name(value) != "undefined"


def utf16_length(text: str) -> int:
    """`string.length`: UTF-16 code units, so characters beyond the BMP count twice."""
    if text.isascii():
        return len(text)
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def utf16_units(text: str) -> list[str]:
    """The string's UTF-16 code units, each as a (possibly lone-surrogate) one-unit string."""
    if all(ord(ch) <= 0xFFFF for ch in text):
        return list(text)
    raw = text.encode("utf-16-le", "surrogatepass")
    return [raw[i : i + 2].decode("utf-16-le", "surrogatepass") for i in range(0, len(raw), 2)]


def to_double(value: float) -> float:
    """The double a JSON number becomes in JavaScript (huge integers round or overflow)."""
    if isinstance(value, float):
        return value
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def number_to_string(value: float) -> str:
    """`Number.prototype.toString()`: shortest round-trip digits, JavaScript's exponent rules.

    Python's `repr` already gives the shortest round-trip digits and agrees with JavaScript's
    layout when it writes no exponent; only exponent forms are laid out again here.
    """
    if isinstance(value, int) and abs(value) < _MAX_SAFE:
        return str(value)
    x = to_double(value)
    if math.isnan(x):
        return "NaN"
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    text = repr(abs(x))
    if text == "inf":
        return sign + "Infinity"
    mantissa, _, exponent = text.partition("e")
    if not exponent:
        return sign + mantissa.removesuffix(".0")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).rstrip("0")
    # `point`: where the decimal point sits relative to the first significant digit.
    point = len(whole) + int(exponent)
    k = len(digits)
    if k <= point <= 21:
        return sign + digits + "0" * (point - k)
    if 0 < point <= 21:
        return sign + digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return sign + "0." + "0" * -point + digits
    e = point - 1
    return sign + (digits if k == 1 else digits[0] + "." + digits[1:]) + ("e+" if e >= 0 else "e-") + str(abs(e))


def to_js_string(value: Any) -> str:
    """`String(value)` / `"" + value` / template-literal conversion for JSON values."""
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
    s = text.strip(JS_WHITESPACE)
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
        return float(s)
    return math.nan


def to_number(value: str | float | bool) -> float:
    """`Number(value)` for a string, number or boolean (what a query's literal can be)."""
    if value is True or value is False:
        return 1.0 if value else 0.0
    if isinstance(value, str):
        return string_to_number(value)
    return to_double(value)


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


def message_json(value: Any) -> str:
    """`JSON.stringify` of a schema `enum` value, as validation messages list it (compact, JS numbers).

    Not the mapping kit's `jsobject.json_stringify` (`@json`), which differs in corners no enum
    of ours reaches: this one keeps keys in insertion order, writes lone surrogates as they are
    and integers beyond a double as `null` (that one: integer-like keys first, surrogates
    escaped, "Infinity"). Folding the two would change one side's output in those corners.
    """
    if is_number(value):
        x = to_double(value)
        return number_to_string(value) if math.isfinite(x) else "null"
    if isinstance(value, list):
        return "[" + ",".join(message_json(v) if typeof(v) != "undefined" else "null" for v in value) + "]"
    if isinstance(value, dict):
        parts = [
            json.dumps(str(k), ensure_ascii=False) + ":" + message_json(v)
            for k, v in value.items()
            if typeof(v) != "undefined"
        ]
        return "{" + ",".join(parts) + "}"
    return json.dumps(value, ensure_ascii=False)
