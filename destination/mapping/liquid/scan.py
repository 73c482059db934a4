"""The structure of a Liquid template as liquidjs reads it, for liquidjs's own parse errors.

liquidjs tokenizes the whole template first (an unclosed `{{` or `{%` fails there), then
parses tags in order: an unknown or stray tag is "not found", a disabled one fails when it
is reached, a block without its end tag is "not closed". python-liquid finds the same
mistakes with other words, positions and precedence, so this scan decides them first, with
liquidjs's messages (`tag "case" is disabled, line:1, col:1`); python-liquid's parser then
only has expressions left to refuse.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from destination.mapping.liquid.values import LiquidJSError

__all__ = ["DISABLED_TAGS", "Markup", "position", "scan"]

DISABLED_TAGS = ("case", "for", "include", "layout", "render", "tablerow")
# liquidjs's tags that Segment leaves on, with the inner tags each block accepts.
_BLOCKS: dict[str, tuple[str, ...]] = {
    "if": ("elsif", "else"),
    "unless": ("elsif", "else"),
    "capture": (),
    "comment": (),
    "raw": (),
    "block": (),
}
_SIMPLE = frozenset({"assign", "echo", "increment", "decrement", "cycle", "break", "continue", "#", "liquid"})
_NEEDS_VALUE = frozenset({"if", "elsif", "unless"})
_EMPTY_ARGS = {
    "if": 'invalid value expression: ""',
    "unless": 'invalid value expression: ""',
    "assign": "expected variable name",
    "capture": "invalid capture name",
}
_NAME = re.compile(r"#|[\w-]*")
_ENDRAW = re.compile(r"\{%-?\s*endraw\s*-?%\}")


@dataclass(frozen=True)
class Markup:
    """One `{{ … }}` or `{% … %}`: where it starts and ends, and for a tag its name and arguments."""

    kind: str  # "output" or "tag"
    start: int
    end: int
    name: str = ""
    args: str = ""
    args_start: int = 0


def position(source: str, index: int) -> str:
    """liquidjs's `line:L, col:C` for an offset into the template."""
    line = source.count("\n", 0, index) + 1
    column = index - (source.rfind("\n", 0, index) + 1) + 1
    return f"line:{line}, col:{column}"


def _fail(source: str, message: str, index: int) -> LiquidJSError:
    return LiquidJSError(f"{message}, {position(source, index)}", index)


def _snapshot(source: str, begin: int) -> str:
    text = source[begin:]
    text = text[:29] + "..." if len(text) > 32 else text
    return json.dumps(text, ensure_ascii=False)


def _close(source: str, begin: int, delimiter: str, quoted: bool) -> int:
    """liquidjs's `readToDelimiter` from a markup's start: the offset after the delimiter, or -1."""
    p = begin
    while p < len(source) and source[p].isspace():
        p += 1
    while p < len(source):
        if quoted and source[p] in "'\"":
            end = source.find(source[p], p + 1)
            p = len(source) if end < 0 else end + 1
            continue
        p += 1
        if source.startswith(delimiter, p - len(delimiter)):
            return p
    return -1


def _tag(source: str, start: int, end: int) -> Markup:
    inner_start, inner_end = start + 2, end - 2
    if source.startswith("-", inner_start):
        inner_start += 1
    if inner_end > inner_start and source[inner_end - 1] == "-":
        inner_end -= 1
    while inner_start < inner_end and source[inner_start].isspace():
        inner_start += 1
    name = _NAME.match(source, inner_start, inner_end).group()  # type: ignore[union-attr]
    after = inner_start + len(name)
    return Markup("tag", start, end, name, source[after:inner_end].strip(), after)


def _output(source: str, start: int, end: int) -> Markup:
    inner = start + 2 + source.startswith("-", start + 2)
    stop = end - 2 - (source[end - 3] == "-" and end - 3 >= inner)
    while inner < stop and source[inner].isspace():
        inner += 1
    return Markup("output", start, end, "", source[inner:stop].strip(), inner)


def tokenize(source: str) -> list[Markup]:
    """Every output and tag in order, or liquidjs's tokenization error."""
    found: list[Markup] = []
    p = 0
    while True:
        starts = [i for i in (source.find("{%", p), source.find("{{", p)) if i >= 0]
        if not starts:
            return found
        begin = min(starts)
        is_tag = source.startswith("{%", begin)
        end = _close(source, begin, "%}" if is_tag else "}}", quoted=not is_tag)
        if end < 0:
            raise _fail(source, f"{'tag' if is_tag else 'output'} {_snapshot(source, begin)} not closed", begin)
        markup = _tag(source, begin, end) if is_tag else _output(source, begin, end)
        found.append(markup)
        p = end
        if markup.name == "raw":
            closing = _ENDRAW.search(source, end)
            if closing is None:
                raise _fail(source, f"raw {_snapshot(source, begin)} not closed", end)
            found.append(_tag(source, closing.start(), closing.end()))
            p = closing.end()


def scan(source: str) -> list[Markup]:
    """The template's markup, or the first error liquidjs's tokenizer and parser would raise."""
    markups = tokenize(source)
    _Parser(source, markups).run()
    return markups


class _Parser:
    """liquidjs's parse order over the markup: blocks consume their body up to their end tag."""

    def __init__(self, source: str, markups: list[Markup]) -> None:
        self.source = source
        self.markups = markups
        self.tags = [m for m in markups if m.kind == "tag"]
        self.index = 0

    def run(self) -> None:
        for markup in self.markups:
            if markup.kind == "output" and not markup.args:
                raise _fail(self.source, 'invalid value expression: ""', markup.args_start)
        while self.index < len(self.tags):
            self.tag(self.tags[self.index])

    def tag(self, markup: Markup) -> None:
        self.index += 1
        name = markup.name
        if name in DISABLED_TAGS:
            raise _fail(self.source, f'tag "{name}" is disabled', markup.start)
        if not markup.args and name in _EMPTY_ARGS:
            raise _fail(self.source, _EMPTY_ARGS[name], markup.args_start)
        if name in _SIMPLE:
            return
        if name not in _BLOCKS:
            raise _fail(self.source, f'tag "{name}" not found', markup.start)
        self.body(markup, _BLOCKS[name])

    def body(self, opening: Markup, inner: tuple[str, ...]) -> None:
        end = "end" + opening.name
        while self.index < len(self.tags):
            markup = self.tags[self.index]
            if markup.name == end:
                self.index += 1
                return
            if opening.name in ("comment", "raw"):
                self.index += 1
            elif markup.name in inner:
                self.index += 1
                if markup.name in _NEEDS_VALUE and not markup.args:
                    raise _fail(self.source, 'invalid value expression: ""', markup.args_start)
            else:
                self.tag(markup)
        text = self.source[opening.start : opening.end]
        raise _fail(self.source, f"tag {text} not closed", opening.start)
