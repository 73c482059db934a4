"""The JavaScript value semantics Segment's trigger evaluation relies on.

Segment's `validate` compares with `===`, `String(x)`, `Number(x)` and `typeof`, and its
`get` walks a path with `obj && obj[key]`. Reproducing those on JSON-shaped Python
values decides real verdicts: a falsy value part-way down a path is returned as the
value (`properties.n.x = 0` matches when `properties.n` is `0`), `"10"` compares as the
number 10, strings have a `length`, and so on. Names inherited from JavaScript
prototypes (`toString`, `constructor`, …) resolve to an opaque function value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any


class _Marker:
    """A JavaScript value with no JSON counterpart; shown by its name."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


UNDEFINED = _Marker("<missing>")  # JavaScript's `undefined`: nothing at that path
JS_FUNCTION = _Marker("<function>")  # an inherited method such as `toString`
JS_PROTOTYPE = _Marker("<Object.prototype>")  # what `__proto__` yields

OBJECT_PROTOTYPE_NAMES = frozenset(
    "__defineGetter__ __defineSetter__ __lookupGetter__ __lookupSetter__ __proto__ constructor "
    "hasOwnProperty isPrototypeOf propertyIsEnumerable toLocaleString toString valueOf".split()
)
_ARRAY_PROTO = OBJECT_PROTOTYPE_NAMES | frozenset(
    "at concat copyWithin entries every fill filter find findIndex findLast findLastIndex flat flatMap "
    "forEach includes indexOf join keys lastIndexOf map pop push reduce reduceRight reverse shift slice "
    "some sort splice toReversed toSorted toSpliced unshift values with".split()
)
_STRING_PROTO = OBJECT_PROTOTYPE_NAMES | frozenset(
    "anchor at big blink bold charAt charCodeAt codePointAt concat endsWith fixed fontcolor fontsize "
    "includes indexOf isWellFormed italics lastIndexOf link localeCompare match matchAll normalize padEnd "
    "padStart repeat replace replaceAll search slice small split startsWith strike sub substr substring "
    "sup toLocaleLowerCase toLocaleUpperCase toLowerCase toUpperCase toWellFormed trim trimEnd trimLeft "
    "trimRight trimStart".split()
)
_NUMBER_PROTO = OBJECT_PROTOTYPE_NAMES | frozenset("toExponential toFixed toPrecision".split())
_ARRAY_INDEX_LIMIT = 2**32 - 1
_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
            "\u2028\u2029\u202f\u205f\u3000\ufeff"
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_RADIX = {"x": (re.compile(r"[0-9a-fA-F]+"), 16), "o": (re.compile(r"[0-7]+"), 8), "b": (re.compile(r"[01]+"), 2)}


def is_number(value: Any) -> bool:
    """`typeof value === 'number'`."""
    kind = type(value)
    return kind is float or kind is int or (kind is not bool and isinstance(value, (int, float)))


def as_float(value: float) -> float:
    """The double JavaScript would hold for this JSON number."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def truthy(value: Any) -> bool:
    """JavaScript truthiness: only undefined, null, false, 0, NaN and "" are false."""
    if value is None or value is UNDEFINED or value is False:
        return False
    if isinstance(value, str):
        return value != ""
    if is_number(value):
        return not (value == 0 or (isinstance(value, float) and math.isnan(value)))
    return True


def to_number(value: str | float | bool) -> float:
    """`Number(value)` for a query value (a string, number or boolean)."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return as_float(value)
    text = value.strip(_JS_SPACE)
    if not text:
        return 0.0
    if text in ("Infinity", "+Infinity", "-Infinity"):
        return -math.inf if text[0] == "-" else math.inf
    if len(text) > 2 and text[0] == "0" and text[1] in "xXoObB":
        pattern, base = _RADIX[text[1].lower()]
        return as_float(int(text[2:], base)) if pattern.fullmatch(text[2:]) else math.nan
    return float(text) if _DECIMAL.fullmatch(text) else math.nan


def to_string(value: str | float | bool) -> str:
    """`String(value)` for a query value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return number_to_string(as_float(value))


def number_to_string(number: float) -> str:
    """JavaScript's Number::toString: shortest round-trip digits, JavaScript's layout."""
    number = as_float(number)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number == 0:
        return "0"
    sign = "-" if number < 0 else ""
    mantissa, _, exponent = repr(abs(number)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    significant = (whole + fraction).lstrip("0")
    point = len(whole) + int(exponent or 0) - (len(whole) + len(fraction) - len(significant))
    digits = significant.rstrip("0")
    k, n = len(digits), point
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        mark = "+" if n - 1 >= 0 else "-"
        head = digits if k == 1 else digits[0] + "." + digits[1:]
        text = f"{head}e{mark}{abs(n - 1)}"
    return sign + text


def utf16_length(text: str) -> int:
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def _index(key: str) -> int | None:
    """`key` as an array index when JavaScript would read it as one."""
    if key.isascii() and key.isdigit() and (key == "0" or key[0] != "0"):
        index = int(key)
        if index < _ARRAY_INDEX_LIMIT:
            return index
    return None


def member(value: Any, key: str) -> Any:
    """`value[key]` for a truthy JSON-shaped value."""
    if isinstance(value, Mapping):
        found = value.get(key, UNDEFINED)
        if found is UNDEFINED and key in OBJECT_PROTOTYPE_NAMES:
            return JS_PROTOTYPE if key == "__proto__" else JS_FUNCTION
        return found
    if isinstance(value, (list, tuple)):
        index = _index(key)
        if index is not None:
            return value[index] if index < len(value) else UNDEFINED
        if key == "length":
            return len(value)
        return _inherited(key, _ARRAY_PROTO)
    if isinstance(value, str):
        index = _index(key)
        if index is not None:
            units = value.encode("utf-16-le", "surrogatepass")
            if 2 * index + 2 > len(units):
                return UNDEFINED
            return units[2 * index:2 * index + 2].decode("utf-16-le", "surrogatepass")
        if key == "length":
            return utf16_length(value)
        return _inherited(key, _STRING_PROTO)
    if value is True:
        return _inherited(key, OBJECT_PROTOTYPE_NAMES)
    if is_number(value):
        return _inherited(key, _NUMBER_PROTO)
    return UNDEFINED


def _inherited(key: str, names: frozenset[str]) -> Any:
    if key not in names:
        return UNDEFINED
    return JS_PROTOTYPE if key == "__proto__" else JS_FUNCTION
