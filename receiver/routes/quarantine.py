"""`/v1/quarantine`: the messages the tracking plan blocked, listed and replayed with the API key as a
Bearer token (the page beside the inbound log is `routes.quarantine_page`). What a replay does is
`receiver.ingest.replay`'s."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from receiver.pages.views import logs_url
from receiver.routes.deps import AUTHED, QuarantineDep
from receiver.routes.page_kit import api_key_actor
from receiver.web import models

API_PATH = "/v1/quarantine"
MessageId = Annotated[str, Path(description="The quarantined message's `messageId`.")]
router = APIRouter(tags=["Inspection"], dependencies=AUTHED)


def item(kept: Any) -> dict[str, Any]:
    """A kept message as the API and the page show it, with a link to its log entries."""
    return {**kept.public(), "log_url": logs_url({"id": kept.message_id})}


@router.get(
    API_PATH,
    summary="The quarantine",
    description="The messages the tracking plan blocked (policy `block`), newest first, with their violations.",
    response_model=models.QuarantinePage,
    responses=models.error_responses(401, 429),
)
async def quarantine_list(quarantine: QuarantineDep) -> dict[str, Any]:
    kept, count = await quarantine.listed()
    return {"count": count, "items": [item(one) for one in kept]}


@router.post(
    API_PATH + "/{message_id}/replay",
    summary="Replay a quarantined message",
    description="Checks the message against the tracking plan as it is now (the file is read again if it "
    "changed) and delivers it if it passes; still violating, it stays in the quarantine with the new "
    "violations. A message is delivered once: a second replay finds nothing (404).",
    response_model=models.ReplayAnswer,
    responses=models.error_responses(401, 404, 429),
)
async def quarantine_replay(request: Request, message_id: MessageId, quarantine: QuarantineDep) -> dict[str, Any]:
    answer = await quarantine.replay(message_id, api_key_actor(request))
    return {**answer, "verdict_url": "/v1/messages/" + message_id}


@router.post(
    API_PATH + "/{message_id}/drop",
    summary="Drop a quarantined message",
    description="Takes the message out of the quarantine without delivering it (recorded in the audit trail). "
    "A second drop finds nothing (404).",
    response_model=models.DropAnswer,
    responses=models.error_responses(401, 404, 429),
)
async def quarantine_drop(request: Request, message_id: MessageId, quarantine: QuarantineDep) -> dict[str, Any]:
    dropped = await quarantine.drop(message_id, api_key_actor(request))
    return {"message_id": dropped.message_id, "dropped": True}
