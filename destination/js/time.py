"""Segment's timestamps: JavaScript's `Date.prototype.toISOString`, the one home of the format.

Segment's libraries, its Tracking API and the destination's test events all write times as
`toISOString` does (UTC, milliseconds, `Z`), so every part of the project that writes one
(the conformance harness, the receiver's ingest and its outbound messages) calls this.
"""

from __future__ import annotations

from datetime import UTC, datetime


def iso_string(moment: datetime) -> str:
    """`moment` as `new Date(moment).toISOString()` writes it: `2024-05-01T12:00:00.123Z` (truncated, not rounded)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_iso() -> str:
    """`new Date().toISOString()`."""
    return iso_string(datetime.now(UTC))
