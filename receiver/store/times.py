"""The one conversion between a time and the integer microseconds since the epoch every backend stores.

Exact both ways (no float rounding) and ordered like the times, so a stored time reads back equal and
an ordering or a range in SQL is the ordering of the times; a naive time counts as UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros(moment: datetime) -> int:
    """A time as integer microseconds since the epoch."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return (aware - EPOCH) // timedelta(microseconds=1)


def from_micros(value: int) -> datetime:
    """The UTC time of integer microseconds since the epoch."""
    return EPOCH + timedelta(microseconds=value)
