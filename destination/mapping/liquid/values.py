"""liquidjs's value rules for `@liquid`: its drops, stringify, toNumber, equality and comparison.

Segment renders templates with liquidjs, whose values are JavaScript's: numbers are doubles
printed as `String(x)` prints them (259, not 259.0), a missing variable is `undefined` (not
`null`), `==` is `===`, and `<` converts as JavaScript's `<` does instead of refusing mixed
types. The literals `nil`, `empty` and `blank` are liquidjs's drops, compared by their own rules.
The filters and the renderer take every such rule from here.
"""

from __future__ import annotations

import math
from contextvars import ContextVar
from typing import Any

from destination.js.values import (
    JS_WHITESPACE,
    UNDEFINED,
    is_number,
    number_to_string,
    string_to_number,
    to_double,
    to_js_string,
)

__all__ = [
    "MEMORY_LIMIT",
    "memory",
    "use",
    "LiquidJSError",
    "Drop",
    "NIL",
    "EMPTY",
    "BLANK",
    "LITERALS",
    "js",
    "back",
    "stringify",
    "to_num",
    "number",
    "equals",
    "less",
    "less_equal",
    "truthy",
    "is_nil",
    "to_array",
]


class LiquidJSError(Exception):
    """A liquidjs failure with liquidjs's message; `positioned` once it carries `line:L, col:C`.

    A filter's error is positioned by the renderer at the output or tag it sits in, as liquidjs's
    RenderError is; the tokenizer's are positioned where it stopped reading.
    """

    def __init__(self, message: str, index: int | None = None, positioned: bool = False) -> None:
        super().__init__(message)
        self.index = index
        self.positioned = positioned

    @property
    def text(self) -> str:
        return str(self.args[0])


class Drop:
    """liquidjs's `nil`, `empty` and `blank` literals: objects with their own `equals`, never ordered."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name

    def value(self) -> Any:
        """`valueOf()`: null for nil, '' for empty and blank."""
        return None if self is NIL else ""

    def equals(self, other: Any) -> bool:
        if self is NIL:
            return is_nil(js(other))
        if self is BLANK:
            if other is False or is_nil(js(other)):
                return True
            if isinstance(other, str):
                return other.strip(_JS_SPACE) == ""
        if isinstance(other, Drop) and other is not NIL:
            return False
        other = js(other)
        if isinstance(other, (str, list, dict)):
            return len(other) == 0
        return False


NIL, EMPTY, BLANK = Drop("nil"), Drop("empty"), Drop("blank")
LITERALS: dict[str, Any] = {"true": True, "false": False, "nil": NIL, "null": NIL, "empty": EMPTY, "blank": BLANK}


_JS_SPACE = JS_WHITESPACE
MEMORY_LIMIT = 100_000_000  # liquidjs's memoryLimit as Segment sets it: characters one render may allocate
memory: ContextVar[list[int]] = ContextVar("liquid_memory")


def use(count: int) -> None:
    """liquidjs's `memoryLimit.use`: charge a render for what a filter allocates, refuse past the limit."""
    spent = memory.get(None)
    if spent is None or count <= 0:
        return
    if spent[0] + count > MEMORY_LIMIT:
        raise LiquidJSError("memory alloc limit exceeded")
    spent[0] += count


def js(value: Any) -> Any:
    """The value a filter or operator sees (liquidjs's `toValue`): a drop's `valueOf()`, a range as its list."""
    if isinstance(value, Drop):
        return value.value()
    if isinstance(value, range):
        return list(value)
    return value


def back(value: Any) -> Any:
    """A filter's result as the renderer keeps it (unchanged: undefined stays undefined)."""
    return value


def is_nil(value: Any) -> bool:
    """liquidjs's `isNil`: null or undefined."""
    return value is None or value is UNDEFINED


def truthy(value: Any) -> bool:
    """liquidjs's default truthiness: only false, null and undefined are falsy (0 and '' are true)."""
    return not (value is False or is_nil(value))


def stringify(value: Any) -> str:
    """liquidjs's `stringify`: what `{{ value }}` writes and what string filters start from."""
    value = js(value)
    if isinstance(value, str):
        return value
    if is_nil(value):
        return ""
    if isinstance(value, list):
        return "".join(stringify(item) for item in value)
    if isinstance(value, (bool, int, float, dict)):
        return to_js_string(value)
    return str(value)


def _primitive(value: Any) -> Any:
    """ToPrimitive with hint number, for JSON-like values: arrays and objects become strings."""
    if isinstance(value, (list, dict)):
        return to_js_string(value)
    return value


def number(value: Any) -> float:
    """JavaScript's `Number(value)` / unary `+` for a template value (NaN where JS gives NaN)."""
    value = _primitive(js(value))
    if value is UNDEFINED:
        return math.nan
    if value is None:
        return 0.0
    if value is True or value is False:
        return 1.0 if value else 0.0
    if isinstance(value, str):
        return string_to_number(value)
    if is_number(value):
        return to_double(value)
    return math.nan


def to_num(value: Any) -> float:
    """liquidjs's `toNumber`: `+value || 0`, so NaN (and -0) become 0."""
    x = number(value)
    return 0.0 if math.isnan(x) or x == 0 else x


def to_array(value: Any) -> list[Any]:
    """liquidjs's `toArray`: nil is [], an array itself, anything else a one-item array."""
    value = js(value)
    if is_nil(value):
        return []
    return value if isinstance(value, list) else [value]


def equals(left: Any, right: Any) -> bool:
    """liquidjs's `equals`: a drop's own rule, else `===`, arrays item by item; objects only when the same."""
    if isinstance(left, Drop):
        return left.equals(right)
    if isinstance(right, Drop):
        return right.equals(left)
    left, right = js(left), js(right)
    if isinstance(left, list):
        return isinstance(right, list) and len(left) == len(right) and all(map(equals, left, right))
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    if is_number(left) and is_number(right):
        return to_double(left) == to_double(right)
    if isinstance(left, dict) or isinstance(right, dict):
        return left is right
    if left is None or left is UNDEFINED:
        return left is right
    return type(left) is type(right) and left == right


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-be", "surrogatepass")


def _relation(left: Any, right: Any) -> tuple[Any, Any] | None:
    """Both sides made comparable as JavaScript's `<` does: strings as UTF-16, else numbers; None for NaN."""
    a, b = _primitive(js(left)), _primitive(js(right))
    if isinstance(a, str) and isinstance(b, str):
        return _utf16(a), _utf16(b)
    x, y = number(a), number(b)
    if math.isnan(x) or math.isnan(y):
        return None
    return x, y


def less(left: Any, right: Any) -> bool:
    """JavaScript's `left < right`."""
    pair = _relation(left, right)
    return pair is not None and pair[0] < pair[1]


def less_equal(left: Any, right: Any) -> bool:
    """JavaScript's `left <= right` (false when either side is NaN)."""
    pair = _relation(left, right)
    return pair is not None and pair[0] <= pair[1]


def contains(left: Any, right: Any) -> bool:
    """liquidjs's `contains`: an array holding an equal item, or a string holding `String(right)`."""
    left, right = js(left), js(right)
    if isinstance(left, list):
        return any(equals(item, right) for item in left)
    if isinstance(left, str):
        needle = "undefined" if right is UNDEFINED else to_js_string(right) if not isinstance(right, str) else right
        return needle in left
    return False


def format_number(x: float) -> str:
    """`String(x)` for a double."""
    return number_to_string(x)
