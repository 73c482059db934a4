"""liquidjs 10.30's tokenizer, ported: the same reading of every character, the same errors at the same places.

Segment renders `@liquid` with liquidjs, whose tokenizer is lenient in its own ways: `{{ a | }}` and
`{{ a b }}` render `a`, `properties.empty` is a property while `empty.x` reads `x` of the `empty`
literal, `{% if a == %}` compares `undefined` with `a`. Its errors carry `line:L, col:C` counted in
UTF-16 code units. Porting the tokenizer (rather than bending another Liquid's) keeps all of that
exact; `liquid_parse` builds templates from these tokens, `liquid_render` runs them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from destination.fql.lexer import from_utf16_units
from destination.js.values import js_number, utf16_length, utf16_units
from destination.mapping.liquid.values import LITERALS, LiquidJSError

__all__ = ["Tokenizer", "HTML", "Tag", "Output", "Number", "Literal", "Quoted", "Word", "Access", "Range", "Operator",
           "FilterToken", "Filtered", "Expression", "located"]  # fmt: skip

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
class Tag(Delimited):
    """`{% name args %}`, or one line of `{% liquid %}` (`line=True`, no delimiters)."""

    line: bool = False
    name: str = ""
    tokenizer: Tokenizer = field(init=False)
    args: str = field(init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.tokenizer = Tokenizer(self.source, self.content_begin, self.content_end)
        self.name = self.tokenizer.read_tag_name()
        self.tokenizer.check(
            bool(self.name), "illegal liquid tag syntax" if self.line else "illegal tag syntax, tag name expected"
        )
        self.tokenizer.skip_blank()
        self.args = self.source[self.tokenizer.p : self.content_end]


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


class Tokenizer:
    """liquidjs's `Tokenizer` over `source[p:n]`."""

    def __init__(self, source: str, p: int = 0, n: int | None = None) -> None:
        self.source = source
        self.p = p
        self.n = len(source) if n is None else n
        self.raw_begin = -1

    # -- characters
    def peek(self, k: int = 0) -> str:
        return "" if self.p + k >= self.n else self.source[self.p + k]

    def peek_type(self, k: int = 0) -> int:
        return 0 if self.p + k >= self.n else ctype(self.source[self.p + k])

    def end(self) -> bool:
        return self.p >= self.n

    def read(self) -> str:
        ch = self.source[self.p] if self.p < len(self.source) else ""
        self.p += 1
        return ch

    def skip_blank(self) -> None:
        while self.peek_type() & BLANK:
            self.p += 1

    def match(self, word: str) -> bool:
        return self.source.startswith(word, self.p)

    def rmatch(self, word: str) -> bool:
        return self.p >= len(word) and self.source[self.p - len(word) : self.p] == word

    def read_to(self, end: str) -> int:
        while self.p < self.n:
            self.p += 1
            if self.rmatch(end):
                return self.p
        return -1

    def error(self, message: str, pos: int | None = None) -> LiquidJSError:
        where = self.p if pos is None else pos
        return LiquidJSError(located(message, self.source, where), where, positioned=True)

    def check(self, ok: Any, message: str, pos: int | None = None) -> None:
        if not ok:
            raise self.error(message, pos)

    def snap(self, begin: int | None = None) -> str:
        return snapshot(self.source[self.p if begin is None else begin : self.n])

    # -- top level
    def top_level(self) -> list[Token]:
        tokens: list[Token] = []
        while self.p < self.n:
            if self.raw_begin > -1:
                tokens.append(self._endraw_or_raw())
            elif self.match("{%"):
                tokens.append(self._delimited(Tag, "%}", "tag"))
            elif self.match("{{"):
                tokens.append(self._delimited(Output, "}}", "output"))
            else:
                begin = self.p
                while self.p < self.n and not (self.match("{%") or self.match("{{")):
                    self.p += 1
                tokens.append(HTML(self.source, begin, self.p))
        _whitespace_control(tokens)
        return tokens

    def _delimited(self, kind: type[Delimited], right: str, what: str) -> Delimited:
        begin = self.p
        if self._read_to_delimiter(right, quoted=kind is Output) == -1:
            raise self.error(f"{what} {self.snap(begin)} not closed", begin)
        token = kind(self.source, begin, self.p, begin + 2, self.p - 2)
        if isinstance(token, Tag) and token.name == "raw":
            self.raw_begin = begin
        return token

    def _read_to_delimiter(self, delimiter: str, quoted: bool = False) -> int:
        self.skip_blank()
        while self.p < self.n:
            if quoted and self.peek_type() & QUOTE:
                self.read_quoted()
                continue
            self.p += 1
            if self.rmatch(delimiter):
                return self.p
        return -1

    def _endraw_or_raw(self) -> Token:
        begin = self.p
        left = self.read_to("{%") - 2
        while self.p < self.n:
            if self.read_identifier().text != "endraw":
                left = self.read_to("{%") - 2
                continue
            while self.p <= self.n:
                if self.rmatch("%}"):
                    end = self.p
                    if begin == left:
                        self.raw_begin = -1
                        return Tag(self.source, begin, end, begin + 2, end - 2)
                    self.p = left
                    return HTML(self.source, begin, left)
                if self.rmatch("{%"):
                    break
                self.p += 1
        raise self.error(f"raw {self.snap(self.raw_begin)} not closed", begin)

    def liquid_lines(self) -> list[Tag]:
        tokens = []
        while self.p < self.n:
            self.skip_blank()
            if self.end():
                break
            begin = self.p
            self._read_to_delimiter("\n")
            tokens.append(Tag(self.source, begin, self.p, begin, self.p, line=True))
        return tokens

    # -- names and values
    def read_identifier(self) -> Word:
        self.skip_blank()
        begin = self.p
        while not self.end() and is_word(self.peek()):
            self.p += 1
        return Word(self.source, begin, self.p)

    def read_tag_name(self) -> str:
        self.skip_blank()
        if self.p < len(self.source) and self.source[self.p] == "#":
            self.p += 1
            return "#"
        return self.read_identifier().text

    def _match_words(self, words: tuple[str, ...]) -> int:
        """liquidjs's `matchTrie`: the longest word at p (a word ending in a letter needs a boundary)."""
        best = -1
        for word in words:
            end = self.p + len(word)
            if end <= self.n and self.source.startswith(word, self.p) and end > best:
                best = end
        if best == -1:
            return -1
        if is_word(self.source[best - 1]) and is_word(self.peek(best - self.p)):
            return -1
        return best

    def read_operator(self) -> Operator | None:
        self.skip_blank()
        end = self._match_words(OPERATORS)
        if end == -1:
            return None
        token = Operator(self.source, self.p, end)
        self.p = end
        return token

    def read_expression(self) -> Expression:
        tokens: list[Any] = []
        while self.p < self.n:
            operator = self.read_operator()
            if operator is not None:
                tokens.append(operator)
                continue
            operand = self.read_value()
            if operand is None:
                break
            tokens.append(operand)
        return Expression.of(tokens)

    def read_filtered_value(self) -> Filtered:
        begin = self.p
        initial = self.read_expression()
        self.check(initial.postfix, f"invalid value expression: {self.snap()}")
        filters = []
        while (token := self._read_filter()) is not None:
            filters.append(token)
        return Filtered(self.source, begin, self.p, initial, filters)

    def _read_filter(self) -> FilterToken | None:
        self.skip_blank()
        if self.end() or self.peek() in (")", ","):
            return None
        self.check(self.read() == "|", 'expected "|" before filter')
        name = self.read_identifier()
        if not name.text:
            self.check(self.end(), "expected filter name")
            return None
        args: list[Any] = []
        self.skip_blank()
        if self.peek() == ":":
            while True:
                self.p += 1
                arg = self._read_filter_arg()
                if arg is not None:
                    args.append(arg)
                self.skip_blank()
                if not (self.end() or self.peek() in (",", "|", ")")):
                    raise self.error(f"unexpected character {self.snap()}")
                if self.peek() != ",":
                    break
        elif not (self.end() or self.peek() in ("|", ")", ",")):
            raise self.error('expected ":" after filter name')
        return FilterToken(self.source, name.begin, self.p, name.text, args)

    def _read_filter_arg(self) -> Any:
        key = self.read_value()
        if key is None:
            return None
        self.skip_blank()
        if self.peek() != ":":
            return key
        self.p += 1
        return (key.text, self.read_value())

    def read_value(self) -> Any:
        self.skip_blank()
        begin = self.p
        variable: Any = self._read_literal() or self.read_quoted() or self._read_number()
        if variable is None and self.peek() == "(":
            variable = self._read_range()
        props = self._read_properties(variable is None)
        if not props:
            return variable
        return Access(self.source, begin, self.p, variable, props)

    def _read_properties(self, is_begin: bool) -> list[Any]:
        props: list[Any] = []
        while True:
            if self.peek() == "[":
                self.p += 1
                prop = self.read_value() or Word(self.source, self.p, self.p)
                self.check(self.read_to("]") != -1, "[ not closed")
                props.append(prop)
                continue
            if is_begin and not props:
                name = self.read_identifier()
                if name.text:
                    props.append(name)
                    continue
            if self.peek() == "." and self.peek(1) != ".":
                self.p += 1
                name = self.read_identifier()
                if not name.text:
                    break
                props.append(name)
                continue
            break
        return props

    def _read_number(self) -> Number | None:
        self.skip_blank()
        decimal = digit = False
        k = 1 if self.peek_type() & SIGN else 0
        while self.p + k <= self.n:
            if self.peek_type(k) & NUMBER:
                digit = True
                k += 1
            elif self.peek(k) == "." and self.peek(k + 1) != ".":
                if decimal or not digit:
                    return None
                decimal = True
                k += 1
            else:
                break
        if digit and not is_word(self.peek(k)):
            text = self.source[self.p : self.p + k]
            token = Number(self.source, self.p, self.p + k, js_number(float(text)))
            self.p += k
            return token
        return None

    def _read_literal(self) -> Literal | None:
        self.skip_blank()
        end = self._match_words(tuple(LITERALS))
        if end == -1:
            return None
        token = Literal(self.source, self.p, end, LITERALS[self.source[self.p : end]])
        self.p = end
        return token

    def _read_range(self) -> Range:
        self.skip_blank()
        begin = self.p
        self.p += 1
        low = self._value_or_throw()
        self.skip_blank()
        if self.peek() == "." and self.peek(1) == ".":
            self.p += 2
            high = self._value_or_throw()
            self.skip_blank()
            self.check(self.read() == ")", "invalid range syntax")
            return Range(self.source, begin, self.p, low, high)
        raise self.error("invalid range syntax")

    def _value_or_throw(self) -> Any:
        value = self.read_value()
        if value is None:
            raise self.error(f"unexpected token {self.snap()}, value expected")
        return value

    def read_quoted(self) -> Quoted | None:
        self.skip_blank()
        begin = self.p
        if not self.peek_type() & QUOTE:
            return None
        self.p += 1
        escaped = False
        while self.p < self.n:
            self.p += 1
            ch = self.source[self.p - 1]
            if ch == self.source[begin] and not escaped:
                break
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
        return Quoted(self.source, begin, self.p, parse_string_literal(self.source[begin : self.p]))


def _whitespace_control(tokens: list[Token]) -> None:
    """liquidjs's `whiteSpaceCtrl` (greedy): `-` trims all blanks (newlines included) beside a markup."""
    in_raw = False
    for i, token in enumerate(tokens):
        if not isinstance(token, Delimited):
            continue
        if not in_raw and token.trim_left and i > 0:
            _trim_end(tokens[i - 1])
        if isinstance(token, Tag):
            in_raw = token.name == "raw" or (in_raw and token.name != "endraw")
        if not in_raw and token.trim_right and i + 1 < len(tokens):
            _trim_start(tokens[i + 1])


def _trim_end(token: Token) -> None:
    if isinstance(token, HTML):
        while (
            token.end - 1 - token.trim_right >= token.begin
            and ctype(token.source[token.end - 1 - token.trim_right]) & BLANK
        ):
            token.trim_right += 1


def _trim_start(token: Token) -> None:
    if isinstance(token, HTML):
        while token.begin + token.trim_left < token.end and ctype(token.source[token.begin + token.trim_left]) & BLANK:
            token.trim_left += 1
