"""What the history pages show: a subject's saved versions, the diff of two, and what may be restored.

Why here: the routes stay thin (parse, permission, answer) and one view serves both the
mapping and the settings history. Who and when come from the version (its audit entry);
a settings version's text is never put on a page, only its masked per-field diff.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from receiver.live.history import HISTORY_SHOWN, HistoryService, NoSuchVersion, VersionDiff
from receiver.pages.nav import MAPPINGS_PATH, SETTINGS_PATH
from receiver.pages.views import FieldProblem, mapping_version_url, positive_int, show_second
from receiver.store.config_versions import SETTINGS_SUBJECT, ConfigVersion, mapping_subject

__all__ = ["BadVersion", "history_path", "history_view", "missing", "parse_number"]


BadVersion = FieldProblem
"""A version number in a request that is not one: the field it came in and why (a 400 page)."""


def parse_number(field: str, raw: str | None) -> int | None:
    """A version number from a form, query or path value (None when not given)."""
    return positive_int(field, raw, f"give a version number (1, 2, 3…), not {(raw or '')[:40]!r}", digits=12)


def history_path(key: str | None) -> str:
    """The history page of a mapping (`key`) or of the settings (None)."""
    return f"{MAPPINGS_PATH}/{key}/history" if key is not None else f"{SETTINGS_PATH}/history"


@dataclass(frozen=True)
class Row:
    """One version as the list shows it."""

    number: int
    at: str
    who: str
    what: str
    deleted: bool
    current: bool
    restorable: bool
    ran_as: str | None = None
    """The mapping version page of this text, when an event was mapped by it (its lineage names it)."""


async def _row(service: HistoryService, version: ConfigVersion, newest: int, mapping: bool) -> Row:
    current = version.number == newest
    digest = await service.ran_as(version) if mapping else None
    return Row(
        version.number,
        show_second(version.at),
        version.who or "—",
        version.what,
        version.deleted,
        current,
        not current and not version.deleted,
        mapping_version_url(digest) if digest else None,
    )


async def history_view(
    service: HistoryService, key: str | None, query: Mapping[str, str], may_restore: bool
) -> dict[str, Any]:
    """The template's context for a subject's history, with the diff the query asks for (`from`, `to`).

    Without `to`, the newest version is compared with the one before it. Raises `BadVersion`
    for a number that is not one, `NoSuchVersion` for one that is not kept."""
    subject = mapping_subject(key) if key is not None else SETTINGS_SUBJECT
    before = parse_number("before", query.get("before"))
    newest_kept = await service.versions(subject, 1)
    versions = await service.versions(subject, HISTORY_SHOWN, before)
    older, newer = parse_number("from", query.get("from")), parse_number("to", query.get("to"))
    shown: VersionDiff | None = None
    if newer is not None or older is not None:
        if newer is None:
            raise BadVersion("to", "name the newer version to compare with")
        if older is not None and older >= newer:
            raise BadVersion("from", "pick an older version than the one in 'to'")
        shown = await service.diff(subject, older, newer)
    elif newest_kept:
        shown = await service.diff(subject, None, newest_kept[0].number)
    newest = newest_kept[0].number if newest_kept else 0
    more = len(versions) == HISTORY_SHOWN and versions[-1].number > 1
    return {
        "key": key,
        "title": f"mapping {key}" if key is not None else "the settings",
        "path": history_path(key),
        "back": f"{MAPPINGS_PATH}/{key}/edit" if key is not None else SETTINGS_PATH,
        "rows": [await _row(service, v, newest, key is not None) for v in versions],
        "older": f"{history_path(key)}?before={versions[-1].number}" if more else None,
        "diff": shown,
        "is_settings": key is None,
        "may_restore": may_restore,
        "restored": query.get("restored"),
    }


def missing(error: NoSuchVersion) -> str:
    """The 404 page's message for a version that is not kept."""
    return f"{str(error)[:1].upper()}{str(error)[1:]}: it was never saved, or is older than the versions kept."
