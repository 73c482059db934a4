"""Reading a request body, cheapest check first: media type, size, JSON (the key and schema are `core.checks`).

Bodies are read in chunks and abandoned as soon as they pass the size limit, so a client
cannot make the receiver hold more than `max_body_bytes` of one request in memory.
"""

from __future__ import annotations

import math
from typing import Any

from starlette.requests import ClientDisconnect, Request

from receiver import jsontext
from receiver.errors import ApiError

JSON_MEDIA_TYPE = "application/json"
MAX_DEPTH = 64
"""Deeper JSON is refused: no real event nests this far, and it keeps every later walk bounded."""


def check_content_type(header: str | None) -> None:
    media_type = (header or "").split(";", 1)[0].strip().lower()
    if media_type != JSON_MEDIA_TYPE:
        raise ApiError(
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            f"The request body must be sent as {JSON_MEDIA_TYPE}.",
            field="Content-Type",
        )


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "PAYLOAD_TOO_LARGE", f"The request body is larger than {limit} bytes.")


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refusing early on a declared length over `limit` and while streaming past it."""
    declared = request.headers.get("content-length")
    if declared is not None:
        declared = declared.strip()
        if not declared.isdigit() or not declared.isascii():
            raise ApiError(400, "INVALID_CONTENT_LENGTH", "The Content-Length header is not a number.")
        if int(declared) > limit:
            raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
    except ClientDisconnect:
        # The client hung up (or stalled past the body timeout) before sending the whole body.
        raise ApiError(400, "INCOMPLETE_BODY", "The connection closed before the whole request body arrived.") from None
    return b"".join(chunks)


def _invalid_json(message: str = "The request body is not valid JSON.") -> ApiError:
    return ApiError(400, "INVALID_JSON", message)


def parse_json(raw: bytes) -> Any:
    """A JSON value nested at most `MAX_DEPTH` deep, whose strings are valid Unicode."""
    try:
        value, strict = jsontext.loads(raw)
    except (ValueError, RecursionError):
        raise _invalid_json() from None
    if strict and b"\\u0000" not in raw:
        # orjson reads no lone surrogate and no infinite number; NUL only from `\u0000`. A body with
        # fewer brackets than the bound cannot nest past it (counting bytes is far cheaper than a walk).
        if raw.count(b"{") + raw.count(b"[") > MAX_DEPTH:
            _check_depth(value)
    else:
        _check_shape(value)
    return value


def require_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ApiError(400, "INVALID_BODY", "The request body must be a JSON object.")
    return value


def _too_deep() -> ApiError:
    return _invalid_json(f"The request body nests deeper than {MAX_DEPTH} levels.")


def _check_depth(value: Any) -> None:
    """`_check_shape`'s nesting bound alone, visiting only the containers."""
    stack: list[tuple[Any, int]] = [(value, 1)] if type(value) is dict or type(value) is list else []
    while stack:
        value, depth = stack.pop()
        items = value.values() if type(value) is dict else value
        if depth > MAX_DEPTH:
            raise _too_deep()
        stack.extend((item, depth + 1) for item in items if type(item) is dict or type(item) is list)


def _check_shape(value: Any) -> None:
    """Bound the nesting, refuse lone surrogates (which no UTF-8 answer could carry), NUL characters
    (which PostgreSQL cannot store) and numbers too large for a float (`1e400` would be stored as infinity)."""
    stack: list[tuple[Any, int, str]] = [(value, 1, "")]
    while stack:
        value, depth, path = stack.pop()
        if isinstance(value, dict):
            if depth > MAX_DEPTH:
                raise _too_deep()
            for key, item in value.items():
                _check_text(key, path)
                stack.append((item, depth + 1, f"{path}.{key}" if path else key))
        elif isinstance(value, list):
            if depth > MAX_DEPTH:
                raise _too_deep()
            stack.extend(
                (item, depth + 1, f"{path}.{index}" if path else str(index)) for index, item in enumerate(value)
            )
        elif isinstance(value, str):
            _check_text(value, path)
        elif isinstance(value, float) and not math.isfinite(value):
            raise ApiError(
                422, "NUMBER_OUT_OF_RANGE", "A number is too large to be stored (not a finite number).", field=path
            )


def _check_text(text: str, path: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _invalid_json("The request body holds text that is not valid Unicode.") from None
    if "\x00" in text:
        # PostgreSQL cannot store U+0000 in text or jsonb: refused alike on every store.
        message = "The request body holds a NUL character (\\u0000), which the receiver cannot store."
        raise ApiError(400, "INVALID_JSON", message, field=path or None)


def dotted(pointer: str) -> str:
    """`/data/first_name` → `data.first_name`: the receiver's one way of naming a field."""
    tokens = pointer.split("/")[1:] if pointer.startswith("/") else ([pointer] if pointer else [])
    return ".".join(token.replace("~1", "/").replace("~0", "~") for token in tokens)
