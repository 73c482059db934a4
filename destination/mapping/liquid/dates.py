"""liquidjs's `date` filters: JavaScript's date parsing and liquidjs's `strftime`, in UTC.

Segment renders on servers in UTC (the recorded cases are), so a date without an offset is
read as UTC and printed in UTC unless the filter names another offset or zone. Strings are
read the way JavaScript's `new Date(text)` reads the common forms (ISO 8601, `2024/05/01`,
RFC 2822); anything else is not a date, and liquidjs then gives the value back unchanged.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from destination.js.values import is_number, to_double
from destination.mapping.liquid.values import back, is_nil, js, stringify

__all__ = ["DATE_FILTERS", "parse_date", "strftime"]

_ISO = re.compile(
    r"([+-]\d{6}|\d{4})(?:-(\d\d)(?:-(\d\d))?)?"
    r"(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d\d:?\d\d)?\Z",
    re.IGNORECASE,
)
_SLASHED = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})(?:[T ](\d{1,2}):(\d\d)(?::(\d\d))?)?\Z")
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


class Shown:
    """A moment and the offset it is shown in (minutes east of UTC), with the zone's name."""

    def __init__(self, moment: datetime, east: int, name: str) -> None:
        self.moment = moment
        self.east = east
        self.name = name
        self.local = (moment + timedelta(minutes=east)).replace(tzinfo=None)


def _from_ms(ms: float) -> datetime | None:
    if not math.isfinite(ms) or abs(ms) > 8.64e15:
        return None
    return _EPOCH + timedelta(milliseconds=ms)


def _read_text(text: str) -> datetime | None:
    """`new Date(text)` for the forms people send; None where JavaScript gives Invalid Date."""
    text = text.strip()
    match = _ISO.match(text)
    if match:
        year, month, day, hour, minute, second, fraction, zone = match.groups()
        try:
            moment = datetime(
                int(year),
                int(month or 1),
                int(day or 1),
                int(hour or 0),
                int(minute or 0),
                int(second or 0),
                int((fraction or "0").ljust(6, "0")[:6]),
                tzinfo=UTC,
            )
        except ValueError:
            return None
        if zone and zone.upper() != "Z":
            sign = 1 if zone[0] == "+" else -1
            digits = zone[1:].replace(":", "")
            moment -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        return moment
    match = _SLASHED.match(text)
    if match:
        parts = [int(p) if p else 0 for p in match.groups()]
        try:
            return datetime(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5], tzinfo=UTC)
        except ValueError:
            return None
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _zone(offset: Any, moment: datetime) -> tuple[int, str] | None:
    """The display offset a filter argument names: minutes as `getTimezoneOffset` counts them, or a zone."""
    offset = js(offset)
    if is_nil(offset):
        return None
    if is_number(offset):
        return -int(to_double(offset)), ""
    text = stringify(offset)
    match = re.fullmatch(r"([+-])(\d\d):?(\d\d)", text)
    if match:
        sign = 1 if match.group(1) == "+" else -1
        return sign * (int(match.group(2)) * 60 + int(match.group(3))), text
    try:
        delta = moment.astimezone(ZoneInfo(text)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return 0, text
    return int(delta.total_seconds() // 60) if delta else 0, text


def parse_date(value: Any, offset: Any = None) -> Shown | None:
    """liquidjs's `parseDate`: the moment a value names, shown in UTC or the given offset."""
    value = js(value)
    if is_nil(value):
        return None
    if value in ("now", "today"):
        moment: datetime | None = datetime.now(UTC)
    elif is_number(value):
        moment = _from_ms(to_double(value) * 1000)
    elif isinstance(value, str):
        moment = _from_ms(float(value) * 1000) if value.isascii() and value.isdigit() else _read_text(value)
    elif isinstance(value, bool):
        moment = _from_ms(float(value))  # `new Date(true)`: one millisecond after the epoch
    elif isinstance(value, (list, dict)):
        moment = _read_text(stringify(value) if isinstance(value, list) else "[object Object]")
    else:
        moment = None
    if moment is None:
        return None
    east, name = _zone(offset, moment) or (0, "")
    return Shown(moment, east, name)


def _offset_text(d: Shown, colon: bool) -> str:
    minutes = abs(d.east)
    sign = "+" if d.east >= 0 else "-"
    return f"{sign}{minutes // 60:02d}{':' if colon else ''}{minutes % 60:02d}"


def _week(d: Shown, start: int) -> str:
    """Week of the year; the days before the year's first `start` weekday are week 0."""
    since_start = ((d.local.weekday() + 1) % 7 - start + 7) % 7
    return str((d.local.timetuple().tm_yday - 1 - since_start + 7) // 7)


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
    "c": lambda d, f: f"{d.local.month}/{d.local.day}/{d.local.year}, {_us_time(d.local)}",
    "C": lambda d, f: int(str(d.local.year)[:2]),
    "d": lambda d, f: d.local.day,
    "e": lambda d, f: d.local.day,
    "H": lambda d, f: d.local.hour,
    "I": lambda d, f: d.local.hour % 12 or 12,
    "j": lambda d, f: d.local.timetuple().tm_yday,
    "k": lambda d, f: d.local.hour,
    "l": lambda d, f: d.local.hour % 12 or 12,
    "L": lambda d, f: d.local.microsecond // 1000,
    "m": lambda d, f: d.local.month,
    "M": lambda d, f: d.local.minute,
    "p": lambda d, f: "AM" if d.local.hour < 12 else "PM",
    "P": lambda d, f: "am" if d.local.hour < 12 else "pm",
    "q": lambda d, f: _ordinal(d.local.day),
    "s": lambda d, f: math.floor((d.moment - _EPOCH).total_seconds()),
    "S": lambda d, f: d.local.second,
    "u": lambda d, f: d.local.weekday() + 1,
    "U": lambda d, f: _week(d, 0),
    "w": lambda d, f: (d.local.weekday() + 1) % 7,
    "W": lambda d, f: _week(d, 1),
    "x": lambda d, f: f"{d.local.month}/{d.local.day}/{d.local.year}",
    "X": lambda d, f: _us_time(d.local),
    "y": lambda d, f: d.local.year % 100,
    "Y": lambda d, f: d.local.year,
    "z": lambda d, f: _offset_text(d, f.get(":", False)),
    "Z": lambda d, f: d.name or "UTC",
    "t": lambda d, f: "\t",
    "n": lambda d, f: "\n",
    "%": lambda d, f: "%",
}
_PAD_WIDTHS = {"d": 2, "e": 2, "H": 2, "I": 2, "j": 3, "k": 2, "l": 2, "L": 3, "m": 2, "M": 2, "S": 2, "U": 2, "W": 2}
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
    return text.rjust(pad_width, pad)


def strftime(d: Shown, pattern: str) -> str:
    """liquidjs's `strftime`: each `%…` directive replaced, unknown ones left as written."""
    return _FORMAT.sub(lambda m: _directive(d, m), pattern)


def _date(value: Any, pattern: Any = None, offset: Any = None, *_: Any) -> Any:
    shown = parse_date(value, offset)
    if shown is None:
        return back(js(value))
    pattern = js(pattern)
    return strftime(shown, "%A, %B %-e, %Y at %-l:%M %P %z" if is_nil(pattern) else stringify(pattern))


def _spelled(month: str) -> Callable[..., Any]:
    def run(value: Any, kind: Any = None, style: Any = None, *_: Any) -> Any:
        shown = parse_date(value)
        if shown is None:
            return back(js(value))
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
