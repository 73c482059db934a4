"""Value operations behind Segment's directives, with JavaScript's exact results.

`@replace` escapes its pattern, so its RegExp only ever matches the literal text — but the
replacement still goes through `String.prototype.replace`'s `$&`/`` $` ``/`$'`/`$$` rules and
`i` uses JavaScript's (non-Unicode) case folding. `@flatten` and `@merge` build objects with
spread/`Object.assign`, which walk keys in `Object.keys` order and let later keys win.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from destination.js.objects import any_index_key, js_keys
from destination.js.values import UNDEFINED, utf16_units

__all__ = ["Replacement", "parse_replacement", "replace_literal", "flatten_object", "assign", "clean_nulls"]

# A parsed replacement string: literal text, or one of "&" (match), "`" (before), "'" (after).
Replacement = tuple[str, ...]


@lru_cache(maxsize=256)
def parse_replacement(text: str) -> Replacement:
    """Split a replacement into literal text and `$&`, `` $` ``, `$'` markers (`$$` is `$`).

    The escaped pattern has no capture groups, so `$1` and `$<name>` stay literal text.
    """
    parts: list[str] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        nxt = text[i + 1] if i + 1 < len(text) else ""
        if ch == "$" and nxt in ("&", "`", "'"):
            parts.extend(("".join(literal), nxt))
            literal = []
            i += 2
            continue
        if ch == "$" and nxt == "$":
            literal.append("$")
            i += 2
            continue
        literal.append(ch)
        i += 1
    parts.append("".join(literal))
    return tuple(parts)


@lru_cache(maxsize=4096)
def _canonical_char(ch: str) -> str:
    """The non-Unicode RegExp `Canonicalize`: upper-case unless that changes length or leaves non-ASCII."""
    if ord(ch) > 0xFFFF:
        return ch
    upper = ch.upper()
    if len(upper) != 1 or (ord(ch) >= 128 and ord(upper) < 128):
        return ch
    return upper


def _canonical(text: str) -> str:
    if text.isascii():
        return text.upper()
    return "".join(map(_canonical_char, text))


def replace_literal(value: str, pattern: str, replacement: Replacement, global_: bool, ignorecase: bool) -> str:
    """`value.replace(new RegExp(escaped(pattern), flags), replacement)`."""
    haystack = _canonical(value) if ignorecase else value
    needle = _canonical(pattern) if ignorecase else pattern
    simple = len(replacement) == 1
    out: list[str] = []
    last = 0
    start = haystack.find(needle)
    while start >= 0:
        end = start + len(needle)
        out.append(value[last:start])
        if simple:
            out.append(replacement[0])
        else:
            out.append(_substitution(replacement, value, start, end))
        last = end
        if not global_:
            break
        start = haystack.find(needle, end)
    if not out:
        return value
    out.append(value[last:])
    return "".join(out)


def _substitution(replacement: Replacement, value: str, start: int, end: int) -> str:
    pieces = []
    for i, part in enumerate(replacement):
        if i % 2 == 0:
            pieces.append(part)
        elif part == "&":
            pieces.append(value[start:end])
        elif part == "`":
            pieces.append(value[:start])
        else:
            pieces.append(value[end:])
    return "".join(pieces)


def flatten_object(value: Any, separator: str, omit_arrays: bool) -> dict[str, Any]:
    """Segment's `flattenObject(value, '', separator, omitArrays)`."""
    out: dict[str, Any] = {}
    _flatten_into(out, value, "", separator, omit_arrays)
    return out


def _flatten_into(out: dict[str, Any], value: Any, prefix: str, separator: str, omit_arrays: bool) -> None:
    if isinstance(value, Mapping):
        entries: Any = ((k, value[k]) for k in js_keys(value))
    elif isinstance(value, list) and not omit_arrays:
        entries = ((str(i), item) for i, item in enumerate(value))
    else:
        out[prefix] = value
        return
    for key, item in entries:
        _flatten_into(out, item, f"{prefix}{separator}{key}" if prefix else key, separator, omit_arrays)


def assign(sources: list[Any]) -> dict[str, Any]:
    """`Object.assign({}, ...sources)`: objects, arrays and strings give their own keys."""
    target: dict[str, Any] = {}
    for source in sources:
        if type(source) is dict and not any_index_key(source):
            target.update(source)  # Object.keys order is insertion order here
        elif isinstance(source, Mapping):
            for key in js_keys(source):
                target[key] = source[key]
        elif isinstance(source, list):
            for i, item in enumerate(source):
                target[str(i)] = item
        elif isinstance(source, str):
            for i, unit in enumerate(utf16_units(source)):
                target[str(i)] = unit
    return target


def clean_nulls(value: Any) -> Any:
    """`@excludeWhenNull`'s cleanup: null in an object (at any object depth) becomes undefined."""
    if not isinstance(value, Mapping):
        return value
    cleaned = dict(value)
    for key in js_keys(value):
        item = value[key]
        if item is None:
            cleaned[key] = UNDEFINED
        elif isinstance(item, Mapping):
            cleaned[key] = clean_nulls(item)
    return cleaned
