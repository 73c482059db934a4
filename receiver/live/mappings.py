"""The Mappings page's work: the set of mappings, saving them, and the ingest running the new set.

The set is the mapping files of the ingest's folder (`mappings/` or `mappings_dir`),
overlaid by the mappings saved from the page, which the store's `ConfigState` keeps as YAML
text by key (the file stem): a saved mapping with a file's key replaces that file, so a
status toggle or an edit of a shipped mapping is saved the same way as a new one. Nothing
is saved that `validate` reports as an error — the same rules (`destination.lint`), the same
messages, with the file's would-be name; its warnings are shown and, as everywhere, never
stop the save. The raw-FQL box's live check runs those same rules on the trigger alone.

The ingest runs the new set without a restart: before each Tracking API call it compares
the store's mappings version with the one it compiled (an integer; one cheap read), and
recompiles when it moved. Every instance on one shared store compares the same version, so
all of them run the same set from their next call on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from destination.definition.model import Definition
from destination.definition.project import project_path
from destination.definition.subscriptions import Subscription, mapping_files, subscription_from
from destination.errors import FQLSyntaxError
from destination.fql import parser as fql
from destination.lint.checks import Problem, check_text
from destination.lint.explain import Report, explain
from receiver.config import ReceiverConfig
from receiver.core.audit import Actor, changes_between
from receiver.ingest.fanout import Fanout
from receiver.store.config_state import ConfigState, FieldChange, StoredMapping
from receiver.store.lineage import MappingVersion
from receiver.store.recent import RecentMessage

FROM_FILE, FROM_SAVED = "file", "saved"
RECENT_SHOWN = 20


@dataclass(frozen=True)
class MappingEntry:
    """One mapping of the set: where it comes from, its text, and its data."""

    key: str
    text: str
    data: Mapping[str, Any]
    origin: str

    @property
    def name(self) -> str:
        return str(self.data.get("name", self.key))

    @property
    def enabled(self) -> bool:
        return bool(self.data.get("enabled", True))

    @property
    def trigger(self) -> str:
        return str(self.data.get("subscribe", ""))

    @property
    def action(self) -> str:
        return str(self.data.get("partnerAction", ""))

    @property
    def file_name(self) -> str:
        return f"{self.key}.yaml"


def slug(name: str) -> str:
    """A file stem for a mapping's name: `Order Completed → checkout` → `order-completed-checkout`."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:80] or "mapping"


def load_text(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


def fql_problems(query: str) -> list[str]:
    """What Segment's parser says about a trigger (empty when it accepts it)."""
    try:
        fql.parse(query)
    except FQLSyntaxError as exc:
        return [str(exc)]
    return []


TRIGGER_PROBE = "mappings/trigger.yaml"


def trigger_check(query: str, definition: Definition) -> list[Problem]:
    """What Save's check (`validate`'s rules) reports about this trigger: its `fql` error or its warnings."""
    text = f"name: trigger\nsubscribe: {json.dumps(query)}\npartnerAction: event\n"
    return [p for p in check_text(text, TRIGGER_PROBE, definition) if p.rule == "fql" or p.rule.startswith("fql-")]


def errors_of(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


class MappingsService:
    """The mappings of one receiver, shared through its store."""

    def __init__(self, config: ReceiverConfig, state: ConfigState, definition: Definition, fanout: Fanout) -> None:
        self.config = config
        self.state = state
        self.definition = definition
        self.fanout = fanout
        folder = config.mappings_dir or project_path("mappings")
        self.folder = Path(folder)
        self._files = {path.stem: path.read_text(encoding="utf-8") for path in mapping_files(self.folder)}
        self._version = 0

    async def entries(self) -> list[MappingEntry]:
        _, stored = await self.state.mappings()
        return list(self._overlay(stored))

    def _overlay(self, stored: list[StoredMapping]) -> Iterator[MappingEntry]:
        saved = {m.key: m.text for m in stored}
        for key in sorted({*self._files, *saved}):
            origin = FROM_SAVED if key in saved else FROM_FILE
            text = saved[key] if key in saved else self._files[key]
            try:
                data = load_text(text)
            except YAMLError:
                data = None
            yield MappingEntry(key, text, data if isinstance(data, dict) else {}, origin)

    async def entry(self, key: str) -> MappingEntry | None:
        return next((e for e in await self.entries() if e.key == key), None)

    def subscription(self, entry: MappingEntry) -> Subscription:
        return subscription_from(entry.data, self.definition, f"{entry.origin}:{entry.file_name}")

    async def sync_ingest(self) -> None:
        """Recompile the ingest's subscriptions when the stored mappings moved (one integer read otherwise)."""
        if await self.state.mappings_version() == self._version:
            return
        version, stored = await self.state.mappings()
        subscriptions = [self.subscription(entry) for entry in self._overlay(stored) if entry.data]
        self.fanout.use(subscriptions)
        self._version = version

    async def version(self, digest: str) -> tuple[MappingVersion, bool] | None:
        """A mapping version an event names, and whether the ingest runs it now."""
        await self.sync_ingest()
        found = await self.state.mapping_version(digest)
        return None if found is None else (found, self.fanout.versions.running(digest))

    def problems(self, text: str, key: str) -> list[Problem]:
        """What `antavo-actions validate` would report for this text as `mappings/<key>.yaml`."""
        return check_text(
            text, Path("mappings") / f"{key}.yaml", self.definition, multi_accounts=self.config.multi_accounts
        )

    async def save(self, key: str, text: str, actor: Actor, what: str, action: str = "mapping.edit") -> list[Problem]:
        """Store the mapping unless `validate` reports an error (then nothing changes); what it reports either way."""
        found = self.problems(text, key)
        if errors_of(found):
            return found
        before = await self.entry(key)
        changes = _changes(before.data if before else {}, load_text(text))
        entry = actor.entry(action, what, target=key, changes=changes)
        await self.state.save_mapping(StoredMapping(key, text), entry)
        await self.sync_ingest()
        return found

    def has_file(self, key: str) -> bool:
        """True when the mappings folder has this mapping, so removing the saved one reverts to the file."""
        return key in self._files

    def file_text(self, key: str) -> str:
        """The mappings folder's text for `key` (what Revert to file brings back); `has_file` first."""
        return self._files[key]

    async def remove(self, key: str, actor: Actor) -> MappingEntry | None:
        """Delete a saved mapping (a file's mapping reverts to the file); the removed entry, or None if not saved."""
        before = await self.entry(key)
        if before is None or before.origin != FROM_SAVED:
            return None
        reverted = self.has_file(key)
        what = f"Mapping {before.name}: {'reverted to ' + before.file_name if reverted else 'deleted'}"
        after = load_text(self._files[key]) if reverted else {}
        entry = actor.entry("mapping.delete", what, target=key, changes=_changes(before.data, after))
        await self.state.delete_mapping(key, entry)
        await self.sync_ingest()
        return before

    async def recent(self, query: str, limit: int = RECENT_SHOWN) -> list[RecentMessage]:
        """The newest events the ingest accepted that match the trigger (all of them when it does not parse),
        on this instance or, on a shared store, any other."""
        try:
            trigger = fql.parse(query) if query.strip() else None
        except FQLSyntaxError:
            trigger = None
        kept = await self.fanout.recent.recent()
        return [kept for kept in kept if trigger is None or trigger.matches(kept.message)][:limit]

    def test(self, data: Mapping[str, Any], event: Mapping[str, Any]) -> Report:
        """What `antavo-actions map` says for this mapping and event (mapped even when the trigger misses)."""
        sub = subscription_from(data, self.definition, "page")
        return explain(self.definition, sub, event, force=True)


def _changes(before: Mapping[str, Any], after: Any) -> tuple[FieldChange, ...]:
    after = after if isinstance(after, dict) else {}
    keys = ("name", "enabled", "subscribe", "partnerAction", "multi_accounts", "mapping")
    return changes_between({k: before.get(k) for k in keys}, {k: after.get(k) for k in keys})
