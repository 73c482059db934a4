"""The saved versions of `MemoryConfigState`: per subject, the newest `VERSIONS_KEPT_PER_SUBJECT` (numbers go on)."""

from __future__ import annotations

from collections import deque

from receiver.store.config_state import AuditEntry, version_from
from receiver.store.config_versions import VERSIONS_KEPT_PER_SUBJECT, ConfigVersion, history_size


class MemoryVersions:
    """Versions by subject, bounded per subject; the caller holds the state's lock around every call."""

    def __init__(self, keep: int = VERSIONS_KEPT_PER_SUBJECT) -> None:
        self._keep = keep
        self._kept: dict[str, deque[ConfigVersion]] = {}

    def record(self, subject: str, entry: AuditEntry, text: str | None) -> None:
        kept = self._kept.setdefault(subject, deque(maxlen=self._keep))
        number = kept[-1].number + 1 if kept else 1  # a subject's deque never empties: the numbers go on
        kept.append(version_from(subject, number, entry, text))

    def history(self, subject: str, limit: int, before: int | None) -> list[ConfigVersion]:
        newest_first = reversed(self._kept.get(subject, ()))
        found = [v for v in newest_first if before is None or v.number < before]
        return found[: history_size(limit)]

    def version_of(self, subject: str, number: int) -> ConfigVersion | None:
        return next((v for v in self._kept.get(subject, ()) if v.number == number), None)
