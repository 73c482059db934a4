"""Tracking plans for tests: the identify event whose traits the plan marks `pii`, and writing a plan file
(with a new modification stamp, so a receiver watching it reads it again)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml


def pii_identify(**traits: dict[str, Any]) -> dict[str, Any]:
    """The identify event planning `email` and `first_name` as PII (of kind email and name), and `traits`."""
    planned = {"email": {"type": "string", "pii": "email"}, "first_name": {"type": "string", "pii": "name"}}
    return {"type": "identify", "traits": {"properties": {**planned, **traits}}}


def write_plan(path: Path, data: Any, *, stamp: int | None = None) -> Path:
    """Write `data` (a plan, dumped as YAML, or the file's text) to `path`; with `stamp`, set its modification
    time to it in nanoseconds (a new stamp even within the file system's clock resolution)."""
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
    if stamp is not None:
        os.utime(path, ns=(stamp, stamp))
    return path
