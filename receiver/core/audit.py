"""How an action is audited: who did it (`Actor`) and the masked before/after diff.

Every place that audits builds its entry here (`Actor.entry`, appended with `append_audit`), so an entry always names its actor the same way: a
user's name, `api key` for the brand API key's bootstrap admin, `cli` for the command line,
`receiver` for what the receiver does by itself (a changed tracking plan). The store appends it to
its hash chain (`receiver.store.audit`); secrets never reach it unmasked (`changes_between`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from receiver.security import mask
from receiver.store.audit import AuditEntry, FieldChange

API_KEY_ACTOR = "api key"
CLI_ACTOR = "cli"
RECEIVER_ACTOR = "receiver"


@dataclass(frozen=True)
class Actor:
    """Who acts: a name (see the module), the role it acted with, the client address it came from."""

    name: str
    role: str | None = None
    address: str | None = None

    def entry(
        self, action: str, what: str, *, target: str | None = None, changes: Iterable[FieldChange] = ()
    ) -> AuditEntry:
        """An entry made now by this actor."""
        return AuditEntry(datetime.now(UTC), self.name, action, what, tuple(changes), self.role, self.address, target)


CLI = Actor(CLI_ACTOR)
RECEIVER = Actor(RECEIVER_ACTOR)


def page_actor(user: str | None, role: str, address: str | None) -> Actor:
    """A page session's actor: the user, or (no user) the API key's bootstrap admin."""
    return Actor(user if user is not None else API_KEY_ACTOR, role, address)


def readable(value: Any) -> str:
    """A before/after value as a person reads it: None as "—", a list joined (empty: "(none)"), else its text."""
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "(none)"
    return str(value)


def changes_between(
    before: Mapping[str, Any], after: Mapping[str, Any], secret_fields: Collection[str] = ()
) -> tuple[FieldChange, ...]:
    """Each key whose value differs, in the order first seen (before's keys, then after's new ones);
    a key in `secret_fields` shows only as `mask` shows it (and counts as changed only if it did)."""
    keys = list(before) + [key for key in after if key not in before]
    found: list[FieldChange] = []
    for key in keys:
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if key in secret_fields:
            found.append(FieldChange(key, mask(old), mask(new)))
        else:
            found.append(FieldChange(key, old, new))
    return tuple(found)
