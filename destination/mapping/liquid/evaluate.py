"""liquidjs's evaluation of a value expression: variables, property reads, ranges, operators and filters.

Ported from liquidjs 10.30 (`evalToken`, `Context.readProperty`, `defaultOperators`) as Segment
runs it: `ownPropertyOnly`, so a property is read only where the value itself holds it; `size`,
`first` and `last` are read as properties first and computed only when there is none (a
property named `size` wins); strings are indexed and measured in UTF-16 code units; a variable
found nowhere is read from an empty globals object (so `{{ size }}` is 0).
"""

from __future__ import annotations

from typing import Any

from destination.js.objects import array_index
from destination.js.values import (
    UNDEFINED,
    is_number,
    js_number,
    number_to_string,
    to_js_string,
    utf16_length,
    utf16_units,
)
from destination.mapping.liquid.filters import FILTERS
from destination.mapping.liquid.lexer import (
    Access,
    Expression,
    Filtered,
    Literal,
    Number,
    Operator,
    Quoted,
    Range,
    Word,
)
from destination.mapping.liquid.values import (
    Drop,
    LiquidJSError,
    equals,
    is_nil,
    js,
    less,
    less_equal,
    number,
    truthy,
    use,
)

__all__ = ["Context", "evaluate", "evaluate_filtered", "property_key"]

RANGE_LIMIT = 1_000_000  # a range this long is refused (liquidjs allows 1e8 items); keeps memory bounded


class Context:
    """One render's scopes: `assign`/`capture` write `bottom`; `increment` writes a copy of the event."""

    def __init__(self, source: str, env: Any) -> None:
        self.source = source
        self.bottom: dict[str, Any] = {}
        self.env: dict[str, Any] = env if isinstance(env, dict) else {}
        self._env_copied = False
        self.registers: dict[str, int] = {}
        self.stopped = False  # break/continue: liquidjs stops rendering every enclosing block

    def writable_env(self) -> dict[str, Any]:
        if not self._env_copied:
            self.env, self._env_copied = dict(self.env), True
        return self.env


def property_key(key: Any) -> str:
    """JavaScript's ToPropertyKey for a template value."""
    if isinstance(key, str):
        return key
    if is_number(key):
        return number_to_string(key)
    return to_js_string(key)


def _own(obj: Any, key: Any) -> Any:
    """`readJSProperty` with ownPropertyOnly: the value's own property, else undefined."""
    if isinstance(obj, dict):
        return obj.get(property_key(key), UNDEFINED)
    if isinstance(obj, (list, str)):
        name = property_key(key)
        units = utf16_units(obj) if isinstance(obj, str) else obj
        if name == "length":
            return len(units)
        index = array_index(name)
        return units[index] if 0 <= index < len(units) else UNDEFINED
    return UNDEFINED


def _size(obj: Any) -> Any:
    if isinstance(obj, str):
        return utf16_length(obj)
    if isinstance(obj, (list, dict)):
        return len(obj)
    return UNDEFINED


def read_property(obj: Any, key: Any) -> Any:
    """liquidjs's `Context.readProperty`."""
    key = js(key)
    if is_nil(obj):
        return obj
    if isinstance(obj, Drop):
        return UNDEFINED
    if isinstance(obj, list) and is_number(key):
        index = key + len(obj) if key < 0 else key
        return obj[int(index)] if 0 <= index < len(obj) and index == int(index) else UNDEFINED
    value = _own(obj, key)
    if value is not UNDEFINED:
        return value
    if key == "size":
        return _size(obj)
    if key in ("first", "last") and isinstance(obj, list):
        return obj[0 if key == "first" else -1] if obj else UNDEFINED
    return UNDEFINED


def _scope(ctx: Context, key: Any) -> Any:
    """liquidjs's `findScope`: assigned variables, then the event, then an empty globals object."""
    name = property_key(key)
    if name in ctx.bottom:
        return ctx.bottom
    return ctx.env if name in ctx.env else {}


def _range(ctx: Context, token: Range) -> list[Any]:
    low, high = number(js(evaluate(token.low, ctx))), number(js(evaluate(token.high, ctx)))
    count = high - low + 1
    if count > RANGE_LIMIT:
        raise LiquidJSError("memory alloc limit exceeded")
    use(int(count) if count == count else 0)
    items, i = [], low
    while i < high + 1:
        items.append(js_number(i))
        i += 1
    return items


def evaluate(token: Any, ctx: Context) -> Any:
    """liquidjs's `evalToken`: drops are kept as drops (operators and `default` need them)."""
    if token is None:
        return UNDEFINED
    if isinstance(token, (Number, Literal, Quoted)):
        return token.content
    if isinstance(token, Word):
        return token.content
    if isinstance(token, Access):
        props = [js(evaluate(prop, ctx)) for prop in token.props]
        value = evaluate(token.variable, ctx) if token.variable is not None else _scope(ctx, props[0])
        for prop in props:
            value = read_property(value, prop)
        return value
    if isinstance(token, Range):
        return _range(ctx, token)
    if isinstance(token, Filtered):
        return evaluate_filtered(token, ctx)
    raise LiquidJSError(f"cannot evaluate {token!r}")


def _contains(left: Any, right: Any) -> bool:
    left = js(left)
    if isinstance(left, list):
        return any(equals(item, right) for item in left)
    if isinstance(left, str):
        return property_key(js(right)) in left
    return False


def _binary(op: str, left: Any, right: Any) -> bool:
    if op == "==":
        return equals(left, right)
    if op == "!=":
        return not equals(left, right)
    if op == "contains":
        return _contains(left, right)
    if op == "and":
        return truthy(js(left)) and truthy(js(right))
    if op == "or":
        return truthy(js(left)) or truthy(js(right))
    if isinstance(left, Drop) or isinstance(right, Drop):
        return False  # nil, empty and blank are never greater or less than anything
    if op == "<":
        return less(left, right)
    if op == ">":
        return less(right, left)
    if op == "<=":
        return less_equal(left, right)
    return less_equal(right, left)


def evaluate_expression(expression: Expression, ctx: Context) -> Any:
    """The postfix expression on a stack; a missing operand is undefined; the bottom operand wins."""
    operands: list[Any] = []
    for token in expression.postfix:
        if isinstance(token, Operator):
            right = operands.pop() if operands else UNDEFINED
            if token.operator == "not":
                operands.append(not truthy(js(right)))
            else:
                left = operands.pop() if operands else UNDEFINED
                operands.append(_binary(token.operator, left, right))
        else:
            operands.append(evaluate(token, ctx))
    return operands[0] if operands else UNDEFINED


def evaluate_filtered(token: Filtered, ctx: Context) -> Any:
    """A value through its filters; an unknown filter passes the value on (its arguments still evaluated)."""
    value = evaluate_expression(token.initial, ctx)
    for spec in token.filters:
        args = [[arg[0], evaluate(arg[1], ctx)] if isinstance(arg, tuple) else evaluate(arg, ctx) for arg in spec.args]
        run = FILTERS.get(spec.name)
        if run is not None:
            value = run(value, *args)
    return value
