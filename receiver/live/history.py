"""Versions and rollback of what the pages configure: the diff of two saved versions, and restoring one.

Why: every save of the settings or of a mapping is kept as a numbered version
(`receiver.store.config_versions`); a person must see what changed between two of them and put
an older one back. A restore writes the old text through the normal save path — the same
validation against today's definition and schema, the same audit, and it becomes a new
version itself — so an old version that no longer validates is refused with the same messages
and nothing is saved. Settings versions hold secrets in clear (as the store does): a diff shows
only page fields that are not secrets by value, everything else masked (`settings.mask`).
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any, Literal

from ruamel.yaml.error import YAMLError

from destination.definition.subscriptions import subscription_from
from destination.lint.checks import Problem
from receiver.core.audit import Actor, readable
from receiver.ingest.versions import version_of
from receiver.live.mappings import MappingsService, errors_of, load_text
from receiver.live.settings import FIELDS, SettingsProblem, SettingsService, mask
from receiver.store.config_state import FieldChange
from receiver.store.config_versions import SETTINGS_SUBJECT, ConfigVersion, mapping_subject

__all__ = ["HISTORY_SHOWN", "DiffLine", "HistoryService", "NoSuchVersion", "RestoreRefused", "VersionDiff", "diff"]

HISTORY_SHOWN = 50
RESTORE_MAPPING = "mapping.restore"
LineKind = Literal["head", "hunk", "add", "remove", "same"]


@dataclass(frozen=True)
class DiffLine:
    kind: LineKind
    text: str


@dataclass(frozen=True)
class VersionDiff:
    """What changed from `older` to `newer`: text lines (a mapping) or per-field changes (settings, masked)."""

    older: int | None
    newer: int
    lines: tuple[DiffLine, ...] = ()
    fields: tuple[FieldChange, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.lines and not self.fields


class NoSuchVersion(Exception):
    """The subject has no kept version with this number."""


class RestoreRefused(Exception):
    """A restore that the normal save path refuses (or that changes nothing): the reason, per field."""

    def __init__(self, problems: dict[str, str], lint: list[Problem] | None = None) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems
        self.lint = lint or []


def _leaves(tree: Any, above: str = "") -> dict[str, Any]:
    if not isinstance(tree, dict) or not tree:
        return {above: tree} if above else {}
    found: dict[str, Any] = {}
    for key, value in tree.items():
        found.update(_leaves(value, f"{above}.{key}" if above else str(key)))
    return found


def _shown(key: str, value: Any) -> str:
    """A settings value as a diff may show it: a page field that is not a secret as is, anything else masked."""
    field = FIELDS.get(key)
    if value is _ABSENT:
        return "not saved"
    if field is None or field.kind == "secret":
        return mask(value)
    return readable(value)


_ABSENT = object()


def _settings_of(text: str | None) -> dict[str, Any]:
    try:
        loaded = json.loads(text or "{}")
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def diff(older: ConfigVersion | None, newer: ConfigVersion) -> VersionDiff:
    """The one diff of two versions of a subject (`older` None: from nothing)."""
    number = older.number if older is not None else None
    if newer.subject == SETTINGS_SUBJECT:
        before, after = _leaves(_settings_of(older.text if older else None)), _leaves(_settings_of(newer.text))
        changed = [
            FieldChange(key, _shown(key, before.get(key, _ABSENT)), _shown(key, after.get(key, _ABSENT)))
            for key in sorted({*before, *after})
            if before.get(key, _ABSENT) != after.get(key, _ABSENT)
        ]
        return VersionDiff(number, newer.number, fields=tuple(changed))
    old_lines = (older.text or "").splitlines() if older else []
    new_lines = (newer.text or "").splitlines()
    old_name = f"version {number}" if older is not None else "nothing"
    raw = difflib.unified_diff(old_lines, new_lines, old_name, f"version {newer.number}", lineterm="")
    return VersionDiff(number, newer.number, lines=tuple(_line(text) for text in raw))


def _line(text: str) -> DiffLine:
    if text.startswith(("---", "+++")):
        return DiffLine("head", text)
    if text.startswith("@@"):
        return DiffLine("hunk", text)
    kinds: dict[str, LineKind] = {"+": "add", "-": "remove"}
    return DiffLine(kinds.get(text[:1], "same"), text)


class HistoryService:
    """The saved versions of the settings and the mappings, and their restore through the live services."""

    def __init__(self, settings: SettingsService, mappings: MappingsService) -> None:
        self.settings = settings
        self.mappings = mappings
        self.state = settings.state

    async def versions(
        self, subject: str, limit: int = HISTORY_SHOWN, before: int | None = None
    ) -> list[ConfigVersion]:
        return await self.state.history(subject, limit=limit, before=before)

    async def mapping_versions(self, key: str, limit: int = HISTORY_SHOWN) -> list[ConfigVersion]:
        return await self.versions(mapping_subject(key), limit)

    async def version(self, subject: str, number: int) -> ConfigVersion:
        found = await self.state.version_of(subject, number)
        if found is None:
            raise NoSuchVersion(f"no version {number} of {_subject_name(subject)} is kept")
        return found

    async def ran_as(self, version: ConfigVersion) -> str | None:
        """The digest an event's lineage names for this mapping version, when an event was mapped by it."""
        data = _mapping_data(version.text) if version.text else {}
        try:
            digest = version_of(subscription_from(data, self.mappings.definition)).digest
        except (KeyError, TypeError, ValueError, AttributeError):  # not a mapping today's definition runs
            return None
        return digest if await self.state.mapping_version(digest) is not None else None

    async def diff(self, subject: str, older: int | None, newer: int) -> VersionDiff:
        """The diff between two kept versions (`older` None: the version before `newer`, if any)."""
        new = await self.version(subject, newer)
        if older is None:
            before = await self.state.history(subject, limit=1, before=newer)
            return diff(before[0] if before else None, new)
        return diff(await self.version(subject, older), new)

    async def restore_settings(self, number: int, actor: Actor) -> list[FieldChange]:
        """Save settings version `number` again (audited as `settings.restore`); the changes made."""
        old = await self.version(SETTINGS_SUBJECT, number)
        try:
            changes = await self.settings.restore(_settings_of(old.text), actor, _what(number))
        except SettingsProblem as problem:
            raise RestoreRefused(problem.problems) from None
        if not changes:
            raise RestoreRefused({"settings": f"version {number}'s values are the ones in effect: nothing to restore"})
        return changes

    async def restore_mapping(self, key: str, number: int, actor: Actor) -> list[Problem]:
        """Save mapping version `number` again (audited as `mapping.restore`); `validate`'s warnings."""
        old = await self.version(mapping_subject(key), number)
        if old.text is None:
            raise RestoreRefused(
                {"version": f"version {number} is the mapping's deletion: restore a version with text"}
            )
        data = _mapping_data(old.text)
        what = f"Mapping {data.get('name', key)}: {_what(number)}"
        found = await self.mappings.save(key, old.text, actor, what, RESTORE_MAPPING)
        if errors_of(found):
            problems: dict[str, str] = {}
            for problem in errors_of(found):
                problems[problem.rule] = "; ".join(filter(None, (problems.get(problem.rule), problem.message)))
            raise RestoreRefused(problems, found)
        return found


def _what(number: int) -> str:
    """The audit's words for a restore (its action is `settings.restore` / `mapping.restore`)."""
    return f"restored version {number}"


def _mapping_data(text: str) -> dict[str, Any]:
    try:
        data = load_text(text)
    except YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def _subject_name(subject: str) -> str:
    return "the settings" if subject == SETTINGS_SUBJECT else f"mapping {subject.partition(':')[2]!r}"
