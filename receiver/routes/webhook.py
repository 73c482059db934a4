"""`POST <the definition's request path>`: where the destination (and Segment's test events) deliver.

The path and the request body's OpenAPI schema come from the definition and the contract,
which the app knows only when it is built, so `router` makes the router for them around the
one module-level endpoint; the work is the webhook service's.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from receiver import models
from receiver.routes.deps import Service
from receiver.routes.docs import WEBHOOK_DESCRIPTION

TAG = "Segment webhook"


async def segment_webhook(request: Request, service: Service) -> JSONResponse:
    """The raw request goes to the service: it bounds the body's size before reading it."""
    return await service.handle(request)


def router(path: str, openapi_extra: dict[str, Any]) -> APIRouter:
    """The webhook's route at `path` (the definition's `request.path`)."""
    routes = APIRouter(tags=[TAG])
    routes.add_api_route(
        path,
        segment_webhook,
        methods=["POST"],
        summary="Receive one event from the Antavo (Actions) destination",
        description=WEBHOOK_DESCRIPTION,
        status_code=202,
        response_model=models.Accepted,
        responses=models.error_responses(400, 401, 409, 413, 415, 422),
        openapi_extra=openapi_extra,
    )
    return routes
