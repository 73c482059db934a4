"""Reading Segment events from files: one event, a JSON array, JSON Lines, or a Tracking-API batch (`-` for stdin).

A batch (`{"batch": [...]}`, what `/v1/batch` takes and what Segment's libraries send) stands for its
items, each given the batch's `context` and `integrations` under its own (its own entries win), as the
Tracking API applies them, so a captured request body can be replayed as it is.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


class EventsError(ValueError):
    """The input is not events; the message is `file:line:col: rule: message`, as `validate` reports."""


def read_text(source: str) -> tuple[str, str]:
    """The text of a file, or of stdin for `-`, with the name to use in messages."""
    if source == "-":
        return sys.stdin.read(), "<stdin>"
    try:
        return Path(source).read_text(encoding="utf-8"), source
    except OSError as exc:
        raise EventsError(f"{source}:1:1: read: cannot read: {exc.strerror}") from None


BATCH_SHARED = ("context", "integrations")


def is_batch(value: Any) -> bool:
    """A Tracking-API batch body, not an event: a `batch` array and no `type` of its own."""
    return isinstance(value, dict) and isinstance(value.get("batch"), list) and "type" not in value


def _unbatched(value: Any) -> list[Any]:
    """A batch's items with its shared objects applied (a non-object item is left for the caller to name)."""
    if not is_batch(value):
        return [value]
    shared = {k: value[k] for k in BATCH_SHARED if isinstance(value.get(k), dict)}
    items = []
    for item in value["batch"]:
        if isinstance(item, dict):
            merged = {k: {**v, **item.get(k, {})} for k, v in shared.items() if isinstance(item.get(k, {}), dict)}
            item = {**item, **merged}
        items.append(item)
    return items


def parse_events(text: str, name: str = "<input>") -> list[dict[str, Any]]:
    """Events from text holding one JSON object, a JSON array of objects, JSON Lines, or batches."""
    stripped = text.strip()
    if not stripped:
        raise EventsError(f"{name}:1:1: events: no events (the input is empty)")
    lines: list[int] = []
    try:
        whole = json.loads(stripped)
    except json.JSONDecodeError:
        whole = None
        events = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                found = _unbatched(json.loads(line))
            except json.JSONDecodeError as exc:
                raise EventsError(f"{name}:{number}:{exc.colno}: json-syntax: not JSON: {exc.msg}") from None
            events += found
            lines += [number] * len(found)
    else:
        events = whole if isinstance(whole, list) else _unbatched(whole)
    if not events:
        raise EventsError(f"{name}:1:1: events: no events (the batch is empty)")
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            where = f"item {index}" if isinstance(whole, list) else f"event {index + 1}"
            where = f"batch item {index}" if is_batch(whole) else where
            at = lines[index] if lines else 1
            raise EventsError(
                f"{name}:{at}:1: events: {where} is {type(event).__name__}, expected a JSON object (a Segment event)"
            )
    return events


def read_events(source: str) -> list[dict[str, Any]]:
    text, name = read_text(source)
    return parse_events(text, name)
