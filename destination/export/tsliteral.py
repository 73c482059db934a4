"""TypeScript object literals in the layout of Segment's destination files.

Objects and arrays open one entry per line, keys are bare when they are identifiers and
single-quoted otherwise, strings are single-quoted with `\\'` escapes, no trailing commas: the
style of this destination's files in segmentio/action-destinations, so that a diff against
them shows content, not layout. `Raw` and `Spread` carry code that is not data (`data.settings.region`,
`...defaultValues(event.fields)`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

INDENT = "  "
_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f", "\v": "\\v"}


@dataclass(frozen=True)
class Raw:
    """An expression written as it is (a variable, a property access, a call)."""

    code: str


@dataclass(frozen=True)
class Spread:
    """A `...expression` entry of an object literal; used as a key, its value is ignored."""

    code: str


def is_identifier(name: str) -> bool:
    return bool(_IDENTIFIER.match(name))


def string(value: str) -> str:
    """A single-quoted TypeScript string literal."""
    out = []
    for char in value:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or char in "\u2028\u2029":
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return "'" + "".join(out) + "'"


def number(value: float) -> str:
    """A number as JavaScript prints it (`1`, `129.9`, `1e+21`, `1e-7`)."""
    if isinstance(value, int) or value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"{value!r} has no JSON form")
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        sign = "-" if exponent.startswith("-") else "+"
        text = f"{mantissa.removesuffix('.0')}e{sign}{exponent.lstrip('+-').lstrip('0') or '0'}"
    return text


def key(name: str) -> str:
    return name if is_identifier(name) else string(name)


def literal(value: Any, level: int = 0) -> str:
    """`value` as a TypeScript expression; nested lines are indented for depth `level`."""
    if isinstance(value, Raw):
        return value.code
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return number(value)
    if isinstance(value, str):
        return string(value)
    if isinstance(value, Mapping):
        return _object(value, level)
    if isinstance(value, Sequence):
        return _array(value, level)
    raise TypeError(f"no TypeScript literal for {type(value).__name__}")


def _object(value: Mapping[Any, Any], level: int) -> str:
    if not value:
        return "{}"
    inner = INDENT * (level + 1)
    entries = []
    for name, item in value.items():
        if isinstance(name, Spread):
            entries.append(f"{inner}...{name.code}")
        elif isinstance(item, Raw) and item.code == name:
            entries.append(f"{inner}{name}")  # shorthand: `{ track, identify }`
        else:
            entries.append(f"{inner}{key(name)}: {literal(item, level + 1)}")
    return "{\n" + ",\n".join(entries) + "\n" + INDENT * level + "}"


def _array(value: Sequence[Any], level: int) -> str:
    if not value:
        return "[]"
    inner = INDENT * (level + 1)
    items = [f"{inner}{literal(item, level + 1)}" for item in value]
    return "[\n" + ",\n".join(items) + "\n" + INDENT * level + "]"


def template(parts: Sequence[str | Raw]) -> str:
    """A template literal: text parts escaped, `Raw` parts interpolated as `${...}`."""
    out = []
    for part in parts:
        if isinstance(part, Raw):
            out.append("${" + part.code + "}")
        else:
            out.append(part.replace("\\", "\\\\").replace("`", "\\`").replace("${", "\\${"))
    return "`" + "".join(out) + "`"


def member(obj: str, name: str) -> str:
    """`obj.name`, or `obj['name']` when the name is not an identifier."""
    return f"{obj}.{name}" if is_identifier(name) else f"{obj}[{string(name)}]"
