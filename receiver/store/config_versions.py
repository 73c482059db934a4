"""Every save of what the pages configure, kept as a numbered version: what the history pages show and restore.

Why: a mapping or a setting saved by mistake must be seen (who, when, what changed) and undone
without retyping it. Each `save_settings`, `save_mapping` and `delete_mapping` of `ConfigState`
records one version in the same transaction as the change, per *subject* — `settings`, or
`mapping:<key>` (prefixed, so a mapping keyed `settings` is its own subject) — numbered 1, 2, 3…
with the full text: the saved settings as canonical JSON (secrets in clear, as the store keeps
them: never shown, see `receiver.live.history`), a mapping's YAML text, a deletion as no text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

SETTINGS_SUBJECT = "settings"
MAPPING_PREFIX = "mapping:"
VERSIONS_KEPT_PER_SUBJECT = 200
"""Every backend keeps the newest versions of each subject up to this many (the numbers go on)."""
HISTORY_LIMIT = 500
"""The most versions one `history` read returns."""


def history_size(limit: int) -> int:
    """How many versions a `history(limit=…)` read returns at most, on every backend."""
    return max(0, min(limit, HISTORY_LIMIT))


def mapping_subject(key: str) -> str:
    """The subject of a mapping's versions."""
    return MAPPING_PREFIX + key


def settings_text(values: Mapping[str, Any]) -> str:
    """Saved settings as one canonical JSON text (sorted keys), so equal settings read as equal versions."""
    return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class ConfigVersion:
    """One saved version of a subject: its number, when and by whom, the audit's words, and its text."""

    subject: str
    number: int
    at: datetime
    who: str
    what: str
    text: str | None
    """None: the subject was deleted by this version (a mapping removed, or reverted to its file)."""

    @property
    def deleted(self) -> bool:
        return self.text is None
