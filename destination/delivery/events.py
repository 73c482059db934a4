"""Reading Segment events from files: one event, a JSON array, or JSON Lines (`-` for stdin)."""

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


def parse_events(text: str, name: str = "<input>") -> list[dict[str, Any]]:
    """Events from text holding one JSON object, a JSON array of objects, or JSON Lines."""
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
                events.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise EventsError(f"{name}:{number}:{exc.colno}: json-syntax: not JSON: {exc.msg}") from None
            lines.append(number)
    else:
        events = whole if isinstance(whole, list) else [whole]
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            where = f"item {index}" if isinstance(whole, list) else f"event {index + 1}"
            at = lines[index] if lines else 1
            raise EventsError(
                f"{name}:{at}:1: events: {where} is {type(event).__name__}, expected a JSON object (a Segment event)"
            )
    return events


def read_events(source: str) -> list[dict[str, Any]]:
    text, name = read_text(source)
    return parse_events(text, name)
