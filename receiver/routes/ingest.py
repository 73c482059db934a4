"""`POST /v1/track`, `/v1/identify` and `/v1/batch`: Segment's Tracking API (see `receiver.ingest.service`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from receiver.ingest.openapi import request_body
from receiver.routes.deps import IngestDep

TAG = "Segment Tracking API"
router = APIRouter(tags=[TAG])


def _responses() -> dict[int | str, dict[str, Any]]:
    refused = {
        "content": {
            "application/json": {
                "example": {
                    "success": False,
                    "code": "INVALID_MESSAGE",
                    "message": "A track call must have 'event', a non-empty string.",
                    "error": {"code": "INVALID_MESSAGE", "message": "…", "field": "event"},
                }
            }
        }
    }
    return {
        200: {"description": "Accepted.", "content": {"application/json": {"example": {"success": True}}}},
        400: {"description": "Too large, not JSON, or a malformed message.", **refused},
        401: {"description": "No write key, a wrong one, or none configured.", **refused},
        422: {"description": "A number too large to be stored (not finite).", **refused},
        429: {"description": "Too many failed authentication attempts from this address.", **refused},
        503: {
            "description": "The store could not take every message (down, or the outbound queue full): send the "
            "call again after `Retry-After`; messages already stored are not applied twice.",
            **refused,
        },
    }


def _route_doc(call: str) -> str:
    return (
        f"Segment's `{call}` call. Authenticate with the write key as the HTTP Basic user name (empty password) "
        "or as `writeKey` in the body. Each accepted message runs through every enabled subscription in "
        "`mappings/` and into the webhook, in process, before the answer is sent; what became of it is in the "
        "inbound log (`GET /v1/logs?id=<messageId>`)."
    )


RESPONSES = _responses()


@router.post(
    "/v1/track",
    summary="Record an action (track)",
    description=_route_doc("track"),
    responses=RESPONSES,
    openapi_extra=request_body("track"),
)
async def track(request: Request, ingest: IngestDep) -> JSONResponse:
    return await ingest.handle(request, "track")


@router.post(
    "/v1/identify",
    summary="Tie a user to traits",
    description=_route_doc("identify"),
    responses=RESPONSES,
    openapi_extra=request_body("identify"),
)
async def identify(request: Request, ingest: IngestDep) -> JSONResponse:
    return await ingest.handle(request, "identify")


@router.post(
    "/v1/batch",
    summary="Send many calls at once (what Segment's libraries send)",
    description=_route_doc("batch") + " A batch is accepted or refused whole.",
    responses=RESPONSES,
    openapi_extra=request_body("batch"),
)
async def batch(request: Request, ingest: IngestDep) -> JSONResponse:
    """The raw request goes to the ingest: it checks the write key before reading the body."""
    return await ingest.handle(request, None)
