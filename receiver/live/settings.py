"""Antavo's module settings for the Segment integration, changed in the browser and applied at once.

The `/settings` page shows four groups, as Antavo's Management UI does (Modules → Twilio
Segment → Settings): *Customer ID mapping*, *Outbound settings* (Segment write key, Regional
Segment), *Event sync* and *Customer fields sync*. Each is saved on its own.

Where a value comes from, highest first: an `ANTAVO_*` environment variable (it pins the
field: the page shows it and cannot change it), the saved settings (kept by the store's
`ConfigState`, so every instance on a shared store sees them), then `receiver.yaml` (and the
model's defaults). A save is validated by `ReceiverConfig` itself — the schema of
`receiver.yaml` — and each problem is reported at its field. Saved values are applied to the
running receiver through the `listeners` (the outbox takes a new key or region for its next
batch); on a shared store every instance compares the settings version, at most once per
`refresh_seconds`, before it uses them, and every `refresh_seconds` when idle (`start`). Every
change is audited, secrets masked.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import SecretStr, ValidationError

from receiver.config import ReceiverConfig, env_name, env_overrides
from receiver.core.audit import Actor, changes_between
from receiver.periodic import Periodic
from receiver.security import mask
from receiver.store.config_state import AuditEntry, ConfigState, FieldChange

__all__ = ["GROUPS", "MAPPING_CHANGE_NOTE", "Actor", "AuditEntry", "SettingsProblem", "SettingsService", "mask"]

logger = logging.getLogger(__name__)
Kind = Literal["text", "secret", "select", "list"]
FROM_ENV, FROM_SAVED, FROM_FILE = "environment", "saved settings", "receiver.yaml"
REFRESH_SECONDS = 1.0
Listener = Callable[[ReceiverConfig], Awaitable[None]]


@dataclass(frozen=True)
class PageField:
    """One setting on the page: its place in `receiver.yaml` (`outbound.region`), label, help and input kind."""

    key: str
    label: str
    help: str
    kind: Kind = "text"
    choices: tuple[tuple[str, str], ...] = ()

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(self.key.split("."))

    @property
    def input_name(self) -> str:
        return self.key.replace(".", "__")


@dataclass(frozen=True)
class Group:
    """A box of the page with its own Save button."""

    id: str
    title: str
    help: str
    fields: tuple[PageField, ...]


CUSTOMER_ID_ATTRIBUTE = PageField(
    "outbound.user_id_attribute",
    "External customer ID attribute",
    "Leave empty to use the customer ID of the customer in Antavo. Name an attribute to use an external "
    "customer ID instead: it is included in all events sent to and from Antavo — the customer of an "
    "incoming event is the customer holding that ID (created, with its own Antavo ID, when none does), "
    "and the userId of every outgoing message is taken from it.",
)
GROUPS: tuple[Group, ...] = (
    Group(
        "customer-id-mapping",
        "Customer ID mapping",
        "Select which identifier is used as the customer ID in the events sent to and from Antavo: the "
        "customer ID of the customer in Antavo, or an external customer ID stored in a customer attribute.",
        (CUSTOMER_ID_ATTRIBUTE,),
    ),
    Group(
        "outbound-settings",
        "Outbound settings",
        "Where Antavo sends loyalty events and customer changes: the Antavo source in your Segment workspace.",
        (
            PageField(
                "outbound.write_key",
                "Segment write key",
                "The write key of the Antavo source app in your Segment workspace (Source settings → API keys). "
                "It is never shown again once saved.",
                "secret",
            ),
            PageField(
                "outbound.region",
                "Regional Segment",
                "The region of your Segment workspace: events are sent to that region's Tracking API.",
                "select",
                (("us", "United States (Oregon, default)"), ("eu", "Europe (Dublin)")),
            ),
        ),
    ),
    Group(
        "event-sync",
        "Event sync",
        "The built-in and custom events sent to Segment as track calls, one event name per line.",
        (PageField("outbound.events", "Events", "One event name per line, e.g. point_add.", "list"),),
    ),
    Group(
        "customer-fields-sync",
        "Customer fields sync",
        "The customer fields whose changes are sent to Segment as identify calls, one field name per line.",
        (PageField("outbound.customer_fields", "Customer fields", "One field name per line, e.g. email.", "list"),),
    ),
)
FIELDS = {field.key: field for group in GROUPS for field in group.fields}
MAPPING_CHANGE_NOTE = (
    "Changing the mapping with customers already in the store is allowed: nothing stored is rewritten. "
    "When an attribute is named, the customers already holding it are indexed first, so an incoming event "
    "with their value finds them (if two hold the same value, the oldest owns it; the others are listed "
    "here). From then on each incoming customer ID is looked up as an external ID; an ID nobody holds "
    "creates a new customer (its own Antavo ID, the external ID in the attribute). Emptying it makes incoming "
    "IDs Antavo IDs again; the external IDs already assigned are kept and found again when it is set back."
)


def _get(tree: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = tree
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _set(tree: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = tree
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value


def _merge(below: dict[str, Any], above: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(below)
    for key, value in above.items():
        merged[key] = (
            _merge(merged[key], value) if isinstance(value, Mapping) and isinstance(merged.get(key), dict) else value
        )
    return merged


_MISSING = object()


def _plain(config: ReceiverConfig) -> dict[str, Any]:
    """The settings as data with secrets in clear (only ever re-validated, never shown)."""

    def unwrap(value: Any) -> Any:
        if isinstance(value, SecretStr):
            return value.get_secret_value()
        if isinstance(value, dict):
            return {k: unwrap(v) for k, v in value.items()}
        return value

    return unwrap(config.model_dump(mode="python", exclude_unset=False))


class SettingsProblem(Exception):
    """A save that the schema refuses: messages by field key."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


class SettingsService:
    """The receiver's effective settings: startup settings < saved settings < environment."""

    def __init__(
        self,
        base: ReceiverConfig,
        state: ConfigState,
        environ: Mapping[str, str],
        *,
        refresh_seconds: float = REFRESH_SECONDS,
    ) -> None:
        self.base = base
        self.state = state
        self.current = base
        self.listeners: list[Listener] = []
        self._pinned = {
            key: value for key in FIELDS if (value := _get(env_overrides(environ), FIELDS[key].path)) is not _MISSING
        }
        self._saved: dict[str, Any] = {}
        self.skipped: dict[str, str] = {}
        """Saved settings that no longer validate (by dotted path → why): not applied, removed by the next save."""
        self._version = -1
        self._checked = float("-inf")
        self._refresh_seconds = refresh_seconds
        self._rereading: asyncio.Future[None] | None = None
        # A database outage: the next tick tries again, the settings stay as they are.
        failed = "saved settings could not be re-read"
        self._watcher = Periodic("antavo-settings", refresh_seconds, self.refresh, failed=failed)

    def source(self, key: str) -> str:
        if key in self._pinned:
            return FROM_ENV
        return FROM_SAVED if _get(self._saved, FIELDS[key].path) is not _MISSING else FROM_FILE

    def env_var(self, key: str) -> str:
        path = FIELDS[key].path
        return env_name("_".join(path))

    def _effective(self, saved: Mapping[str, Any]) -> ReceiverConfig:
        merged = _merge(_plain(self.base), saved)
        for key, value in self._pinned.items():
            tree: dict[str, Any] = {}
            _set(tree, FIELDS[key].path, value)
            merged = _merge(merged, tree)
        return ReceiverConfig.model_validate(merged)

    def _usable(self, saved: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """The saved settings the schema still accepts, and the skipped ones with the reason.

        Saved settings may stop validating when `receiver.yaml`, the environment or the schema
        change after they were saved (or another version of the receiver saved them): each value
        an error points at is left out, so the rest still applies and the receiver still starts.
        """
        kept = copy.deepcopy(dict(saved)) if isinstance(saved, Mapping) else {}
        skipped: dict[str, str] = {}
        for _ in range(len(FIELDS) + 8):
            try:
                self._effective(kept)
                return kept, skipped
            except ValidationError as exc:
                errors = exc.errors(include_input=False, include_url=False)
            culprits = {_saved_prefix(kept, tuple(map(str, err["loc"]))): err["msg"] for err in errors}
            if None in culprits:  # a rule across settings: no single saved value to blame
                culprits = {path: culprits[None] for path in _leaves(kept)}
            for path, message in culprits.items():
                if path is not None:
                    _delete(kept, path)
                    skipped[".".join(path)] = message
        return {}, {**skipped, **{".".join(path): "not applied" for path in _leaves(kept)}}

    async def load(self) -> None:
        """Read the saved settings and apply them when their version moved (skipping what no longer validates)."""
        version, saved = await self.state.settings()
        self._checked = time.monotonic()
        if version == self._version:
            return
        kept, skipped = self._usable(saved)
        for path, message in skipped.items():
            if path not in self.skipped:
                logger.warning(
                    "saved setting %s no longer validates and is not applied (%s): "
                    "it applies as in receiver.yaml; save its group on /settings to replace it",
                    path,
                    message,
                )
        self._saved, self._version, self.skipped = kept, version, skipped
        effective = self._effective(kept)
        for listener in self.listeners:
            await listener(effective)
        self.current = effective  # published once every listener has applied it: readers never run ahead

    async def refresh(self) -> ReceiverConfig:
        """The current settings, re-read first when another instance may have saved (throttled).

        Callers that arrive while a re-read runs wait for that same one: a `/v1/batch` call's
        messages then all pause at the same point, so none overtakes an earlier one (their writes
        reach the store in the order sent, see `receiver.ingest.fanout`).
        """
        if self._rereading is not None and not self._rereading.done():
            await asyncio.shield(self._rereading)
        elif self.state.shared and time.monotonic() - self._checked >= self._refresh_seconds:
            self._checked = time.monotonic()
            self._rereading = asyncio.ensure_future(self._reread())
            await asyncio.shield(self._rereading)
        return self.current

    async def _reread(self) -> None:
        if await self.state.settings_version() != self._version:
            await self.load()

    def start(self) -> None:
        """On a shared store, re-read the settings every `refresh_seconds` even without traffic: an idle
        instance's outbox may send rows other instances queued, and must use the key they were saved with."""
        if self.state.shared:
            self._watcher.start()

    async def stop(self) -> None:
        await self._watcher.stop()

    def value(self, key: str) -> Any:
        found = _get(_plain(self.current), FIELDS[key].path)
        return None if found is _MISSING else found

    async def save(self, group_id: str, form: Mapping[str, str], actor: Actor) -> list[FieldChange]:
        """Validate one group's form with `receiver.yaml`'s schema, store it, apply it; the changes made."""
        group = next((g for g in GROUPS if g.id == group_id), None)
        if group is None:
            raise SettingsProblem({"group": f"unknown settings group {group_id!r}"})
        saved = copy.deepcopy(self._saved)
        for field in group.fields:
            if field.key in self._pinned:
                continue
            parsed = _parse(field, form)
            if parsed is not _MISSING:
                _set(saved, field.path, parsed)
        what = f"Settings: {group.title}"
        return await self._commit(saved, group.fields, actor, "settings.save", what, group.id)

    async def restore(self, saved: Mapping[str, Any], actor: Actor, what: str) -> list[FieldChange]:
        """Save these whole saved settings (an older version's) through the same checks and audit as a save."""
        fields = tuple(FIELDS.values())
        return await self._commit(copy.deepcopy(dict(saved)), fields, actor, "settings.restore", what, "settings")

    async def _commit(
        self, saved: dict[str, Any], fields: tuple[PageField, ...], actor: Actor, action: str, what: str, target: str
    ) -> list[FieldChange]:
        try:
            candidate = self._effective(saved)
        except ValidationError as exc:
            raise SettingsProblem(_problems(exc)) from None
        before, after = _plain(self.current), _plain(candidate)
        secrets = {field.key for field in fields if field.kind == "secret"}
        old, new = ({f.key: _get(tree, f.path) for f in fields} for tree in (before, after))
        changes = list(changes_between(old, new, secrets))
        dropped = [FieldChange(path, "saved value no longer valid", "removed") for path in self.skipped]
        if not changes and not dropped:
            return []
        entry = actor.entry(action, what, target=target, changes=changes + dropped)
        await self.state.save_settings(saved, entry)
        await self.load()
        return changes + dropped


def _saved_prefix(tree: Mapping[str, Any], loc: tuple[str, ...]) -> tuple[str, ...] | None:
    """The longest start of an error's location that is a saved value (None: the error is not about one)."""
    for end in range(len(loc), 0, -1):
        if _get(tree, loc[:end]) is not _MISSING:
            return loc[:end]
    return None


def _delete(tree: dict[str, Any], path: tuple[str, ...]) -> None:
    parent = _get(tree, path[:-1]) if len(path) > 1 else tree
    if isinstance(parent, dict):
        parent.pop(path[-1], None)
    if len(path) > 1 and _get(tree, path[:-1]) == {}:
        _delete(tree, path[:-1])


def _leaves(tree: Mapping[str, Any], above: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for key, value in tree.items():
        path = (*above, str(key))
        found.extend(_leaves(value, path) if isinstance(value, Mapping) and value else [path])
    return found


def _parse(field: PageField, form: Mapping[str, str]) -> Any:
    """A field's form value as `receiver.yaml` would hold it; `_MISSING` leaves the saved value as it is."""
    raw = form.get(field.input_name)
    if field.kind == "secret":
        if form.get(field.input_name + "__clear") == "on":
            return None
        return raw.strip() if raw and raw.strip() else _MISSING
    if raw is None:
        return _MISSING
    if field.kind == "list":
        return [part.strip() for line in raw.splitlines() for part in line.split(",") if part.strip()]
    return raw.strip() or None


def _problems(exc: ValidationError) -> dict[str, str]:
    """Pydantic's errors by page field (the longest field key that prefixes the error's location)."""
    problems: dict[str, str] = {}
    for err in exc.errors(include_input=False, include_url=False):
        loc = ".".join(str(part) for part in err["loc"])
        key = next((k for k in FIELDS if loc == k or loc.startswith(k + ".")), loc or "settings")
        problems.setdefault(key, err["msg"])
    return problems
