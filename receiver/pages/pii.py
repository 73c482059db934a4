"""Masking personal data on the pages, as Segment's "PII Access" toggle does: for a user without PII
access, every value under a member the tracking plan marks `pii` (by name, at any depth: a message's
`properties`, `traits` and `context.traits`, an Antavo webhook body's `data`, a customer's profile) is
replaced by `MASK`, keeping the structure around it.

A masked value can also be quoted elsewhere in what one page shows (a violation's message, an error
text, the same event's answer); each such copy is replaced too, so no planted value survives anywhere
in the HTML or JSON. Views take a `Masker` (`CLEAR` shows everything) and the routes build it from the
session's `sees_pii`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from destination.plan.pii import PiiFields

MASK = "•••• (pii)"
PII_HIDDEN = "PII hidden: ask an admin for PII access."
MIN_QUOTED = 3
"""A masked value at least this long is also replaced where it is quoted; shorter ones would match everywhere."""


def _collect(value: Any, found: set[str]) -> None:
    if isinstance(value, Mapping):
        for item in value.values():
            _collect(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect(item, found)
    elif value is not None and not isinstance(value, bool):
        text = str(value).strip()
        if len(text) >= MIN_QUOTED:
            found.add(text)


def _masked(value: Any, names: Mapping[str, str], found: set[str]) -> Any:
    if isinstance(value, Mapping):
        out: dict[Any, Any] = {}
        for key, item in value.items():
            if isinstance(key, str) and key in names and item is not None:
                _collect(item, found)
                out[key] = MASK
            else:
                out[key] = _masked(item, names, found)
        return out
    if isinstance(value, list):
        return [_masked(item, names, found) for item in value]
    return value


def _scrubbed(value: Any, quoted: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return quoted.sub(MASK, value)
    if isinstance(value, Mapping):
        return {(_scrubbed(k, quoted) if isinstance(k, str) else k): _scrubbed(v, quoted) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(item, quoted) for item in value]
    return value


def mask_values(names: Mapping[str, str], *values: Any) -> list[Any]:
    """`values` (JSON values shown together) with every PII member masked, and each masked value's
    other copies in any of them replaced too."""
    found: set[str] = set()
    masked = [_masked(value, names, found) for value in values]
    if not found:
        return masked
    quoted = re.compile("|".join(re.escape(text) for text in sorted(found, key=len, reverse=True)))
    return [_scrubbed(value, quoted) for value in masked]


@dataclass(frozen=True)
class Masker:
    """What one page shows of personal data: everything (`reveal`), or the plan's PII masked."""

    fields: PiiFields = field(default_factory=PiiFields)
    reveal: bool = True

    @property
    def active(self) -> bool:
        return not self.reveal and bool(self.fields)

    @property
    def notice(self) -> str | None:
        """What the page says when it masks (None when it shows everything)."""
        return PII_HIDDEN if self.active else None

    def __call__(self, *values: Any) -> list[Any]:
        """The values, masked together (see `mask_values`); as given when nothing is masked."""
        return mask_values(self.fields.names, *values) if self.active else list(values)

    def one(self, value: Any) -> Any:
        return self(value)[0]


CLEAR = Masker()
"""Shows everything: a session with PII access, the API key, or no plan."""


def masker(fields: PiiFields, reveal_pii: bool) -> Masker:
    """The masking a page applies for a session that does (`reveal_pii`) or does not see PII."""
    return Masker(fields, reveal_pii)
