"""History pages: `/mappings/{key}/history` and `/settings/history` (versions, diff, restore; see `live.history`).

Viewing needs `view`; restoring a mapping `mappings.edit`, the settings `settings.edit`. A restore is a
form post (same origin, the session's CSRF token) and goes through the normal save path.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from receiver.core.roles import Permission
from receiver.live.history import HistoryService, NoSuchVersion, RestoreRefused
from receiver.pages.history import BadVersion, history_path, history_view, missing, parse_number
from receiver.pages.nav import MAPPINGS_PATH, SETTINGS_PATH
from receiver.pages.sessions import Session
from receiver.routes.deps import History
from receiver.routes.page_kit import (
    MappingEditor,
    SettingsEditor,
    Viewer,
    actor,
    checked_form,
    message_page,
    redirect,
    render,
)

router = APIRouter(include_in_schema=False)


async def _page(
    request: Request,
    session: Session,
    history: HistoryService,
    key: str | None,
    status: int = 200,
    refused: dict[str, Any] | None = None,
) -> Response:
    permission: Permission = "mappings.edit" if key is not None else "settings.edit"
    try:
        context = await history_view(history, key, request.query_params, session.may(permission))
    except BadVersion as bad:
        return message_page(request, session, 400, "Not a version number", f"{bad.field}: {bad.message}.")
    except NoSuchVersion as gone:
        return message_page(request, session, 404, "No such version", missing(gone))
    return render(request, "history.html", session, status, refused=refused, **context)


async def _known(history: HistoryService, key: str) -> bool:
    """A mapping of the set, or one with kept versions (a deleted one can be restored from here)."""
    return await history.mappings.entry(key) is not None or bool(await history.mapping_versions(key, 1))


@router.get(MAPPINGS_PATH + "/{key}/history")
async def mapping_history(request: Request, key: str, history: History, session: Viewer) -> Response:
    if not await _known(history, key):
        return message_page(
            request, session, 404, "No such mapping", f"No mapping {key!r}, and no saved version of one."
        )
    return await _page(request, session, history, key)


@router.get(SETTINGS_PATH + "/history")
async def settings_history(request: Request, history: History, session: Viewer) -> Response:
    await history.settings.refresh()
    return await _page(request, session, history, None)


async def _restore(request: Request, session: Session, history: HistoryService, key: str | None, raw: str) -> Response:
    form = await checked_form(request, session)
    if isinstance(form, Response):
        return form
    try:
        number = parse_number("version", raw)
    except BadVersion as bad:
        return message_page(request, session, 404, "No such version", f"{bad.field}: {bad.message}.")
    assert number is not None  # a path segment is never empty
    by = actor(request, session)
    try:
        if key is None:
            await history.settings.refresh()
            await history.restore_settings(number, by)
        else:
            await history.restore_mapping(key, number, by)
    except NoSuchVersion as gone:
        return message_page(request, session, 404, "No such version", missing(gone))
    except RestoreRefused as refused:
        return await _page(request, session, history, key, 422, {"number": number, "problems": refused.problems})
    return redirect(f"{history_path(key)}?restored={number}")


@router.post(MAPPINGS_PATH + "/{key}/history/{number}/restore")
async def restore_mapping(
    request: Request, key: str, number: str, history: History, session: MappingEditor
) -> Response:
    return await _restore(request, session, history, key, number)


@router.post(SETTINGS_PATH + "/history/{number}/restore")
async def restore_settings(request: Request, number: str, history: History, session: SettingsEditor) -> Response:
    return await _restore(request, session, history, None, number)
