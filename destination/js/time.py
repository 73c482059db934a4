"""Segment's timestamps: JavaScript's `Date.prototype.toISOString`, the one home of the format.

Segment's libraries, its Tracking API and the destination's test events all write times as
`toISOString` does (UTC, milliseconds, `Z`), so every part of the project that writes one
(the conformance harness, the receiver's ingest and its outbound messages) calls this.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

_CALENDAR_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def iso_string(moment: datetime) -> str:
    """`moment` as `new Date(moment).toISOString()` writes it: `2024-05-01T12:00:00.123Z` (truncated, not rounded)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_iso() -> str:
    """`new Date().toISOString()`."""
    return iso_string(datetime.now(UTC))


def is_calendar_date(value: Any) -> bool:
    """`YYYY-MM-DD` naming a real day: the one date form Antavo's date fields take.

    `date.fromisoformat` alone accepts more (`20240501`, week dates), so the shape is checked first;
    `validate` and the receiver both ask this, so they never disagree on a birth date.
    """
    if not isinstance(value, str) or not _CALENDAR_DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True
