"""Segment's condition tree, and its evaluation as Segment's `validate` and `get` do it.

The tree mirrors what Segment's parseFql returns (leaf conditions, and/or groups, and the
`undefined` an empty parenthesised group leaves behind). `compile_closures` turns it into
nested closures once, with each expected value's `String()`/`Number()` conversions done up
front; `compile_tree` goes one step further for dict events and generates a single Python
expression, so testing an event is a few dict lookups and comparisons in one call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from destination.errors import FQLEvaluationError
from destination.fql.access import UNDEFINED, member
from destination.js.values import is_number, to_double, to_js_string, to_number, truthy, utf16_units

MISSING = UNDEFINED  # the value a Check reports when the event has nothing at the path
Predicate = Callable[[Any], bool]

# The event key each of Segment's condition types reads.
_ROOT_KEY = {
    "event-type": "type",
    "event": "event",
    "name": "name",
    "userId": "userId",
    "event-context": "context",
    "event-property": "properties",
    "event-trait": "traits",
}
_PATH_SEGMENT = re.compile(r"[^\[.\]]+")


@dataclass(frozen=True, slots=True)
class Condition:
    """One leaf of Segment's condition tree, with the query text it came from."""

    type: str
    name: str | None
    operator: str
    value: str | float | bool | None
    text: str


@dataclass(frozen=True, slots=True)
class Group:
    """Conditions joined by the last `and`/`or` written at their level."""

    operator: str
    children: tuple[Node, ...]
    text: str


@dataclass(frozen=True, slots=True)
class Nothing:
    """A parenthesised group that yielded no condition: Segment keeps it and fails on reaching it."""

    text: str


Node = Condition | Group | Nothing


@dataclass(frozen=True, slots=True)
class Check:
    """Why one condition held or not: its text, the event's value there (or MISSING), the result."""

    condition: str
    value: Any
    result: bool


def compile_tree(node: Node) -> Predicate:
    """A function of the event giving Segment's verdict; it raises FQLEvaluationError where Segment throws.

    For a dict event (every real one) the tree runs as one generated expression: `and`/`or`
    inline, a top-level field read with `event.get`, and `=`/`!=` on it compared inline.
    Other events, and other conditions, use the closures `compile_closures` builds.
    """
    names: dict[str, Any] = {"UNDEFINED": UNDEFINED, "closures": compile_closures(node)}
    expression = _expression(node, names)
    source = f"def verdict(event):\n    if type(event) is not dict:\n        return closures(event)\n    return {expression}\n"
    exec(source, names)
    verdict: Predicate = names["verdict"]
    return verdict


def _expression(node: Node, names: dict[str, Any]) -> str:
    """Python source for `node`'s verdict on a dict `event`, using (and adding to) `names`."""

    def bind(value: Any) -> str:
        name = f"n{len(names)}"
        names[name] = value
        return name

    if isinstance(node, Group):
        if len(node.children) == 1 and node.operator in ("and", "or"):
            return _expression(node.children[0], names)
        if node.operator not in ("and", "or"):
            return "False"
        parts = [_expression(child, names) for child in node.children]
        if not parts:
            return "True" if node.operator == "and" else "False"
        return "(" + f" {node.operator} ".join(parts) + ")"
    if isinstance(node, Nothing) or node.name is not None:
        return f"{bind(compile_closures(node))}(event)"
    read = f"event.get({bind(_ROOT_KEY[node.type])}, UNDEFINED)"
    if node.operator in ("=", "!=") and node.value is not None:
        same = f"(isinstance(v := {read}, str) and v == {bind(to_js_string(node.value))})"
        return same if node.operator == "=" else f"(not {same})"
    return f"{bind(_predicate(node.operator, node.value))}({read})"


def compile_closures(node: Node) -> Predicate:
    """`compile_tree` as nested closures, no generated code: its fallback, and its reference in tests."""
    if isinstance(node, Nothing):

        def unreachable(event: Any) -> bool:
            raise FQLEvaluationError("Segment cannot evaluate an empty group: " + node.text)

        return unreachable
    if isinstance(node, Condition):
        get, test = _getter(node), _predicate(node.operator, node.value)
        return lambda event: test(get(event))
    parts = tuple(compile_closures(child) for child in node.children)
    if len(parts) == 1 and node.operator in ("and", "or"):
        return parts[0]
    if node.operator == "and":

        def every(event: Any) -> bool:
            for part in parts:
                if not part(event):
                    return False
            return True

        return every
    if node.operator == "or":

        def some(event: Any) -> bool:
            for part in parts:
                if part(event):
                    return True
            return False

        return some
    return lambda event: False


def _root(event: Any, key: str) -> Any:
    """`event[key]` as JavaScript reads it: fails on null, nothing on non-objects."""
    if type(event) is dict:
        return event.get(key, UNDEFINED)
    if event is None:
        raise FQLEvaluationError(f"Cannot read properties of null (reading '{key}')")
    if isinstance(event, Mapping):
        return event.get(key, UNDEFINED)
    return UNDEFINED


def _getter(node: Condition) -> Callable[[Any], Any]:
    key = _ROOT_KEY[node.type]
    if node.name is None:
        return lambda event: _root(event, key)
    if not node.name:

        def nothing(event: Any) -> Any:
            _root(event, key)
            return UNDEFINED

        return nothing
    path = tuple(_PATH_SEGMENT.findall(node.name))
    if not path:

        def broken(event: Any) -> Any:
            _root(event, key)
            raise FQLEvaluationError(f"Segment cannot read the path '{node.name}'")

        return broken

    def walk(event: Any) -> Any:
        value = _root(event, key)
        for segment in path:
            if type(value) is dict:
                found = value.get(segment, UNDEFINED)
                value = member(value, segment) if found is UNDEFINED else found
            elif truthy(value, UNDEFINED):
                value = member(value, segment)
            else:
                return value
        return value

    return walk


def _predicate(operator: str, expected: str | float | bool | None) -> Predicate:
    """Segment's validateValue for one operator, with the expected value's conversions done once."""
    if operator == "exists":
        return lambda a: a is not UNDEFINED and a is not None
    if operator == "not_exists":
        return lambda a: a is UNDEFINED or a is None
    if operator == "is_true":
        return lambda a: a is True
    if operator == "is_false":
        return lambda a: a is False
    if expected is None:
        return lambda a: False
    text, number = to_js_string(expected), to_number(expected)
    numeric: dict[str, Callable[[float], bool]] = {
        "number_equals": lambda x: x == number,
        "number_not_equals": lambda x: x != number,
        "<": lambda x: x < number,
        "<=": lambda x: x <= number,
        ">": lambda x: x > number,
        ">=": lambda x: x >= number,
    }
    if operator in numeric:
        compare = numeric[operator]
        return lambda a: is_number(a) and compare(to_double(a))
    if operator == "=":
        return lambda a: isinstance(a, str) and a == text
    if operator == "!=":
        return lambda a: not (isinstance(a, str) and a == text)
    textual = _textual(operator, text)
    if textual is None:
        return lambda a: False
    return lambda a: isinstance(a, str) and textual(a)


def _textual(operator: str, text: str) -> Callable[[str], bool] | None:
    """contains/starts_with/ends_with and negations, on UTF-16 units when `text` splits a pair."""
    units = any("\ud800" <= c <= "\udfff" for c in text)
    if units:
        text = "".join(utf16_units(text))
    base, negated = operator.removeprefix("not_"), operator.startswith("not_")
    tests: dict[str, Callable[[str], bool]] = {
        "contains": lambda a: text in a,
        "starts_with": lambda a: a.startswith(text),
        "ends_with": lambda a: a.endswith(text),
    }
    if base not in tests:
        return None
    test = tests[base]
    if units:
        plain = test
        test = lambda a: plain("".join(utf16_units(a)))
    return (lambda a: not test(a)) if negated else test


def explain(tree: Node, event: Any) -> list[Check]:
    """Every condition of `tree` in query order with the value it saw and its result; never raises."""
    return [_check(leaf, event) for leaf in _leaves(tree)]


def _leaves(node: Node) -> list[Condition | Nothing]:
    if isinstance(node, Group):
        return [leaf for child in node.children for leaf in _leaves(child)]
    return [node]


def _check(leaf: Condition | Nothing, event: Any) -> Check:
    if isinstance(leaf, Nothing):
        return Check(leaf.text, MISSING, False)
    try:
        value = _getter(leaf)(event)
    except Exception:
        return Check(leaf.text, MISSING, False)
    return Check(leaf.text, value, _predicate(leaf.operator, leaf.value)(value))


def segment_shape(node: Node) -> dict[str, Any] | None:
    """The node as the JSON Segment's parseFql gives (an empty group is JavaScript's undefined)."""
    if isinstance(node, Nothing):
        return None
    if isinstance(node, Group):
        return {"type": "group", "operator": node.operator, "children": [segment_shape(c) for c in node.children]}
    shape: dict[str, Any] = {"type": node.type}
    if node.name is not None:
        shape["name"] = node.name
    shape["operator"] = node.operator
    if node.value is not None:
        shape["value"] = node.value
    return shape
