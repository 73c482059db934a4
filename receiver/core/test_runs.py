"""A test run: the name a CI job gives its messages, so it can fetch every verdict of the run and reset them.

A Tracking-API message names its run in `context.testRun` (what Segment's libraries let a caller set);
an HTTP call names it for all its messages, or for a webhook request, with the `X-Test-Run` header.
The name is bounded and plain, since it is stored with every log entry of the run and put in URLs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from receiver.errors import ApiError

HEADER = "X-Test-Run"
FIELD = "testRun"
"""The key in a message's `context`."""
RULE = "1 to 64 letters, digits, '.', '_', ':' or '-'"
PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
_NAME = re.compile(PATTERN)


def valid(value: Any) -> bool:
    return isinstance(value, str) and _NAME.match(value) is not None


def from_headers(headers: Mapping[str, str]) -> str | None:
    """The call's test run, or None; a malformed name is refused (400) rather than silently dropped."""
    value = headers.get(HEADER.lower())
    if value is None:
        return None
    if not valid(value):
        raise ApiError(400, "INVALID_TEST_RUN", f"The {HEADER} header must be {RULE}.", field=HEADER)
    return value


def of_message(message: Mapping[str, Any]) -> str | None:
    """The run a (checked) Tracking-API message names in its context."""
    context = message.get("context")
    value = context.get(FIELD) if isinstance(context, Mapping) else None
    return value if isinstance(value, str) else None
