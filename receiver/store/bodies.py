"""How big one log entry may be: the one rule every store (memory, SQLite, PostgreSQL) applies.

A sender chooses how long a body, an ID or an error echo is, so a log that kept them whole
could be filled by a few requests. Bodies are measured as their compact JSON text in UTF-8
bytes; one longer than the limit is replaced by a marker `{truncated, length, start}` (its
original size in bytes and the start of its text) that itself fits in the limit, and the
entry is flagged `truncated`. IDs and error texts are cut to a fixed length. Characters some
database cannot store (NUL, unpaired surrogates) are replaced by U+FFFD, so a body holding one
is logged — the same way on every store — instead of failing the write.
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

from receiver.jsontext import dumps_text

MAX_ID_CHARS = 1024
"""An entry's `id` and `customer_id` are cut to this many characters."""
MAX_ERROR_CHARS = 4096
REPLACEMENT = "\ufffd"
MARKER_ROOM = 100
"""Bytes of a limit kept for the marker's own keys and its `length` figure."""


def dump_json(value: Any) -> str:
    """A body as the logs keep it: compact JSON text (orjson's, see `receiver.jsontext`)."""
    return dumps_text(value)


def plan_json(plan_check: Any) -> str | None:
    """A plan verdict as the JSON text every backend keeps (None, SQL NULL, when the message was not checked)."""
    return None if plan_check is None else dump_json(plan_check)


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
"""NUL and unpaired surrogates: valid in a Python string (and escaped in JSON), refused by PostgreSQL's text and jsonb."""
_NUL_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")
r"""JSON's `\u0000` escape, not when its backslash is itself escaped (`\\u0000` is a backslash and text)."""


def storable(text: str) -> str:
    """`text` with what some database cannot hold (NUL, unpaired surrogates) replaced by U+FFFD."""
    return _UNSTORABLE.sub(REPLACEMENT, text) if _UNSTORABLE.search(text) else text


def clip(text: str | None, limit: int) -> str | None:
    return storable(text[:limit]) if text is not None else None


class LoggedBody(NamedTuple):
    """A body as a log keeps it: its JSON text, the value that text holds, and whether it was cut."""

    text: str
    value: Any
    cut: bool


def bounded_body(value: Any, limit: int) -> LoggedBody:
    """`value` if its JSON text fits in `limit` UTF-8 bytes, else the marker saying it was cut and how big it was."""
    text = dump_json(value)
    if "\\u0000" in text or _UNSTORABLE.search(text):
        # Kept the same on every store: what PostgreSQL cannot hold is replaced on all of them.
        text = storable(_NUL_ESCAPE.sub(lambda found: found.group(1) + REPLACEMENT, text))
        value = json.loads(text)
    # A character is at most 4 bytes: only a text that might be too long is encoded to measure it.
    if len(text) * 4 <= limit:
        return LoggedBody(text, value, False)
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return LoggedBody(text, value, False)
    keep = max(0, limit - MARKER_ROOM)
    for _ in range(8):
        # JSON escapes (quotes, control characters) can make the marker longer than what it quotes.
        marker = {"truncated": True, "length": len(encoded), "start": encoded[:keep].decode("utf-8", "ignore")}
        cut = dump_json(marker)
        over = len(cut.encode("utf-8")) - limit
        if over <= 0:
            return LoggedBody(cut, marker, True)
        # Each byte of `start` dropped drops at least one byte of the marker's text.
        keep = max(0, keep - over)
    marker = {"truncated": True, "length": len(encoded), "start": ""}
    return LoggedBody(dump_json(marker), marker, True)


class BoundedFields(NamedTuple):
    """The parts of a log entry a sender sizes, as every log keeps them."""

    id: str
    customer_id: str | None
    error: str | None
    request: LoggedBody
    response: LoggedBody

    @property
    def truncated(self) -> bool:
        return self.request.cut or self.response.cut


def bounded(
    *, id: str, customer_id: str | None, error: str | None, request: Any, response: Any, body_bytes: int
) -> BoundedFields:
    """An entry's sender-sized parts cut to the log's bounds (see the module's docstring)."""
    return BoundedFields(
        storable(id[:MAX_ID_CHARS]),
        clip(customer_id, MAX_ID_CHARS),
        clip(error, MAX_ERROR_CHARS),
        bounded_body(request, body_bytes),
        bounded_body(response, body_bytes),
    )


def anonymous_entries(size: int, share: float) -> int:
    """How many unauthenticated refusals a log of `size` entries keeps beside them (at least one)."""
    return max(1, int(size * share))
