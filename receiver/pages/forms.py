"""Reading the pages' URL-encoded forms: one reader, bounded in bytes and fields.

Forms are read by hand (not by FastAPI's `Form`) so a body larger than the page allows is
abandoned while it streams in, and a form of another media type is simply "no form".
"""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import Request

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"


async def read_form_lists(request: Request, limit: int, max_fields: int) -> dict[str, list[str]] | None:
    """Every value of each field of a form of at most `limit` bytes; None if it is not one or too large."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != FORM_MEDIA_TYPE:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=max_fields)
    except (UnicodeDecodeError, ValueError):
        return None


async def read_form(request: Request, limit: int, max_fields: int = 16) -> dict[str, str] | None:
    """The first value of each field (the sign-in, log filter and tester forms send one each)."""
    fields = await read_form_lists(request, limit, max_fields)
    return None if fields is None else {name: values[0] for name, values in fields.items()}
