"""String formats checked during payload validation, as Segment's ajv setup (ajv-formats "full") does.

Only formats a Segment field can produce or that are cheap to check exactly are implemented;
an unknown format passes, as an ajv format registered with `true` does. `date-like` follows
Segment's rule (numbers as unix time, otherwise a parseable date); JavaScript's lenient
`Date` parser is approximated by the common ISO and RFC 2822 forms.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from email.utils import parsedate_to_datetime

_DATE = re.compile(r"^(\d\d\d\d)-(\d\d)-(\d\d)\Z", re.ASCII)
_TIME = re.compile(r"^(\d\d):(\d\d):(\d\d(?:\.\d+)?)(z|([+-])(\d\d)(?::?(\d\d))?)?\Z", re.ASCII | re.IGNORECASE)
_DATE_TIME_SEPARATOR = re.compile(r"t|\s", re.IGNORECASE)
_EMAIL = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z",
    re.ASCII | re.IGNORECASE,
)
_HOSTNAME = re.compile(
    r"^(?=.{1,253}\.?\Z)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[-0-9a-z]{0,61}[0-9a-z])?)*\.?\Z",
    re.ASCII | re.IGNORECASE,
)
_IPV4 = re.compile(r"^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\Z", re.ASCII)
_UUID = re.compile(r"^(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}\Z", re.ASCII | re.IGNORECASE)
# dayjs reads these itself before falling back to `new Date(...)`.
_DAYJS = re.compile(
    r"^(\d{4})[-/]?(\d{1,2})?[-/]?(\d{0,2})[Tt\s]*(\d{1,2})?:?(\d{1,2})?:?(\d{1,2})?[.:]?(\d+)?\Z", re.ASCII
)
_DAYS = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def is_date(text: str) -> bool:
    m = _DATE.match(text)
    if not m:
        return False
    year, month, day = (int(g) for g in m.groups())
    return 1 <= month <= 12 and 1 <= day <= (29 if month == 2 and _leap(year) else _DAYS[month])


def is_time(text: str, *, with_time_zone: bool = False) -> bool:
    m = _TIME.match(text)
    if not m or (with_time_zone and not m.group(4)):
        return False
    hour, minute, second = int(m.group(1)), int(m.group(2)), float(m.group(3))
    tz_hour, tz_minute = int(m.group(6) or 0), int(m.group(7) or 0)
    if tz_hour > 23 or tz_minute > 59:
        return False
    if hour <= 23 and minute <= 59 and second < 60:
        return True
    # A leap second is valid only at 23:59:60 UTC.
    sign = -1 if m.group(5) == "-" else 1
    utc_minute = minute - sign * tz_minute
    utc_hour = hour - sign * tz_hour - (1 if utc_minute < 0 else 0)
    return (utc_hour in (23, -1)) and (utc_minute in (59, -1)) and second < 61


def is_date_time(text: str) -> bool:
    parts = _DATE_TIME_SEPARATOR.split(text)
    return len(parts) == 2 and is_date(parts[0]) and is_time(parts[1], with_time_zone=True)


def is_date_like(text: str) -> bool:
    """Segment's `date-like`: unix seconds/milliseconds, or anything dayjs can parse."""
    stripped = text.strip()
    if stripped and re.fullmatch(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", stripped, re.ASCII):
        return True
    if _DAYJS.match(text):
        return True
    try:
        datetime.fromisoformat(text)
        return True
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text) is not None
    except (TypeError, ValueError, IndexError):
        return False


FORMAT_CHECKS: dict[str, Callable[[str], bool]] = {
    "date": is_date,
    "time": is_time,
    "date-time": is_date_time,
    "email": lambda s: bool(_EMAIL.match(s)),
    "hostname": lambda s: bool(_HOSTNAME.match(s)),
    "ipv4": lambda s: bool(_IPV4.match(s)),
    "uuid": lambda s: bool(_UUID.match(s)),
    "date-like": is_date_like,
    "text": lambda s: True,
    "password": lambda s: True,
}


def format_check(name: str) -> Callable[[str], bool] | None:
    """The checker for a format, or None when every string passes."""
    check = FORMAT_CHECKS.get(name)
    if check is None or name in ("text", "password"):
        return None
    return check
