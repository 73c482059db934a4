"""JSON text on the request path: orjson where it gives the same JSON, the standard library where not.

The webhook and the ingest encode every answer and every log body, and decode every request:
`json` spends more time there than the rules do (`bench/profile_receiver.py`). orjson
writes the same compact UTF-8 JSON (numbers may be spelled differently, `1e16` for `1e+16`),
several times faster; what it refuses (integers past 64 bits, non-string keys, lone
surrogates) falls back to the standard library, so nothing that was written before is
refused now.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import orjson
from starlette.responses import JSONResponse

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


_LONG_DIGITS = re.compile(rb"\d{19}")
"""orjson reads an integer past 64 bits as a float; a body with such a run of digits is read by `json` instead."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(raw: bytes) -> tuple[Any, bool]:
    """The JSON value, and whether orjson read it (then it holds no lone surrogate and no infinite number).

    `json` reads what orjson refuses (UTF-16 text, `1e400`, a lone surrogate) or would read
    differently (huge integers), so each is accepted or refused as before; `NaN` and
    `Infinity` are refused by both. Raises `ValueError` (or `RecursionError`) for text that is not JSON.
    """
    if _LONG_DIGITS.search(raw) is None:
        try:
            return orjson.loads(raw), True
        except orjson.JSONDecodeError:
            pass
    return json.loads(raw, parse_constant=_reject_constant), False


def _fallback(value: Any) -> Any:
    """What orjson does not write itself (a datetime, a dataclass, ...) is written as `str(value)`, like `default=str`."""
    return str(value)


def _encoded(value: Any, option: int, *, sort_keys: bool = False) -> bytes:
    try:
        return orjson.dumps(value, default=_fallback, option=option)
    except (orjson.JSONEncodeError, TypeError):
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str, sort_keys=sort_keys)
        return text.encode("utf-8", "surrogatepass")


def dumps_bytes(value: Any) -> bytes:
    """Compact JSON as UTF-8 bytes (`separators=(",", ":")`, non-ASCII kept, anything else as its `str`)."""
    return _encoded(value, _OPTIONS)


def canonical_bytes(value: Any) -> bytes:
    """`dumps_bytes` with keys sorted: one spelling for a document whatever its key order or spacing."""
    return _encoded(value, _OPTIONS | orjson.OPT_SORT_KEYS, sort_keys=True)


def dumps_text(value: Any) -> str:
    """`dumps_bytes` as text (what the logs keep; a lone surrogate the fallback wrote comes back as it was)."""
    return _encoded(value, _OPTIONS).decode("utf-8", "surrogatepass")


class JsonAnswer(JSONResponse):
    """Starlette's `JSONResponse`, rendered by orjson: the same bytes for every answer the receiver gives.

    A value orjson refuses (a lone surrogate, a huge integer) goes to Starlette's own
    rendering, which refuses or writes it exactly as before.
    """

    def render(self, content: Any) -> bytes:
        try:
            return orjson.dumps(content)
        except (orjson.JSONEncodeError, TypeError):
            return super().render(content)


_ATOMIC = frozenset({str, int, float, bool, type(None)})


def json_copy(value: Any) -> Any:
    """A deep copy of a JSON value, several times cheaper than `copy.deepcopy` (no memo, no dispatch).

    Dicts and lists are copied, strings, numbers, booleans and None shared (they are
    immutable); anything else is left to `copy.deepcopy`.
    """
    kind = type(value)
    if kind is dict:
        return {key: item if type(item) in _ATOMIC else json_copy(item) for key, item in value.items()}
    if kind is list:
        return [item if type(item) in _ATOMIC else json_copy(item) for item in value]
    if kind in _ATOMIC:
        return value
    return copy.deepcopy(value)
