"""liquidjs's filters, as Segment's `@liquid` runs them.

Ruby Liquid's filters differ from liquidjs's (`3 | divided_by: 2` is 1 there and 1.5 in
liquidjs, `round` rounds half to even, `truncatewords` counts differently). Segment's answers
are liquidjs's, so every filter liquidjs has
(liquidjs 10.30, which reproduces Segment's recorded cases) is written here with its
JavaScript semantics; the twenty Segment disables raise its message instead. A filter
liquidjs lacks is left out, so the engine skips it as liquidjs does.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

from destination.fql.lexer import from_utf16_units
from destination.js.objects import json_stringify
from destination.js.values import (
    UNDEFINED,
    number_to_string,
    strict_equal,
    string_to_number,
    to_js_string,
    utf16_length,
    utf16_units,
)
from destination.js.values import truthy as js_truthy
from destination.mapping.liquid.dates import DATE_FILTERS
from destination.mapping.liquid.strings import STRINGS, steps
from destination.mapping.liquid.values import (
    Drop,
    LiquidJSError,
    back,
    equals,
    is_nil,
    js,
    less,
    number,
    stringify,
    to_array,
    to_num,
    truthy,
    use,
)

__all__ = ["DISABLED_FILTERS", "FILTERS"]

DISABLED_FILTERS = (
    "array_to_sentence_string",
    "concat",
    "find",
    "find_exp",
    "find_index",
    "find_index_exp",
    "group_by",
    "group_by_exp",
    "has",
    "has_exp",
    "map",
    "newline_to_br",
    "reject",
    "reject_exp",
    "reverse",
    "sort",
    "sort_natural",
    "uniq",
    "where_exp",
    "type",
)
Filter = Callable[..., Any]


def _disabled(name: str) -> Filter:
    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise LiquidJSError(f'filter "{name}" is disabled')

    return refuse


def _arg(args: tuple[Any, ...], index: int, default: Any = UNDEFINED) -> Any:
    """A positional argument as JavaScript sees it: absent (or undefined) means the default."""
    value = js(args[index]) if index < len(args) else UNDEFINED
    return default if value is UNDEFINED else value


def _int(x: float) -> int:
    """ToIntegerOrInfinity, clamped to something a Python slice accepts."""
    if math.isnan(x):
        return 0
    return int(max(-(2**53), min(2**53, x)))


# ---- math -------------------------------------------------------------------------------------


def _numeric(fn: Callable[..., float]) -> Filter:
    """liquidjs's `argumentsToNumber`: every argument through `toNumber` first."""

    def run(value: Any, *args: Any, **_kwargs: Any) -> float:
        return fn(to_num(value), *(to_num(a) for a in args))

    return run


def _finite(fn: Callable[[float], float]) -> Callable[..., float]:
    return lambda x, *_: fn(x) if math.isfinite(x) else x


def _divide(x: float, y: float = math.nan, integer: float = 0.0, *_: float) -> float:
    if y == 0:
        quotient = math.nan if x == 0 or math.isnan(x) else math.copysign(math.inf, x) * math.copysign(1, y)
    else:
        quotient = x / y
    return float(math.floor(quotient)) if integer and math.isfinite(quotient) else quotient


def _js_mod(x: float, y: float) -> float:
    if y == 0 or math.isnan(x) or math.isnan(y) or math.isinf(x):
        return math.nan
    return math.fmod(x, y) if math.isfinite(y) else x


def _modulo(x: float, y: float = math.nan, *_: float) -> float:
    return _js_mod(_js_mod(x, y) + y, y)


def _js_round(x: float) -> float:
    """`Math.round`: halves go up."""
    if not math.isfinite(x):
        return x
    down = math.floor(x)
    return float(down + 1 if x - down >= 0.5 else down)


def _shift(x: float, exponent: float) -> float:
    """liquidjs's `shiftDecimal`: move the decimal point by rewriting the number's exponent."""
    mantissa, _, power = number_to_string(x).partition("e")
    return string_to_number(f"{mantissa}e{number_to_string(string_to_number(power or '0') + exponent)}")


def _round(value: Any, places: Any = 0, *_: Any) -> float:
    x, digits = to_num(value), to_num(places)
    scaled = _shift(abs(x), digits)
    if not scaled <= 2**53 - 1:
        return x
    rounded = _shift(_js_round(scaled), -digits)
    return -rounded if x < 0 else rounded


MATH: dict[str, Filter] = {
    "abs": _numeric(lambda x, *_: abs(x)),
    "at_least": _numeric(lambda *xs: max(xs)),
    "at_most": _numeric(lambda *xs: min(xs)),
    "ceil": _numeric(_finite(lambda x: float(math.ceil(x)))),
    "floor": _numeric(_finite(lambda x: float(math.floor(x)))),
    "divided_by": _numeric(_divide),
    "minus": _numeric(lambda x, y=math.nan, *_: x - y),
    "plus": _numeric(lambda x, y=math.nan, *_: x + y),
    "times": _numeric(lambda x, y=math.nan, *_: x * y),
    "modulo": _numeric(_modulo),
    "round": _round,
}


# ---- arrays -----------------------------------------------------------------------------------


def _join(value: Any, sep: Any = UNDEFINED, *_: Any) -> str:
    sep = js(sep)
    separator = " " if is_nil(sep) else stringify(sep)
    items = to_array(value)
    use(len(separator) * max(len(items) - 1, 0) + sum(len(to_js_string(js(i))) for i in items if not is_nil(i)))
    return separator.join("" if is_nil(item) else to_js_string(js(item)) for item in items)


def _element(value: Any, index: int) -> Any:
    """`first`/`last`: arrays and strings (by UTF-16 unit) are array-like; anything else gives ''."""
    value = js(value)
    if isinstance(value, str) and value:
        return from_utf16_units(utf16_units(value)[index])
    if isinstance(value, list):
        return value[index] if value else UNDEFINED
    return ""


def _size(value: Any, *_: Any) -> int:
    value = js(value)
    if isinstance(value, str):
        return utf16_length(value)
    if isinstance(value, list):
        return len(value)
    if isinstance(value, dict) and isinstance(value.get("length"), (int, float)) and value["length"]:
        return value["length"]
    return 0


def _property(item: Any, path: str) -> Any:
    for key in path.split("."):
        if isinstance(item, dict):
            item = item.get(key, UNDEFINED)
        elif isinstance(item, list) and key.lstrip("-").isdigit():
            index = int(key)
            item = item[index] if -len(item) <= index < len(item) else UNDEFINED
        else:
            return UNDEFINED
    return item


def _sum(value: Any, prop: Any = UNDEFINED, *_: Any) -> float:
    total = 0.0
    for item in to_array(value):
        x = number(_property(item, stringify(prop)) if isinstance(prop, Drop) or js_truthy(prop) else item)
        total += 0.0 if math.isnan(x) else x
    return total


def _js_add(left: Any, right: Any) -> Any:
    """JavaScript's `left + right` for template values: a string on either side concatenates."""
    a, b = (to_js_string(v) if isinstance(v, (list, dict)) else v for v in (js(left), js(right)))
    if isinstance(a, str) or isinstance(b, str):
        return (a if isinstance(a, str) else to_js_string(a)) + (b if isinstance(b, str) else to_js_string(b))
    return number(a) + number(b)


def _slice(value: Any, *args: Any) -> Any:
    """liquidjs's `slice`, its `begin < 0`, `length + begin` and `begin + length` as JavaScript runs them.

    The arguments reach it uncoerced: `slice: "1"` ends at `"1" + 1`, i.e. "11"; a missing begin
    is undefined (an array's slice is then empty, a string's starts at 0).
    """
    value = js(value)
    if is_nil(value):
        return []
    seq = value if isinstance(value, list) else stringify(value)
    begin, length = _arg(args, 0), _arg(args, 1, 1)
    if less(begin, 0):
        begin = _js_add(len(seq), begin)
    if less(begin, 0) or less(length, 0):
        return [] if isinstance(seq, list) else ""
    charged = number(length)
    if charged > 0:
        use(math.ceil(min(charged, 2**53)))
    if isinstance(seq, list):
        return seq[_int(number(begin)) : _int(number(_js_add(begin, length)))]
    start = min(steps(begin), len(seq))
    return seq[start : start + steps(length)]


def _where(value: Any, prop: Any = UNDEFINED, *expected: Any) -> list[Any]:
    items, path = to_array(value), stringify(prop)
    want = _arg(expected, 0)
    if want is UNDEFINED:
        return [item for item in items if truthy(_property(item, path))]
    return [item for item in items if equals(_property(item, path), want)]


def _sample(value: Any, count: Any = 1, *_: Any) -> Any:
    value = js(value)
    if is_nil(value):
        return []
    items = list(value if isinstance(value, list) else stringify(value))
    random.shuffle(items)
    n = _arg((count,), 0, 1)
    if strict_equal(n, 1):  # `count === 1`: `true` or `"1"` give a one-item array instead
        return items[0] if items else UNDEFINED
    return items[: _int(number(n))]


ARRAYS: dict[str, Filter] = {
    "join": _join,
    "first": lambda v, *_: back(_element(v, 0)),
    "last": lambda v, *_: back(_element(v, -1)),
    "size": _size,
    "sum": _sum,
    "compact": lambda v, *_: [item for item in to_array(v) if not is_nil(item)],
    "push": lambda v, item=UNDEFINED, *_: [*to_array(v), js(item)],
    "unshift": lambda v, item=UNDEFINED, *_: [js(item), *to_array(v)],
    "pop": lambda v, *_: to_array(v)[:-1],
    "shift": lambda v, *_: to_array(v)[1:],
    "slice": _slice,
    "where": _where,
    "sample": lambda v, *a: back(_sample(v, *a)),
}


# ---- misc -------------------------------------------------------------------------------------


def _entries(args: tuple[Any, ...]) -> dict[Any, Any]:
    """`new Map(args)`: a `key: value` argument is a [key, value] entry; anything else is a TypeError."""
    found: dict[Any, Any] = {}
    for arg in args:
        if isinstance(arg, list):
            found[js(arg[0]) if arg else UNDEFINED] = arg[1] if len(arg) > 1 else UNDEFINED
        elif not isinstance(arg, (dict, Drop)):
            raise LiquidJSError(f"Iterator value {to_js_string(js(arg))} is not an entry object")
    return found


def _default(value: Any, fallback: Any = UNDEFINED, *args: Any) -> Any:
    """liquidjs's `default` (the fallback kept as given: `nil` stays the nil drop)."""
    value = js(value)
    if isinstance(value, (list, str)):
        return value if value else fallback
    if value is False and js_truthy(js(_entries(args).get("allow_false", UNDEFINED))):
        return False
    return fallback if not truthy(value) else value


def _json(value: Any, space: Any = 0, *_: Any) -> Any:
    if isinstance(value, Drop):
        value = {}  # liquidjs's `nil`, `empty` and `blank` drops serialize as objects
    value, space = js(value), js(space)
    indent = _indent(space)
    if not indent:
        return back(json_stringify(value))
    return back(_pretty(value, indent, ""))


def _indent(space: Any) -> str:
    if isinstance(space, str):
        return space[:10]
    if isinstance(space, (int, float)) and not isinstance(space, bool) and space >= 1:
        return " " * int(min(10, space))
    return ""


def _pretty(value: Any, indent: str, here: str) -> Any:
    """`JSON.stringify(value, null, indent)` for JSON-like values."""
    inner = here + indent
    if isinstance(value, list) and value:
        items = [_pretty(v, indent, inner) for v in value]
        return "[\n" + ",\n".join(inner + ("null" if v is UNDEFINED else v) for v in items) + "\n" + here + "]"
    if isinstance(value, dict) and value:
        members = [(k, _pretty(v, indent, inner)) for k, v in value.items()]
        shown = [inner + json_stringify(k) + ": " + v for k, v in members if v is not UNDEFINED]
        return "{\n" + ",\n".join(shown) + "\n" + here + "}" if shown else "{}"
    return json_stringify(value)


MISC: dict[str, Filter] = {
    "default": _default,
    "raw": lambda v, *_: v,
    "json": _json,
    "jsonify": _json,
    "inspect": _json,
    "to_integer": lambda v, *_: number(v),
}

FILTERS: dict[str, Filter] = {
    **MATH,
    **STRINGS,
    **ARRAYS,
    **DATE_FILTERS,
    **MISC,
    **{name: _disabled(name) for name in DISABLED_FILTERS},
}
