"""liquidjs 10.30's tokenizer, ported: the same reading of every character, the same errors at the same places.

Segment renders `@liquid` with liquidjs, whose tokenizer is lenient in its own ways: `{{ a | }}` and
`{{ a b }}` render `a`, `properties.empty` is a property while `empty.x` reads `x` of the `empty`
literal, `{% if a == %}` compares `undefined` with `a`. Its errors carry `line:L, col:C` counted in
UTF-16 code units. Porting the tokenizer (rather than bending another Liquid's) keeps all of that
exact; `liquid_parse` builds templates from these tokens, `liquid_render` runs them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from destination.js.values import js_number
from destination.mapping.liquid.tokens import (
    BLANK,
    HTML,
    NUMBER,
    OPERATORS,
    QUOTE,
    SIGN,
    Access,
    Delimited,
    Expression,
    Filtered,
    FilterToken,
    Literal,
    Number,
    Operator,
    Output,
    Quoted,
    Range,
    Token,
    Word,
    ctype,
    is_word,
    located,
    parse_string_literal,
    snapshot,
)
from destination.mapping.liquid.values import LITERALS, LiquidJSError

__all__ = ["Tokenizer", "HTML", "Tag", "Output", "Number", "Literal", "Quoted", "Word", "Access", "Range", "Operator",
           "FilterToken", "Filtered", "Expression", "located"]  # fmt: skip


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
