"""The tamper-evident audit trail's values, its one canonical form and hashing, and `verify`.

Every backend stores an `AuditEntry` as an `AuditRecord`: a `seq` (1, 2, 3… with no gap), the
previous record's hash and its own, `sha256(prev_hash + canonical JSON of seq and the entry)`.
Apart from the rows each backend keeps the chain's **head** (newest seq + hash) and its
**anchor** (seq + hash of the newest pruned record), so `verify` notices a changed row (its hash),
a row removed in the middle (a gap in `seq`) and the newest rows removed (the head names more).
Only `link` makes records and only `verify` checks them: the backends and the command line share
this one definition, so they can never disagree about what a record's hash covers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from receiver.store.times import from_micros, micros

GENESIS = "0" * 64
"""The `prev_hash` of the first record ever appended."""
ACTIONS = (
    "sign_in",
    "sign_in.failed",
    "user.add",
    "user.remove",
    "user.role",
    "user.pii",
    "settings.save",
    "settings.restore",
    "mapping.create",
    "mapping.edit",
    "mapping.toggle",
    "mapping.delete",
    "mapping.restore",
    "plan.change",
    "replay",
    "quarantine.drop",
    "test_run.delete",
    "export",
)
"""The kinds of action recorded (a filter may name a prefix, `mapping.`)."""


@dataclass(frozen=True)
class FieldChange:
    """One changed value; secrets arrive here already masked (`set (…abcd)`, `not set`)."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class AuditEntry:
    """One audited action: who (`actor`: a user's name, `api key`, `cli`, `receiver`) with which role,
    from which client address, did what (`action`, a dotted kind) to what (`target`), and the changes."""

    at: datetime
    actor: str
    action: str
    what: str
    changes: tuple[FieldChange, ...] = ()
    role: str | None = None
    address: str | None = None
    target: str | None = None


@dataclass(frozen=True)
class AuditRecord:
    """An entry as stored: its place in the chain and the hashes linking it to the one before."""

    seq: int
    entry: AuditEntry
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ChainMark:
    """A point of the chain kept apart from its rows: the head (newest) or the anchor (newest pruned)."""

    seq: int
    hash: str


START = ChainMark(0, GENESIS)
"""Head and anchor of a chain that never had a record."""


@dataclass(frozen=True)
class AuditChain:
    """Everything a backend keeps, oldest record first, for `verify`."""

    records: tuple[AuditRecord, ...]
    head: ChainMark = START
    anchor: ChainMark = START


ProblemKind = Literal["changed", "missing", "order", "link", "head"]


@dataclass(frozen=True)
class Problem:
    """What `verify` found wrong, at which seq."""

    seq: int
    kind: ProblemKind
    detail: str

    def __str__(self) -> str:
        return f"seq {self.seq}: {self.kind}: {self.detail}"


@dataclass(frozen=True)
class AuditFilter:
    """Which entries `ConfigState.audit` returns: by actor (exact), action (exact, or a prefix ending in
    `.`), time (`since` inclusive, `until` exclusive) and a cursor (only records with a smaller seq)."""

    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    cursor: int | None = None

    def matches(self, record: AuditRecord) -> bool:
        entry = record.entry
        return (
            (self.actor is None or entry.actor == self.actor)
            and (self.action is None or action_matches(entry.action, self.action))
            and (self.since is None or micros(entry.at) >= micros(self.since))
            and (self.until is None or micros(entry.at) < micros(self.until))
            and (self.cursor is None or record.seq < self.cursor)
        )


EVERY_RECORD = AuditFilter()
"""No filter: the newest records, whoever and whatever."""


def action_matches(action: str, wanted: str) -> bool:
    """`mapping.` (a prefix) matches every mapping action; anything else matches itself only."""
    return action.startswith(wanted) if wanted.endswith(".") else action == wanted


def _plain(value: Any) -> Any:
    """A value as JSON gives it back (tuples become lists, unknown types their text), so what a backend
    reads back hashes exactly as what was appended."""
    return json.loads(json.dumps(value, default=str))


def _storable(text: str | None) -> str | None:
    """Text any database column takes: no NUL (PostgreSQL refuses it), no lone surrogate (not UTF-8)."""
    if text is None:
        return None
    return str(text).replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")


def normalised(entry: AuditEntry) -> AuditEntry:
    """The entry as every backend stores it: UTC, whole microseconds, JSON values, storable text."""
    changes = tuple(FieldChange(str(c.field), _plain(c.before), _plain(c.after)) for c in entry.changes)
    return AuditEntry(
        from_micros(micros(entry.at)),
        _storable(entry.actor) or "",
        _storable(entry.action) or "",
        _storable(entry.what) or "",
        changes,
        _storable(entry.role),
        _storable(entry.address),
        _storable(entry.target),
    )


def entry_fields(entry: AuditEntry) -> dict[str, Any]:
    """The entry as JSON-ready data: what is hashed (SQL stores the same, `changes` as JSON text)."""
    return {
        "at": micros(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "role": entry.role,
        "address": entry.address,
        "target": entry.target,
        "what": entry.what,
        "changes": [{"field": c.field, "before": c.before, "after": c.after} for c in entry.changes],
    }


def entry_from_fields(row: Any) -> AuditEntry:
    """An entry from stored columns (an SQL row or a mapping with `entry_fields`' names)."""

    def get(name: str) -> Any:
        return row[name] if isinstance(row, dict) else getattr(row, name)

    kept = get("changes")
    listed = json.loads(kept) if isinstance(kept, str) else kept or ()
    changes = tuple(FieldChange(c["field"], c["before"], c["after"]) for c in listed)
    return AuditEntry(
        from_micros(int(get("at"))),
        get("actor"),
        get("action"),
        get("what"),
        changes,
        get("role"),
        get("address"),
        get("target"),
    )


def canonical(seq: int, entry: AuditEntry) -> str:
    """The one text a record's hash covers: sorted keys, no spaces, non-ASCII kept as is."""
    return json.dumps(
        {"seq": seq, **entry_fields(entry)},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )


def digest(prev_hash: str, seq: int, entry: AuditEntry) -> str:
    return hashlib.sha256((prev_hash + canonical(seq, entry)).encode("utf-8", "surrogatepass")).hexdigest()


def link(head: ChainMark, entry: AuditEntry) -> AuditRecord:
    """The record appending `entry` after `head` (the backend then stores it and moves its head to it)."""
    seq = head.seq + 1
    kept = normalised(entry)
    return AuditRecord(seq, kept, head.hash, digest(head.hash, seq, kept))


def mark(record: AuditRecord) -> ChainMark:
    return ChainMark(record.seq, record.hash)


def prune_point(records: Iterable[AuditRecord], older_than: datetime) -> int:
    """How many of the oldest records (oldest first) a prune removes: the run of them older than the
    cutoff, so what stays is always one unbroken chain after the anchor."""
    count = 0
    for record in records:
        if record.entry.at >= older_than:
            break
        count += 1
    return count


def verify(chain: AuditChain) -> list[Problem]:
    """Every problem of a chain, oldest first; an empty list when it is intact."""
    problems: list[Problem] = []
    expected_seq, expected_prev = chain.anchor.seq + 1, chain.anchor.hash
    last = chain.anchor
    for record in chain.records:
        if record.seq > expected_seq:
            gap = f"{expected_seq}" if record.seq == expected_seq + 1 else f"{expected_seq}–{record.seq - 1}"
            problems.append(Problem(expected_seq, "missing", f"record(s) {gap} removed"))
        elif record.seq < expected_seq:
            problems.append(Problem(record.seq, "order", f"out of order or duplicated (expected {expected_seq})"))
        elif record.prev_hash != expected_prev:
            what = "the anchor" if record.seq == chain.anchor.seq + 1 else f"seq {record.seq - 1}"
            problems.append(Problem(record.seq, "link", f"its link to {what} does not match (rewritten?)"))
        if digest(record.prev_hash, record.seq, record.entry) != record.hash:
            problems.append(Problem(record.seq, "changed", "its content does not match its hash"))
        expected_seq, expected_prev = max(expected_seq, record.seq + 1), record.hash
        last = mark(record)
    if chain.head.seq > last.seq:
        span = f"{last.seq + 1}" if chain.head.seq == last.seq + 1 else f"{last.seq + 1}–{chain.head.seq}"
        problems.append(
            Problem(last.seq + 1, "missing", f"newest record(s) {span} removed (the head is at {chain.head.seq})")
        )
    elif chain.head != last:
        problems.append(
            Problem(chain.head.seq, "head", f"the head ({chain.head.seq}) does not match the newest record")
        )
    return problems
