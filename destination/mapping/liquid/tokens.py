"""liquidjs 10.30's tokens and character classes, ported: what the tokenizer (`lexer`) makes of a template.

Kept apart from the tokenizer so the values the parser and the evaluator read stay small and
plain: each token keeps the source and its span, for liquidjs's `line:L, col:C` messages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from destination.fql.lexer import from_utf16_units
from destination.js.values import utf16_length, utf16_units
from destination.mapping.liquid.values import LiquidJSError

WORD, BLANK, QUOTE, INLINE_BLANK, NUMBER, SIGN = 1, 4, 8, 16, 32, 64
_TYPES = [0] * 9 + [20, 4, 4, 4, 20] + [0] * 18 + [20, 2, 8, 0, 0, 0, 0, 8, 0, 0, 0, 64, 0, 65, 0, 0] + [33] * 10
_TYPES += [0, 0, 2, 2, 2, 1, 0] + [1] * 26 + [0, 0, 0, 0, 1, 0] + [1] * 26 + [0, 0, 0, 0, 0]
_EXTRA = {c: BLANK for c in (160, 5760, 6158, *range(8192, 8203), 8232, 8233, 8239, 8287, 12288)}
_EXTRA.update({8220: 128, 8221: 128})
OPERATORS = ("==", "!=", ">", "<", ">=", "<=", "contains", "not", "and", "or")
PRECEDENCE = {"==": 2, "!=": 2, ">": 2, "<": 2, ">=": 2, "<=": 2, "contains": 2, "not": 1, "and": 0, "or": 0}


def ctype(ch: str) -> int:
    code = ord(ch)
    return _TYPES[code] if code < 128 else _EXTRA.get(code, 0)


def is_word(ch: str) -> bool:
    if not ch:
        return False
    code = ord(ch)
    return not _EXTRA.get(code, 0) if code >= 128 else bool(_TYPES[code] & WORD)


def located(message: str, source: str, index: int) -> str:
    """liquidjs's `mkMessage`: the message with `line:L, col:C` (columns in UTF-16 units)."""
    line = source.count("\n", 0, index) + 1
    start = source.rfind("\n", 0, index) + 1
    return f"{message}, line:{line}, col:{utf16_length(source[start:index]) + 1}"


def snapshot(text: str) -> str:
    """`JSON.stringify(ellipsis(text, 32))`, cut by UTF-16 units as JavaScript cuts it."""
    units = utf16_units(text)
    if len(units) > 32:
        text = from_utf16_units("".join(units[:29])) + "..."
    return json.dumps(text, ensure_ascii=False)


# ---- tokens ---------------------------------------------------------------------------------------


@dataclass(eq=False)
class Token:
    source: str
    begin: int
    end: int

    @property
    def text(self) -> str:
        return self.source[self.begin : self.end]


@dataclass(eq=False)
class HTML(Token):
    trim_left: int = 0
    trim_right: int = 0

    @property
    def content(self) -> str:
        return self.source[self.begin + self.trim_left : self.end - self.trim_right]


@dataclass(eq=False)
class Delimited(Token):
    content_begin: int = 0
    content_end: int = 0
    trim_left: bool = False
    trim_right: bool = False

    def __post_init__(self) -> None:
        s, left, right = self.source, self.content_begin, self.content_end
        self.trim_left = left < len(s) and s[left] == "-"
        self.trim_right = 0 <= right - 1 < len(s) and s[right - 1] == "-"
        left, right = left + self.trim_left, right - self.trim_right
        while left < right and ctype(s[left]) & BLANK:
            left += 1
        while right > left and ctype(s[right - 1]) & BLANK:
            right -= 1
        self.content_begin, self.content_end = left, right


@dataclass(eq=False)
class Output(Delimited):
    pass


@dataclass(eq=False)
class Number(Token):
    content: float = 0.0


@dataclass(eq=False)
class Literal(Token):
    content: Any = None


@dataclass(eq=False)
class Quoted(Token):
    content: str = ""


@dataclass(eq=False)
class Word(Token):
    @property
    def content(self) -> str:
        return self.text


@dataclass(eq=False)
class Access(Token):
    variable: Any = None
    props: list[Any] = field(default_factory=list)


@dataclass(eq=False)
class Range(Token):
    low: Any = None
    high: Any = None


@dataclass(eq=False)
class Operator(Token):
    @property
    def operator(self) -> str:
        return self.text


@dataclass(eq=False)
class FilterToken(Token):
    name: str = ""
    args: list[Any] = field(default_factory=list)  # a value token, or (key text, value token or None)


@dataclass(eq=False)
class Expression:
    """Tokens in postfix order (liquidjs's `toPostfix`: higher precedence binds first, ties to the right)."""

    postfix: list[Any]

    @classmethod
    def of(cls, tokens: list[Any]) -> Expression:
        postfix: list[Any] = []
        ops: list[Operator] = []
        for token in tokens:
            if isinstance(token, Operator):
                while ops and PRECEDENCE[ops[-1].operator] > PRECEDENCE[token.operator]:
                    postfix.append(ops.pop())
                ops.append(token)
            else:
                postfix.append(token)
        return cls(postfix + ops[::-1])


@dataclass(eq=False)
class Filtered(Token):
    initial: Expression = field(default_factory=lambda: Expression([]))
    filters: list[FilterToken] = field(default_factory=list)


_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\x0b"}
_HEX, _OCT = set("0123456789abcdefABCDEF"), set("01234567")


def _hex_value(ch: str) -> int:
    code = ord(ch)
    return code - 87 if code >= 97 else code - 55 if code >= 65 else code - 48


def parse_string_literal(text: str) -> str:
    """liquidjs's `parseStringLiteral`: the quotes dropped, escapes read as JavaScript's."""
    out, i = [], 1
    while i < len(text) - 1:
        ch = text[i]
        if ch != "\\":
            out.append(ch)
        elif text[i + 1] in _ESCAPES:
            i += 1
            out.append(_ESCAPES[text[i]])
        elif text[i + 1] == "u":
            value, j = 0, i + 2
            while j <= i + 5 and (j >= len(text) or text[j] in _HEX):
                if j >= len(text):  # `rHex.test(undefined)` is true ("undefined" holds hex digits)
                    raise LiquidJSError("Cannot read properties of undefined (reading 'charCodeAt')")
                value, j = value * 16 + _hex_value(text[j]), j + 1
            i = j - 1
            out.append(chr(value))
        elif text[i + 1] not in _OCT:
            i += 1
            out.append(text[i])
        else:
            value, j = 0, i + 1
            while j <= i + 3 and j < len(text) and text[j] in _OCT:
                value, j = value * 8 + _hex_value(text[j]), j + 1
            i = j - 1
            out.append(chr(value))
        i += 1
    return "".join(out)


# ---- the tokenizer --------------------------------------------------------------------------------
