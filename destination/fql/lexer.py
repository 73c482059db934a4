"""The FQL lexer Segment's subscription parser uses (`@segment/fql-ts` 1.10.1), reproduced.

Which queries Segment accepts is decided as much here as in the parser: fql-ts only
treats a keyword, `!=` or a closing quote as such when a terminator follows, loses the
characters it looked ahead over when the input ends mid-keyword (`an` lexes as `a`),
leaves a closing quote unconsumed when a non-terminator follows it (so it opens the
next string), and reports every problem as an error. Those rules are character-level
and stateful, so this module is a scanner over UTF-16 code units (JavaScript's string
units, which decide e.g. what an escaped emoji does) rather than a set of regular
terminals. Token values are exactly fql-ts's: strings keep their quotes, numbers their
spelling.
"""

from __future__ import annotations

from dataclasses import dataclass
from string import ascii_letters

from destination.js.values import utf16_units

_END = "-1"  # what fql-ts's reader yields at the end of input, compared like a character
_MAX_LENGTH = 100_000  # fql-ts's limit on a string, number or identifier
_LETTERS = frozenset(ascii_letters)
_DIGITS = frozenset("0123456789")
_WHITESPACE = frozenset(" \t\n")
_TERMINATORS = frozenset(" \t\n,])") | {_END}
_IDENT_CHARS = _LETTERS | _DIGITS | {"_", "-", "\\"}
_AFTER_IDENT = _TERMINATORS | {".", "(", "=", "!"}
_PUNCTUATION = {".": "dot", "[": "brackleft", "]": "brackright", ",": "comma", "(": "parenleft", ")": "parenright"}


@dataclass(frozen=True, slots=True)
class Token:
    """One fql-ts token; `start`/`end` are code-point offsets into the query."""

    type: str
    value: str
    start: int
    end: int


class LexError(Exception):
    """fql-ts rejected the text; `offset` is the code-point offset of the culprit."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def from_utf16_units(units: str) -> str:
    """Join surrogate pairs back into code points; lone surrogates stay as they are."""
    if not any("\ud800" <= u <= "\udfff" for u in units):
        return units
    return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def lex(query: str) -> list[Token]:
    """Tokens of `query`, ending with an `eos` token, or LexError where fql-ts fails."""
    return _Lexer(query).run()


class _Lexer:
    def __init__(self, query: str) -> None:
        self.units = utf16_units(query)
        self.pos = 0
        self.to_offset = _offset_map(query, len(self.units))

    # Reader primitives, with fql-ts's semantics (including how `accept` backs up).
    def next(self) -> str:
        if self.pos == len(self.units):
            return _END
        self.pos += 1
        return self.units[self.pos - 1]

    def peek(self) -> str:
        char = self.next()
        if char is not _END:
            self.pos -= 1
        return char

    def accept(self, expected: str) -> bool:
        """Consume `expected` if a terminator follows it; at end of input keep what was read."""
        read = ""
        for _ in expected:
            char = self.next()
            if char is _END:
                return False
            read += char
            if char in _TERMINATORS:
                break
        if read == expected and self.peek() in _TERMINATORS:
            return True
        self.pos = max(0, self.pos - len(read))
        return False

    def fail(self, message: str, unit: int) -> LexError:
        return LexError(message, self.to_offset[min(unit, len(self.units))])

    def token(self, kind: str, value: str, start: int) -> Token:
        return Token(kind, from_utf16_units(value), self.to_offset[start], self.to_offset[self.pos])

    def run(self) -> list[Token]:
        tokens: list[Token] = []
        while True:
            start = self.pos
            char = self.next()
            if char is _END:
                tokens.append(self.token("eos", "eos", start))
                return tokens
            if char in _WHITESPACE:
                continue
            if char == "!":
                following = self.peek()
                if following in _LETTERS or following == "(":
                    tokens.append(self.token("operator", "!", start))
                    continue
            if char in _LETTERS or char in "!=><\\_":
                tokens.append(self.operator_or_word(char, start))
            elif char in _DIGITS or char in "-+":
                tokens.append(self.number(char, start))
            elif char in "\"'":
                tokens.append(self.string(char, start))
            elif char in _PUNCTUATION:
                tokens.append(self.token(_PUNCTUATION[char], char, start))
            else:
                raise self.fail(f'invalid character "{from_utf16_units(char)}"', start)

    def operator_or_word(self, first: str, start: int) -> Token:
        if first == "=":
            return self.token("operator", "=", start)
        if first == "!":
            if self.accept("="):
                return self.token("operator", "!=", start)
            raise self.fail("expected '=' after '!'", start)
        if first in "<>":
            return self.token("operator", first + "=" if self.accept("=") else first, start)
        for keyword, kind in (("and", "conditional"), ("or", "conditional"), ("null", "null")):
            if first == keyword[0]:
                if self.accept(keyword[1:]):
                    return self.token(kind, keyword, start)
                break
        return self.identifier(first, start)

    def identifier(self, first: str, start: int) -> Token:
        chars: list[str] = []
        char = first
        while True:
            if char == "\\":
                if self.peek() is _END:
                    raise self.fail("expected a character after the escape '\\'", self.pos)
                char = self.next()
            chars.append(char)
            if len(chars) >= _MAX_LENGTH:
                raise self.fail("identifier too long", start)
            if self.peek() not in _IDENT_CHARS:
                break
            char = self.next()
        if self.peek() not in _AFTER_IDENT:
            raise self.fail("expected a space, operator or ')' after the name", self.pos)
        return self.token("ident", "".join(chars), start)

    def number(self, first: str, start: int) -> Token:
        digits = ""
        decimal = False
        coming = self.peek()
        while coming in _DIGITS or coming == ".":
            digits += self.next()
            if coming == ".":
                if self.peek() in _TERMINATORS:
                    raise self.fail("expected a digit after the decimal point", self.pos - 1)
                if decimal:
                    raise self.fail("more than one decimal point in a number", self.pos - 1)
                decimal = True
            if len(digits) >= _MAX_LENGTH:
                raise self.fail("number too long", start)
            coming = self.peek()
        return self.token("number", first + digits, start)

    def string(self, quote: str, start: int) -> Token:
        chars: list[str] = []
        while self.peek() != quote:
            char = self.next()
            if char is _END:
                raise self.fail("unterminated string", start)
            chars.append(char)
            if len(chars) >= _MAX_LENGTH:
                raise self.fail("string too long", start)
        self.accept(quote)
        return self.token("string", quote + "".join(chars) + quote, start)


def _offset_map(query: str, unit_count: int) -> list[int] | range:
    """Code-point offset for every UTF-16 unit offset (identity when all is BMP)."""
    if unit_count == len(query):
        return range(unit_count + 1)
    offsets: list[int] = []
    for index, char in enumerate(query):
        offsets += [index, index] if ord(char) > 0xFFFF else [index]
    offsets.append(len(query))
    return offsets
