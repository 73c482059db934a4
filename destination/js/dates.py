"""`Date.parse(text)` as V8 (Node 20, the engine Segment renders `@liquid` in) reads a string, in UTC.

liquidjs hands any value it does not recognise as a timestamp to `new Date(value)`, and a value a
template produces is rarely ISO 8601: `2.5`, `"12"` (a `jsonify` result), `1,2,3` (a range as a
string). V8 first tries the ES5 date-time string format and, where that fails part way, continues
with its *legacy* parser, which accepts almost any run of numbers, month names and time zones
(`2.5` is 5 February 2001). So that the filters agree with Segment, this module follows the
behaviour of V8's `DateParser` (src/date/dateparser*.{h,cc}) step by step; it was written from
that behaviour and checked against Node (tests/destination/test_js_dates.py), not translated.

Segment renders in UTC (the harness and the recorded cases set TZ=UTC), so a date without an
offset is read as UTC: local time and UTC are the same there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

from destination.js.values import JS_WHITESPACE

__all__ = ["date_parse"]

# Token kinds. V8 reads a word as a "keyword" even when the keyword table does not know it.
_NUMBER, _SYMBOL, _WORD, _SPACE, _UNKNOWN, _END = "number", "symbol", "word", "space", "unknown", "end"
# Keyword types (what a word means by its first three letters).
_INVALID, _MONTH, _ZONE, _T, _AM_PM = range(5)

_MAX_DIGITS: Final = 9  # a numeral's value is its first nine digits after leading zeros; the rest are ignored
MAX_TIME: Final = 8.64e15  # the ECMAScript time value limit, in ms either side of the epoch
_SMI_MAX: Final = 2**30 - 1  # V8's small-integer limit, which bounds a zone offset in seconds
DAY_MS: Final = 86_400_000
# JavaScript's white space (the line separators U+2028 and U+2029 are not, here); every other
# character from 'A' up (letters, '[', '_', '{', any other non-ASCII character) is part of a word.
_SPACES: Final = frozenset(JS_WHITESPACE) - {"\u2028", "\u2029"}
_SYMBOLS: Final = frozenset(":-+.)")


def _keywords() -> dict[str, tuple[int, int]]:
    months = "jan feb mar apr may jun jul aug sep oct nov dec".split()
    table = {name: (_MONTH, number) for number, name in enumerate(months, 1)}
    table.update({"am\0": (_AM_PM, 0), "pm\0": (_AM_PM, 12), "t\0\0": (_T, 0)})
    zones = {"ut\0": 0, "utc": 0, "z\0\0": 0, "gmt": 0, "cdt": -5, "cst": -6, "edt": -4, "est": -5}
    zones.update({"mdt": -6, "mst": -7, "pdt": -7, "pst": -8})
    table.update({name: (_ZONE, hours) for name, hours in zones.items()})
    return table


# A word's first three letters (lower-cased, padded with NULs) -> (keyword type, value).
_KEYWORDS: Final = _keywords()


@dataclass(frozen=True)
class _Token:
    kind: str
    value: int = -1  # a number's value, a keyword's value
    length: int = 0  # characters the token spans (a number's digit count, a word's length)
    symbol: str = ""
    keyword: int = _INVALID

    def is_number(self, length: int = 0) -> bool:
        return self.kind == _NUMBER and (not length or self.length == length)

    def is_symbol(self, char: str) -> bool:
        return self.kind == _SYMBOL and self.symbol == char

    def is_sign(self) -> bool:
        return self.kind == _SYMBOL and self.symbol in "+-"

    @property
    def sign(self) -> int:
        return 1 if self.symbol == "+" else -1

    def is_z(self) -> bool:
        return self.kind == _WORD and self.keyword == _ZONE and self.length == 1 and self.value == 0


_END_TOKEN: Final = _Token(_END)


def _word(text: str) -> _Token:
    """A word by its first three letters; only a month name may be longer than its keyword."""
    # V8 lower-cases by setting bit 0x20, which only turns ASCII capitals into letters.
    prefix = "".join(chr(ord(ch) | 0x20) for ch in text[:3]).ljust(3, "\0")
    kind, value = _KEYWORDS.get(prefix, (_INVALID, 0))
    if len(text) > 3 and kind != _MONTH:
        kind, value = _INVALID, 0
    return _Token(_WORD, value, len(text), keyword=kind)


def _tokens(text: str) -> list[_Token]:
    """The whole string as V8's scanner splits it (scanning never depends on what the parser saw)."""
    text = text.split("\0", 1)[0]  # V8's reader takes a NUL character for the end of the input
    found: list[_Token] = []
    i, end = 0, len(text)
    while i < end:
        ch, start = text[i], i
        if "0" <= ch <= "9":
            while i < end and "0" <= text[i] <= "9":
                i += 1
            significant = text[start:i].lstrip("0")[:_MAX_DIGITS]
            found.append(_Token(_NUMBER, int(significant or "0"), i - start))
        elif ch in _SYMBOLS:
            found.append(_Token(_SYMBOL, length=1, symbol=ch))
            i += 1
        elif ch in _SPACES:
            found.append(_Token(_SPACE, length=1))
            i += 1
        elif ch >= "A":
            while i < end and text[i] >= "A" and text[i] not in _SPACES:
                i += 1
            found.append(_word(text[start:i]))
        elif ch == "(":  # a parenthesised comment, nested ones included, is skipped whole
            depth = 0
            while True:
                depth += {"(": 1, ")": -1}.get(text[i], 0)
                i += 1
                if depth <= 0 or i >= end:
                    break
            found.append(_Token(_UNKNOWN, length=1))
        else:
            found.append(_Token(_UNKNOWN, length=1))
            i += 1
    found.append(_END_TOKEN)
    return found


class _Scanner:
    """The token stream with one token of look-ahead, as the parser consumes it."""

    def __init__(self, text: str) -> None:
        self._tokens = _tokens(text)
        self._at = 0

    def peek(self) -> _Token:
        return self._tokens[self._at]

    def next(self) -> _Token:
        token = self._tokens[self._at]
        self._at = min(self._at + 1, len(self._tokens) - 1)
        return token

    def skip_symbol(self, char: str) -> bool:
        found = self.peek().is_symbol(char)
        self._at += found and self._at < len(self._tokens) - 1
        return found


def _between(x: int | None, low: int, high: int) -> bool:
    return x is not None and low <= x <= high


def _push(parts: list[int], n: int, size: int) -> bool:
    """Append `n` unless the `size` slots are full (then the text is no date)."""
    full = len(parts) >= size
    parts += [] if full else [n]
    return not full


def _milliseconds(token: _Token) -> int:
    """A fraction's first three digits (`.5` is 500 ms, `.123456` is 123 ms)."""
    digits = min(token.length, _MAX_DIGITS)
    return token.value * 10 ** (3 - digits) if digits <= 3 else token.value // 10 ** (digits - 3)


@dataclass
class _Day:
    """Up to three numbers and perhaps a month name, ordered into a date only at the end."""

    parts: list[int] = field(default_factory=list)
    named_month: int | None = None
    iso: bool = False

    def add(self, n: int) -> bool:
        return _push(self.parts, n, 3)

    def write(self) -> tuple[int, int, int] | None:
        """(year, month 1-12, day), or None; the missing parts count as 1, so a lone `5` is 5/1/2001."""
        if not self.parts:
            return None
        first, second, third = (self.parts + [1, 1])[:3]
        if self.named_month is None:
            if self.iso or not _between(first, 1, 31):
                year, month, day = first, second, third
            else:
                month, day, year = first, second, third
        else:
            month = self.named_month
            day, year = (second, first) if not _between(first, 1, 31) else (first, second)
        if not self.iso:
            year += 2000 if 0 <= year <= 49 else 1900 if 50 <= year <= 99 else 0
        if not _between(month, 1, 12) or not _between(day, 1, 31):
            return None
        return year, month, day


@dataclass
class _Time:
    """Hour, minute, second and millisecond as they come, and the AM/PM shift."""

    parts: list[int] = field(default_factory=list)
    hour_offset: int | None = None

    def add(self, n: int) -> bool:
        return _push(self.parts, n, 4)

    def add_final(self, n: int) -> bool:
        if not self.add(n):
            return False
        self.parts += [0] * (4 - len(self.parts))
        return True

    def expecting(self, n: int) -> bool:
        """Whether `n` fits as the minute, second or millisecond the time is waiting for."""
        limits = {1: 59, 2: 59, 3: 999}
        return len(self.parts) in limits and 0 <= n <= limits[len(self.parts)]

    def write(self) -> int | None:
        """The time of day in ms; 24:00 is allowed (the next midnight), any other overflow is not."""
        hour, minute, second, ms = (self.parts + [0, 0, 0, 0])[:4]
        if self.hour_offset is not None:
            if not 0 <= hour <= 12:
                return None
            hour = hour % 12 + self.hour_offset
        valid = hour <= 23 and minute <= 59 and second <= 59 and ms <= 999
        if not valid and (hour, minute, second, ms) != (24, 0, 0, 0):
            return None
        return ((hour * 60 + minute) * 60 + second) * 1000 + ms


@dataclass
class _Zone:
    """A UTC offset: a sign, hours and minutes, each perhaps missing."""

    sign: int | None = None
    hour: int | None = None
    minute: int | None = None

    def set(self, hours: int) -> None:
        self.sign = -1 if hours < 0 else 1
        self.hour, self.minute = abs(hours), 0

    def expecting(self, n: int) -> bool:
        return self.hour is not None and self.minute is None and 0 <= n <= 59

    def is_utc(self) -> bool:
        return self.hour == 0 and self.minute == 0

    def write(self) -> tuple[bool, int | None]:
        """(valid, offset east in seconds or None when no zone was given)."""
        if self.sign is None:
            return True, None
        # V8 adds in unsigned 32-bit arithmetic, so a huge hour wraps before the range check.
        seconds = ((self.hour or 0) * 3600 + (self.minute or 0) * 60) % 2**32
        return (True, seconds * self.sign) if seconds <= _SMI_MAX else (False, None)


_INVALID_TOKEN: Final = _Token("invalid")


def _es5(scanner: _Scanner, day: _Day, time: _Time, zone: _Zone) -> _Token:
    """As much of `[+-yy]yyyy[-MM[-DD]][THH:mm[:ss[.sss]][Z|+hh:mm]]` as the text holds.

    Returns the end token when the whole text was ES5, the invalid token when it went wrong past a
    `T` (no legacy date can continue from there), else the token the legacy parser goes on with.
    """
    if scanner.peek().is_sign():
        sign = scanner.next()
        if not scanner.peek().is_number(6):
            return sign
        year = scanner.next().value
        if sign.sign < 0 and year == 0:
            return sign  # -000000 is not a year; the legacy parser goes on after the digits
        day.add(sign.sign * year)
    elif scanner.peek().is_number(4):
        day.add(scanner.next().value)
    else:
        return scanner.next()
    if scanner.skip_symbol("-"):
        peek = scanner.peek()
        if not peek.is_number(2) or not 1 <= peek.value <= 12:
            return scanner.next()
        day.add(scanner.next().value)
        if scanner.skip_symbol("-"):
            peek = scanner.peek()
            if not peek.is_number(2) or not 1 <= peek.value <= 31:
                return scanner.next()
            day.add(scanner.next().value)
    peek = scanner.peek()
    if peek.kind == _WORD and peek.keyword == _T:
        scanner.next()
        if not _es5_time(scanner, time, zone) or scanner.peek().kind != _END:
            return _INVALID_TOKEN
    elif peek.kind != _END:
        return scanner.next()
    if zone.hour is None and not time.parts:
        zone.set(0)
    day.iso = True
    return _END_TOKEN


def _two_digits(scanner: _Scanner, high: int) -> bool:
    return scanner.peek().is_number(2) and 0 <= scanner.peek().value <= high


def _es5_time(scanner: _Scanner, time: _Time, zone: _Zone) -> bool:
    """`HH:mm[:ss[.sss]]` and an optional `Z`, `+hh:mm` or `+hhmm`; False where the text breaks it."""
    if not _two_digits(scanner, 24):
        return False
    midnight = scanner.peek().value == 24  # 24:00 is allowed, 24:01 is not
    time.add(scanner.next().value)
    if not scanner.skip_symbol(":") or not _two_digits(scanner, 0 if midnight else 59):
        return False
    time.add(scanner.next().value)
    if scanner.skip_symbol(":"):
        if not _two_digits(scanner, 0 if midnight else 59):
            return False
        time.add(scanner.next().value)
        if scanner.skip_symbol("."):
            if not scanner.peek().is_number() or (midnight and scanner.peek().value > 0):
                return False
            time.add(_milliseconds(scanner.next()))
    if scanner.peek().is_z():
        scanner.next()
        zone.set(0)
    elif scanner.peek().is_sign():
        zone.sign = scanner.next().sign
        if scanner.peek().is_number(4):
            zone.hour, zone.minute = divmod(scanner.next().value, 100)
            return zone.hour <= 23 and zone.minute <= 59
        if not _two_digits(scanner, 23):
            return False
        zone.hour = scanner.next().value
        if not scanner.skip_symbol(":") or not _two_digits(scanner, 59):
            return False
        zone.minute = scanner.next().value
    return True


def _legacy_number(n: int, scanner: _Scanner, day: _Day, time: _Time, zone: _Zone) -> bool:
    """A number in a legacy date: part of a time (before `:` or `.`), of a zone, or of the day."""
    if scanner.skip_symbol(":"):
        if scanner.skip_symbol(":"):  # `n::` is n hours and zero minutes
            if time.parts:
                return False
            time.add(n)
            time.add(0)
        else:
            if not time.add(n):
                return False
            scanner.skip_symbol(".")
    elif scanner.skip_symbol(".") and time.expecting(n):  # the '.' is gone even when not a time
        time.add(n)
        if not scanner.peek().is_number():
            return False
        time.add_final(_milliseconds(scanner.next()))
    elif zone.expecting(n):
        zone.minute = n
    elif time.expecting(n):
        time.add_final(n)
        peek = scanner.peek()
        if not (peek.kind in (_END, _SPACE) or peek.is_z() or peek.is_sign()):
            return False
    else:
        if not day.add(n):
            return False
        scanner.skip_symbol("-")
    return True


def _legacy_offset(sign: int, scanner: _Scanner, zone: _Zone) -> bool:
    """`+hhmm`, `+hh:mm`, `GMT+h`: the offset after a sign that follows a time or `UTC`."""
    zone.sign = sign
    n, length = 0, 0
    if scanner.peek().is_number():
        token = scanner.next()
        n, length = token.value, token.length
    if scanner.peek().is_symbol(":"):
        zone.hour, zone.minute = n, None
    elif length in (1, 2):
        zone.hour, zone.minute = n, 0
    elif length in (3, 4):
        zone.hour, zone.minute = divmod(n, 100)
    else:
        return False
    return True


def _parse(text: str) -> tuple[tuple[int, int, int], int, int | None] | None:
    """((year, month, day), time of day in ms, offset east in seconds or None), or None."""
    scanner, day, time, zone = _Scanner(text), _Day(), _Time(), _Zone()
    token = _es5(scanner, day, time, zone)
    if token.kind == "invalid":
        return None
    read_number = bool(day.parts)
    while token.kind != _END:
        if token.kind == _NUMBER:
            read_number = True
            if not _legacy_number(token.value, scanner, day, time, zone):
                return None
        elif token.kind == _WORD:
            if token.keyword == _AM_PM and time.parts:
                time.hour_offset = token.value
            elif token.keyword == _MONTH:
                day.named_month = token.value
                scanner.skip_symbol("-")
            elif token.keyword == _ZONE and read_number:
                zone.set(token.value)
            elif read_number or scanner.peek().is_number():
                return None  # words are allowed only before the first number, and apart from it
        elif token.is_sign() and (zone.is_utc() or time.parts):
            read_number = True
            if not _legacy_offset(token.sign, scanner, zone):
                return None
        elif (token.is_sign() or token.is_symbol(")")) and read_number:
            return None
        token = scanner.next()
    ymd, ms = day.write(), time.write()
    valid, offset = zone.write()
    if ymd is None or ms is None or not valid:
        return None
    return ymd, ms, offset


def _days_from_civil(year: int, month: int) -> int:
    """Days from 1970-01-01 to the first of `month` in `year` (proleptic Gregorian, any year)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5
    return era * 146_097 + year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year - 719_468


def date_parse(text: str) -> float:
    """`Date.parse(text)` in UTC: milliseconds since the epoch, NaN where JavaScript says Invalid Date."""
    parsed = _parse(text)
    if parsed is None:
        return math.nan
    (year, month, day), ms, offset = parsed
    moment = (_days_from_civil(year, month) + day - 1) * DAY_MS + ms
    if offset is None:
        if abs(moment) > MAX_TIME + 10 * DAY_MS:  # V8 refuses local times past the range's margin
            return math.nan
    else:
        moment -= offset * 1000
    return float(moment) if abs(moment) <= MAX_TIME else math.nan
