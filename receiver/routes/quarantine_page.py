"""`/logs/quarantine`: the messages the tracking plan blocked, beside the inbound log, each with a Replay
and a Drop button (each a form from this site with the session's CSRF token, `page_kit.checked_form`); the outcome is
shown on the page it comes back to. What a replay does is `receiver.ingest.replay`'s."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from receiver.errors import ApiError
from receiver.pages.pii import Masker
from receiver.pages.sessions import Session
from receiver.pages.views import LOGS_PATH
from receiver.routes.deps import QuarantineDep
from receiver.routes.page_kit import Replayer, Viewer, actor, checked_form, first, page_mask, redirect, render
from receiver.routes.quarantine import item

PAGE_PATH = LOGS_PATH + "/quarantine"
router = APIRouter(include_in_schema=False)


def _shown(kept: Any, mask: Masker) -> dict[str, Any]:
    """A kept message as the page shows it: its PII masked, and in the violations that quote it."""
    shown = item(kept)
    message, violations = mask(shown["message"], shown["violations"])
    return {**shown, "message": message, "violations": violations}


@router.get(PAGE_PATH)
async def quarantine_page(request: Request, session: Viewer, quarantine: QuarantineDep) -> Response:
    kept, count = await quarantine.listed()
    done = {key: request.query_params.get(key) for key in ("replayed", "outcome", "problem")}
    mask = page_mask(request, session)
    items = [_shown(one, mask) for one in kept]
    return render(request, "quarantine.html", session, items=items, count=count, done=done, pii_hidden=mask.notice)


async def _act(request: Request, session: Session, quarantine: QuarantineDep, replay: bool) -> Response:
    """One kept message replayed or dropped, then back to the page saying how it went."""
    form = await checked_form(request, session)
    if isinstance(form, Response):
        return form
    message_id = first(form, "message_id")
    by = actor(request, session)
    try:
        outcome = (await quarantine.replay(message_id, by))["outcome"] if replay else "dropped"
        if not replay:
            await quarantine.drop(message_id, by)
    except ApiError as exc:
        return redirect(PAGE_PATH + "?" + urlencode({"replayed": message_id, "problem": exc.message}))
    return redirect(PAGE_PATH + "?" + urlencode({"replayed": message_id, "outcome": outcome}))


@router.post(PAGE_PATH + "/replay")
async def quarantine_replay_form(request: Request, session: Replayer, quarantine: QuarantineDep) -> Response:
    return await _act(request, session, quarantine, replay=True)


@router.post(PAGE_PATH + "/drop")
async def quarantine_drop_form(request: Request, session: Replayer, quarantine: QuarantineDep) -> Response:
    return await _act(request, session, quarantine, replay=False)
