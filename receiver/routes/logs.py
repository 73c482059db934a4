"""`GET /v1/logs` and `GET /v1/outbound-logs`: the two logs, with one set of filters (`LogQuery`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from receiver.logs.outbound import OutboundLogPage
from receiver.logs.query import LogQuery
from receiver.routes.deps import AUTHED, Log, OutLog
from receiver.web import models

INBOUND_PATH = "/v1/logs"
OUTBOUND_PATH = "/v1/outbound-logs"
router = APIRouter(tags=["Inspection"], dependencies=AUTHED)
Filters = Annotated[LogQuery, Depends()]


@router.get(
    INBOUND_PATH,
    summary="The inbound log",
    description="One entry per webhook request, accepted or refused, newest first. Bodies are redacted.",
    response_model=models.LogPage,
    responses=models.error_responses(401, 429),
)
async def inbound_log(query: Filters, log: Log) -> dict[str, Any]:
    return await query.page(log)


@router.get(
    OUTBOUND_PATH,
    summary="The outbound log",
    description="One entry per message sent to (or refused for) Segment, newest first.",
    response_model=OutboundLogPage,
    responses=models.error_responses(401, 429),
)
async def outbound_log(query: Filters, log: OutLog) -> dict[str, Any]:
    return await query.page(log)
