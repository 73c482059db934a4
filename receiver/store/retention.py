"""How long a log entry and its bodies are kept: the one retention rule every backend applies.

An entry is kept for its source's limit (`webhook`, `segment:<library>`), else its kind's
(inbound, outbound, duplicate), else the default; the older `store.log_max_age_seconds` caps
them all. Past `body_seconds` an entry's request and response read as `REMOVED` while the
entry stays; a quarantined message goes after `quarantine_seconds`. Reads apply the rule at
once (nothing past retention is ever returned), and each backend's sweep frees what it says is
gone: memory rebuilds its rings, SQL deletes the rows and sets old bodies to NULL (read back as
`REMOVED`). Times are seconds since the epoch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import NamedTuple

from receiver.config import ReceiverConfig
from receiver.config.retention import RetentionConfig
from receiver.store.bodies import dump_json
from receiver.store.entries import LogEntry

DAY = 86_400.0
REMOVED = {"removed": "retention"}
"""What a body past `raw_body_days` reads as."""
REMOVED_TEXT = dump_json(REMOVED)
SWEEP_EVERY = 1024
"""Log writes between two retention sweeps (per process), on every backend."""


class Cutoffs(NamedTuple):
    """One kind's cutoffs: those of the sources with their own limit, and the one for every other source."""

    by_source: dict[str, float | None]
    other: float | None


@dataclass(frozen=True)
class Retention:
    """Age limits in seconds (None: no limit); the empty value keeps everything (until the count bounds)."""

    default_seconds: float | None = None
    sources: Mapping[str, float] = field(default_factory=dict, hash=False)
    kinds: Mapping[str, float] = field(default_factory=dict, hash=False)
    body_seconds: float | None = None
    audit_seconds: float | None = None
    quarantine_seconds: float | None = None
    cap_seconds: float | None = None
    """`store.log_max_age_seconds` (deprecated): no entry is kept longer, whatever the rest says."""

    @classmethod
    def from_config(cls, config: RetentionConfig, log_max_age_seconds: float | None = None) -> Retention:
        """The settings' days as seconds; `log_max_age_seconds` (the older setting) caps every entry."""
        return cls(
            default_seconds=config.default_days * DAY,
            sources={name: days * DAY for name, days in config.sources.items()},
            kinds={kind: days * DAY for kind, days in config.kinds.items()},
            body_seconds=config.raw_body_days * DAY,
            audit_seconds=config.audit_days * DAY,
            quarantine_seconds=config.quarantine_days * DAY,
        ).capped(log_max_age_seconds)

    def capped(self, seconds: float | None) -> Retention:
        """This retention with no entry kept longer than `seconds` (None: unchanged)."""
        if seconds is None:
            return self
        return replace(self, cap_seconds=seconds if self.cap_seconds is None else min(seconds, self.cap_seconds))

    def age_limit(self, kind: str, source: str | None) -> float | None:
        """Seconds an entry of `kind` from `source` is kept: its source's, else its kind's, else the default."""
        limit = self.sources.get(source) if source is not None else None
        if limit is None:
            limit = self.kinds.get(kind, self.default_seconds)
        if self.cap_seconds is not None:
            limit = self.cap_seconds if limit is None else min(limit, self.cap_seconds)
        return limit

    def is_default(self, kind: str, source: str | None) -> bool:
        """Whether such an entry gets the default (no figure of its source's or kind's own)."""
        return (source is None or source not in self.sources) and kind not in self.kinds

    def cutoff_for(self, kind: str, source: str | None, now: float) -> float | None:
        """Entries of `kind` from `source` stamped before this are gone (None: kept whatever their age)."""
        limit = self.age_limit(kind, source)
        return None if limit is None else now - limit

    def cutoffs(self, kind: str, now: float) -> Cutoffs:
        """`cutoff_for` for every source at once (the SQL backends' one statement per kind)."""
        return Cutoffs(
            {source: self.cutoff_for(kind, source, now) for source in self.sources},
            self.cutoff_for(kind, None, now),
        )

    def body_cutoff(self, now: float) -> float | None:
        """Entries stamped before this have lost their bodies (None: bodies kept as long as the entry)."""
        return None if self.body_seconds is None else now - self.body_seconds

    def quarantine_cutoff(self, now: float) -> float | None:
        """Blocked messages quarantined before this are gone (None: kept until the quarantine's bounds push them out)."""
        return None if self.quarantine_seconds is None else now - self.quarantine_seconds

    def audit_cutoff(self, now: float) -> datetime | None:
        """Audit entries older than this are pruned (None: the audit trail is kept whole)."""
        return None if self.audit_seconds is None else datetime.fromtimestamp(now - self.audit_seconds, UTC)

    def reader(self, kind: str, now: float, *, bodies: bool = True) -> Callable[[LogEntry], LogEntry | None]:
        """What a read of the `kind` log at `now` shows of an entry: None once it is gone, `REMOVED` for
        bodies past `body_seconds` (unless `bodies` is False: a count, which shows none). The cutoffs are
        worked out once, for a whole read or sweep."""
        by_source, other = self.cutoffs(kind, now)
        moments, rest = {s: _moment(c) for s, c in by_source.items()}, _moment(other)
        body_moment = _moment(self.body_cutoff(now)) if bodies else None
        if rest is None and body_moment is None and not any(moments.values()):
            return _unchanged

        def read(entry: LogEntry) -> LogEntry | None:
            cutoff = rest if entry.source is None else moments.get(entry.source, rest)
            if cutoff is not None and entry.timestamp < cutoff:
                return None
            if body_moment is not None and entry.timestamp < body_moment and not is_removed(entry):
                return LogEntry._quick({**vars(entry), "request_json": REMOVED_TEXT, "response_json": REMOVED_TEXT})
            return entry

        return read


def _moment(cutoff: float | None) -> datetime | None:
    return None if cutoff is None else datetime.fromtimestamp(cutoff, UTC)


def _unchanged(entry: LogEntry) -> LogEntry:
    return entry


def is_removed(entry: LogEntry) -> bool:
    """Whether retention already removed the entry's bodies."""
    return entry.request_json == REMOVED_TEXT and entry.response_json == REMOVED_TEXT


def retention_of(config: ReceiverConfig) -> Retention:
    """The settings' effective retention: `retention`, capped by the older `store.log_max_age_seconds`."""
    return Retention.from_config(config.retention, config.store.log_max_age_seconds)
