"""Segment's timestamps, written as JavaScript's `Date.prototype.toISOString` writes them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from destination.js.time import iso_string, now_iso

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def test_examples_as_javascript_writes_them():
    # new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)).toISOString()
    assert iso_string(datetime(2024, 1, 2, 3, 4, 5, 678_999, tzinfo=UTC)) == "2024-01-02T03:04:05.678Z"
    # new Date("2024-01-02T01:00:00+02:00").toISOString()
    assert iso_string(datetime(2024, 1, 2, 1, tzinfo=timezone(timedelta(hours=2)))) == "2024-01-01T23:00:00.000Z"
    assert iso_string(datetime(999, 12, 31, tzinfo=UTC)) == "0999-12-31T00:00:00.000Z"


@given(st.datetimes(min_value=datetime(2, 1, 1), timezones=st.timezones()))
def test_any_aware_time_is_utc_with_milliseconds(moment):
    text = iso_string(moment)
    assert ISO.match(text), text
    back = datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert timedelta(0) <= moment - back < timedelta(milliseconds=1)


def test_now_is_now():
    before = datetime.now(UTC).replace(microsecond=0)
    text = now_iso()
    assert ISO.match(text) and before <= datetime.fromisoformat(text.replace("Z", "+00:00"))
