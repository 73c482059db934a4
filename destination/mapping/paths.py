"""Paths (`$.a.b`, `$.o["weird key"]`, `$.arr[1]`, `$.arr.0`) and `{{a.b}}` templates.

Segment resolves both with one small `get` that splits the path on `.` and brackets, strips
quotes, and then walks with `value && value[key]` — so a falsy value part-way (0, "", false,
null) is the answer rather than undefined. Parsing is split from lookup so that a mapping can
parse its paths and templates once and only walk them per event.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from destination.js.objects import array_index
from destination.js.values import JS_WHITESPACE, UNDEFINED, to_js_string, utf16_units

__all__ = ["Path", "parse_path", "parse_json_path", "get", "get_path", "getter", "Template", "parse_template", "render"]

# A path step: the property key and, when the key is a canonical array index, that index.
Step = tuple[str, int]
# A parsed path: None means "the whole value" ("" or "."), otherwise the steps to walk.
Path = tuple[Step, ...] | None

_SPLIT = re.compile(r"""\[(?="|'|\d)|\.|(?<="|'|\d)]+""")
_QUOTES = re.compile(r"""['"]""")
_TRIPLE = re.compile(r"\{\{\{([^}]+)\}\}\}")
_DOUBLE = re.compile(r"\{\{([^}]+)\}\}")


@lru_cache(maxsize=4096)
def parse_path(path: str) -> Path:
    """Split a `get` path into steps (quotes removed, empty parts skipped)."""
    if path in ("", "."):
        return None
    keys = [_QUOTES.sub("", part) for part in _SPLIT.split(path) if part]
    return tuple((key, array_index(key)) for key in keys)


def parse_json_path(path: str) -> Path:
    """A `@path` value: its first `$.` is dropped (wherever it is), then it is a `get` path."""
    return parse_path(path.replace("$.", "", 1))


def _step(value: Any, key: str, index: int) -> Any:
    """`value[key]` for a truthy value: own keys, array/string indices and `length`."""
    if isinstance(value, Mapping):
        return value.get(key, UNDEFINED)
    if isinstance(value, str):
        items: Any = value if value.isascii() else utf16_units(value)
    elif isinstance(value, list):
        items = value
    else:
        return UNDEFINED
    if 0 <= index < len(items):
        return items[index]
    return len(items) if key == "length" else UNDEFINED


def get_path(value: Any, path: Path) -> Any:
    """Walk a parsed path the way Segment's `get` reduces it."""
    if path is None:
        return value
    for key, index in path:
        if type(value) is dict:
            value = value.get(key, UNDEFINED)
        elif isinstance(value, (list, Mapping)):
            value = _step(value, key, index)
        elif value is None or value is UNDEFINED or value is False or value == "" or value != value or value == 0:
            # `prevObj && prevObj[key]`: a falsy value ends the walk as the result.
            return value
        else:
            value = _step(value, key, index)
    return value


def getter(path: Path) -> Callable[[Any], Any]:
    """A function walking `path`, with a fast lane for the common one- and two-key object paths."""
    if path is None:
        return lambda value: value
    if len(path) == 1:
        key = path[0][0]

        def get_one(value: Any) -> Any:
            if type(value) is dict:
                return value.get(key, UNDEFINED)
            return get_path(value, path)

        return get_one
    if len(path) == 2:
        first, second = path[0][0], path[1][0]

        def get_two(value: Any) -> Any:
            if type(value) is dict:
                inner = value.get(first, UNDEFINED)
                if type(inner) is dict:
                    return inner.get(second, UNDEFINED)
            return get_path(value, path)

        return get_two
    return lambda value: get_path(value, path)


def get(value: Any, path: str) -> Any:
    """Segment's `get(obj, path)` on an unparsed path."""
    return get_path(value, parse_path(path))


def _render_value(value: Any) -> str:
    """`value ?? ''`, then the string conversion `String.prototype.replace` applies."""
    if value is None or value is UNDEFINED:
        return ""
    if type(value) is str:
        return value
    return to_js_string(value)


def _placeholder(inner: str) -> Path:
    return parse_path(inner.strip(JS_WHITESPACE))


def _substitute(pattern: re.Pattern[str], text: str, data: Any) -> str:
    return pattern.sub(lambda m: _render_value(get_path(data, _placeholder(m.group(1)))), text)


class Template:
    """A parsed `@template`: literal text and placeholder paths, rendered per payload.

    Segment renders `{{{x}}}` first and `{{x}}` on the result, so text a triple placeholder
    inserts can itself form a placeholder; only templates with triple braces pay for that.
    """

    __slots__ = ("source", "_pieces", "_tail", "_two_pass")

    def __init__(self, source: str) -> None:
        self.source = source
        self._two_pass = _TRIPLE.search(source) is not None
        pieces: list[tuple[str, Path]] = []
        last = 0
        if not self._two_pass:
            for m in _DOUBLE.finditer(source):
                pieces.append((source[last : m.start()], _placeholder(m.group(1))))
                last = m.end()
        self._pieces = tuple(pieces)
        self._tail = source[last:]

    def render(self, data: Any) -> str:
        """The template with every placeholder replaced by its value in `data` ("" if none)."""
        if self._two_pass:
            return _substitute(_DOUBLE, _substitute(_TRIPLE, self.source, data), data)
        if not self._pieces:
            return self._tail
        return "".join([text + _render_value(get_path(data, path)) for text, path in self._pieces]) + self._tail


@lru_cache(maxsize=1024)
def parse_template(source: str) -> Template:
    """Parse a template once; templates are immutable so parsed ones are shared."""
    return Template(source)


def render(template: str, data: Any) -> str:
    """Segment's `render(template, data)` on an unparsed template."""
    return parse_template(template).render(data)
