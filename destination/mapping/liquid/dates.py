"""liquidjs's `date` filters: JavaScript's date parsing and liquidjs's `strftime`, in UTC.

Segment renders on servers in UTC (the recorded cases are), so a date without an offset is
read as UTC and printed in UTC unless the filter names another offset or zone. Strings are
read as V8's `new Date(text)` reads them (`destination.js.dates`: ISO 8601 and the legacy
forms, where `2.5` is 5 February 2001); where that is Invalid Date, liquidjs gives the value
back exactly as it came (a `blank` stays the drop, which `jsonify` writes as `{}`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from destination.js.dates import DAY_MS, MAX_TIME, date_parse
from destination.js.values import is_number, to_double, to_js_string
from destination.mapping.liquid.values import is_nil, js, stringify

__all__ = ["DATE_FILTERS", "parse_date", "strftime"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


_CYCLE_DAYS = 146_097  # 400 Gregorian years: the same leap years and weekdays come round again
_DAYS_TO_2000 = 10_957
_PYTHON_DAYS = range(-719_162 + 366, 2_932_896 - 366)  # days from the epoch that datetime holds, with a margin


def _wall(ms: int) -> tuple[datetime, int]:
    """`ms` as a naive datetime, and the years it was moved by to fit Python's 1–9999.

    JavaScript's dates reach 275760 years either side of 1970; a moment outside Python's range
    is moved by whole 400-year cycles, which keeps its weekday, day of the year and leap year.
    """
    days, rest = divmod(ms, DAY_MS)
    cycles = 0 if days in _PYTHON_DAYS else (days - _DAYS_TO_2000) // _CYCLE_DAYS
    moved = timedelta(days=days - cycles * _CYCLE_DAYS, milliseconds=rest)
    return _EPOCH.replace(tzinfo=None) + moved, 400 * cycles


class Shown:
    """A moment (ms since the epoch, an integer as JavaScript's are) and the offset it is shown in
    (minutes east of UTC), with the zone's name; `local` is the wall clock there, its real year
    `year` (see `_wall`)."""

    def __init__(self, ms: int, east: int, name: str) -> None:
        self.ms = ms
        self.east = east
        self.name = name
        self.local, shift = _wall(ms + east * 60_000)
        self.year = self.local.year + shift


def _from_ms(ms: float) -> int | None:
    """TimeClip: the integer time value, or None for Invalid Date."""
    if not math.isfinite(ms) or abs(ms) > MAX_TIME:
        return None
    return int(ms)


def _read_text(text: str) -> int | None:
    """`new Date(text)`: V8's date parser (ES5 first, its legacy forms after); None for Invalid Date."""
    return _from_ms(date_parse(text))


_INVALID_OFFSET = 2**53  # a NaN or infinite offset: the display date is Invalid Date


def _zone(offset: Any, ms: int) -> tuple[int, str] | None:
    """The display offset a filter argument names: minutes as `getTimezoneOffset` counts them, or a zone."""
    offset = js(offset)
    if is_nil(offset):
        return None
    if is_number(offset):
        minutes = to_double(offset)
        return (-int(minutes) if math.isfinite(minutes) else _INVALID_OFFSET), ""
    text = stringify(offset)
    match = re.fullmatch(r"([+-])(\d\d):?(\d\d)", text)
    if match:
        sign = 1 if match.group(1) == "+" else -1
        return sign * (int(match.group(2)) * 60 + int(match.group(3))), text
    moment, _ = _wall(ms)
    try:
        delta = moment.replace(tzinfo=UTC).astimezone(ZoneInfo(text)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return 0, text
    return int(delta.total_seconds() // 60) if delta else 0, text


def parse_date(value: Any, offset: Any = None) -> Shown | None:
    """liquidjs's `parseDate`: the moment a value names, shown in UTC or the given offset."""
    value = js(value)
    if is_nil(value):
        return None
    if value in ("now", "today"):
        moment: int | None = math.floor(datetime.now(UTC).timestamp() * 1000)
    elif is_number(value):
        moment = _from_ms(to_double(value) * 1000)
    elif isinstance(value, str):
        moment = _from_ms(float(value) * 1000) if value.isascii() and value.isdigit() else _read_text(value)
    elif isinstance(value, bool):
        moment = _from_ms(float(value))  # `new Date(true)`: one millisecond after the epoch
    elif isinstance(value, (list, dict)):
        moment = _read_text(to_js_string(value))  # `new Date([1, 2, 3])` reads String(value), "1,2,3"
    else:
        moment = None
    if moment is None:
        return None
    east, name = _zone(offset, moment) or (0, "")
    if east == _INVALID_OFFSET or abs(moment + east * 60_000) > MAX_TIME:
        return None  # liquidjs's shifted display date is Invalid Date, so the value is no date
    return Shown(moment, east, name)


def _offset_text(d: Shown, colon: bool) -> str:
    minutes = abs(d.east)
    sign = "+" if d.east >= 0 else "-"
    return f"{sign}{minutes // 60:02d}{':' if colon else ''}{minutes % 60:02d}"


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _day_of_year(d: Shown) -> int:
    """liquidjs's `getDayOfYear`, by its own leap-year rule, under which the year 0 is not one."""
    year = d.year
    leap = year & 3 == 0 and (year % 100 != 0 or (year % 400 == 0 and year != 0))
    return sum(_MONTH_DAYS[: d.local.month - 1]) + (leap and d.local.month > 2) + d.local.day


def _week(d: Shown, start: int) -> str:
    """Week of the year; the days before the year's first `start` weekday are week 0."""
    since_start = ((d.local.weekday() + 1) % 7 - start + 7) % 7
    return str((_day_of_year(d) - 1 - since_start + 7) // 7)


def _us_date(d: Shown) -> str:
    """`toLocaleDateString()` in en-US: month/day/year, a year before 1 counted as the years BC."""
    return f"{d.local.month}/{d.local.day}/{d.year if d.year > 0 else 1 - d.year}"


def _ordinal(day: int) -> str:
    if day in (11, 12, 13):
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _us_time(t: datetime) -> str:
    return f"{t.hour % 12 or 12}:{t.minute:02d}:{t.second:02d} {'AM' if t.hour < 12 else 'PM'}"


_CODES: dict[str, Callable[[Shown, dict[str, bool]], Any]] = {
    "a": lambda d, f: _DAYS[d.local.weekday()][:3],
    "A": lambda d, f: _DAYS[d.local.weekday()],
    "b": lambda d, f: _MONTHS[d.local.month - 1][:3],
    "h": lambda d, f: _MONTHS[d.local.month - 1][:3],
    "B": lambda d, f: _MONTHS[d.local.month - 1],
    "c": lambda d, f: f"{_us_date(d)}, {_us_time(d.local)}",
    "C": lambda d, f: d.year // 100,  # Math.floor(year / 100)
    "d": lambda d, f: d.local.day,
    "e": lambda d, f: d.local.day,
    "H": lambda d, f: d.local.hour,
    "I": lambda d, f: d.local.hour % 12 or 12,
    "j": lambda d, f: _day_of_year(d),
    "k": lambda d, f: d.local.hour,
    "l": lambda d, f: d.local.hour % 12 or 12,
    "L": lambda d, f: d.local.microsecond // 1000,
    "m": lambda d, f: d.local.month,
    "M": lambda d, f: d.local.minute,
    "p": lambda d, f: "AM" if d.local.hour < 12 else "PM",
    "P": lambda d, f: "am" if d.local.hour < 12 else "pm",
    "q": lambda d, f: _ordinal(d.local.day),
    "s": lambda d, f: math.floor(d.ms / 1000),
    "S": lambda d, f: d.local.second,
    "u": lambda d, f: d.local.weekday() + 1,
    "U": lambda d, f: _week(d, 0),
    "w": lambda d, f: (d.local.weekday() + 1) % 7,
    "W": lambda d, f: _week(d, 1),
    "x": lambda d, f: _us_date(d),
    "X": lambda d, f: _us_time(d.local),
    "y": lambda d, f: d.year % 100,
    "Y": lambda d, f: d.year,
    "z": lambda d, f: _offset_text(d, f.get(":", False)),
    "Z": lambda d, f: d.name or "UTC",
    "t": lambda d, f: "\t",
    "n": lambda d, f: "\n",
    "%": lambda d, f: "%",
}
_PAD_WIDTHS = {"C": 2, "d": 2, "e": 2, "H": 2, "I": 2, "j": 3, "k": 2, "l": 2, "L": 3, "m": 2, "M": 2, "S": 2}
_PAD_WIDTHS |= {"U": 2, "W": 2, "y": 2, "Y": 4}
_PAD_SPACE = set("aAbBceklpP")
_FORMAT = re.compile(r"%([-_0^#:]+)?(\d+)?([EO])?(.)", re.DOTALL)


def _directive(d: Shown, match: re.Match[str]) -> str:
    flags_text, width, _modifier, code = match.groups()
    convert = _CODES.get(code)
    if convert is None:
        return match.group()
    flags = {flag: True for flag in flags_text or ""}
    text = str(convert(d, flags))
    pad = " " if code in _PAD_SPACE else "0"
    pad_width = int(width) if width and int(width) else _PAD_WIDTHS.get(code, 0)
    if flags.get("^"):
        text = text.upper()
    elif flags.get("#"):
        text = text.upper() if any("a" <= ch <= "z" for ch in text) else text.lower()
    if flags.get("_"):
        pad = " "
    elif flags.get("0"):
        pad = "0"
    if flags.get("-"):
        pad_width = 0
    if pad == "0" and text.startswith("-"):  # a negative year keeps its sign in front: -0500
        return "-" + text[1:].rjust(pad_width - 1, pad)
    return text.rjust(pad_width, pad)


def strftime(d: Shown, pattern: str) -> str:
    """liquidjs's `strftime`: each `%…` directive replaced, unknown ones left as written."""
    return _FORMAT.sub(lambda m: _directive(d, m), pattern)


def _date(value: Any, pattern: Any = None, offset: Any = None, *_: Any) -> Any:
    shown = parse_date(value, offset)
    if shown is None:
        return value  # as given, not its `toValue`: liquidjs returns `v` itself
    pattern = js(pattern)
    return strftime(shown, "%A, %B %-e, %Y at %-l:%M %P %z" if is_nil(pattern) else stringify(pattern))


def _spelled(month: str) -> Callable[..., Any]:
    def run(value: Any, kind: Any = None, style: Any = None, *_: Any) -> Any:
        shown = parse_date(value)
        if shown is None:
            return value  # as given, not its `toValue`: liquidjs returns `v` itself
        if js(kind) == "ordinal":
            day = shown.local.day
            pattern = f"{month} {day}%q, %Y" if js(style) == "US" else f"{day}%q {month} %Y"
            return strftime(shown, pattern)
        return strftime(shown, f"%d {month} %Y")

    return run


DATE_FILTERS: dict[str, Callable[..., Any]] = {
    "date": _date,
    "date_to_xmlschema": lambda v, *_: _date(v, "%Y-%m-%dT%H:%M:%S%:z"),
    "date_to_rfc822": lambda v, *_: _date(v, "%a, %d %b %Y %H:%M:%S %z"),
    "date_to_string": _spelled("%b"),
    "date_to_long_string": _spelled("%B"),
}
