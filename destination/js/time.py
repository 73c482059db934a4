"""Segment's timestamps: JavaScript's `Date.prototype.toISOString`, the one home of the format.

Segment's libraries, its Tracking API and the destination's test events all write times as
`toISOString` does (UTC, milliseconds, `Z`), so every part of the project that writes one
(the conformance harness, the receiver's ingest and its outbound messages) calls this.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

_CALENDAR_DATE = re.compile(r"(?P<day>\d{4}-\d{2}-\d{2})")
_MIDNIGHT = re.compile(r"(?P<day>\d{4}-\d{2}-\d{2})T00:00(:00(\.0+)?)?(Z|[+-]\d{2}:\d{2})?")


def iso_string(moment: datetime) -> str:
    """`moment` as `new Date(moment).toISOString()` writes it: `2024-05-01T12:00:00.123Z` (truncated, not rounded)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_iso() -> str:
    """`new Date().toISOString()`."""
    return iso_string(datetime.now(UTC))


def calendar_date(value: Any) -> str | None:
    """The `YYYY-MM-DD` day `value` names, or None: the one date form Antavo's date fields take.

    `date.fromisoformat` alone accepts more (`20240501`, week dates), so the shape is checked first.
    A date-time at midnight (`1943-02-04T00:00:00`, with or without fraction and offset) names that
    day too: Segment's Python and Java libraries serialise a birthday held as a date-time that way.
    Any other time of day is refused, since the day it falls on depends on a time zone nobody gave.
    `validate` and the receiver both ask this, so they never disagree on a birth date.
    """
    if not isinstance(value, str):
        return None
    shape = _CALENDAR_DATE.fullmatch(value) or _MIDNIGHT.fullmatch(value)
    if not shape:
        return None
    day = shape.group("day")
    try:
        date.fromisoformat(day)
    except ValueError:
        return None
    return day


def is_calendar_date(value: Any) -> bool:
    """Whether `value` names a day as `calendar_date` reads it."""
    return calendar_date(value) is not None
