"""The quarantine: the messages the tracking plan blocked, listed and replayed, as a page beside the
inbound log (`/logs/quarantine`, its Replay buttons forms with the session's CSRF token) and as JSON
for the API key (`/v1/quarantine`). What a replay does is `receiver.ingest.replay`'s."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from receiver.errors import ApiError
from receiver.pages.views import LOGS_PATH, logs_url
from receiver.routes.deps import AUTHED, QuarantineDep, Sessions
from receiver.routes.page_kit import checked_form, redirect, render, signed_in, to_login
from receiver.web import models

PAGE_PATH = LOGS_PATH + "/quarantine"
API_PATH = "/v1/quarantine"
MessageId = Annotated[str, Path(description="The quarantined message's `messageId`.")]
router = APIRouter()
api = APIRouter(tags=["Inspection"], dependencies=AUTHED)


def _item(kept: Any) -> dict[str, Any]:
    return {**kept.public(), "log_url": logs_url({"id": kept.message_id})}


@api.get(
    API_PATH,
    summary="The quarantine",
    description="The messages the tracking plan blocked (policy `block`), newest first, with their violations.",
    response_model=models.QuarantinePage,
    responses=models.error_responses(401, 429),
)
async def quarantine_list(quarantine: QuarantineDep) -> dict[str, Any]:
    kept, count = await quarantine.listed()
    return {"count": count, "items": [_item(item) for item in kept]}


@api.post(
    API_PATH + "/{message_id}/replay",
    summary="Replay a quarantined message",
    description="Checks the message against the tracking plan as it is now (the file is read again if it "
    "changed) and delivers it if it passes; still violating, it stays in the quarantine with the new "
    "violations. A message is delivered once: a second replay finds nothing (404).",
    response_model=models.ReplayAnswer,
    responses=models.error_responses(401, 404, 429),
)
async def quarantine_replay(message_id: MessageId, quarantine: QuarantineDep) -> dict[str, Any]:
    answer = await quarantine.replay(message_id)
    return {**answer, "verdict_url": "/v1/messages/" + message_id}


@router.get(PAGE_PATH, include_in_schema=False)
async def quarantine_page(request: Request, sessions: Sessions, quarantine: QuarantineDep) -> Response:
    session = await signed_in(request, sessions)
    if session is None:
        return to_login(request)
    kept, count = await quarantine.listed()
    done = {key: request.query_params.get(key) for key in ("replayed", "outcome", "problem")}
    return render(request, "quarantine.html", session, items=[_item(item) for item in kept], count=count, done=done)


@router.post(PAGE_PATH + "/replay", include_in_schema=False)
async def quarantine_replay_form(request: Request, sessions: Sessions, quarantine: QuarantineDep) -> Response:
    session = await signed_in(request, sessions)
    if session is None:
        return to_login(request)
    form = await checked_form(request, session)
    if isinstance(form, Response):
        return form
    message_id = next(iter(form.get("message_id") or []), "")
    try:
        answer = await quarantine.replay(message_id)
    except ApiError as exc:
        return redirect(PAGE_PATH + "?" + urlencode({"replayed": message_id, "problem": exc.message}))
    return redirect(PAGE_PATH + "?" + urlencode({"replayed": message_id, "outcome": answer["outcome"]}))
