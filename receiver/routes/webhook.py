"""`POST <the definition's request path>`: where the destination (and Segment's test events) deliver.

The path and the request body's OpenAPI schema come from the definition and the contract,
which the app knows only when it is built, so `router` makes the router for them around the
one module-level endpoint; the work is the webhook service's.

`DirectWebhook` hands a POST to that path straight to the same service, past FastAPI's
routing and dependency solving: the endpoint has one dependency and answers every error
itself, and that machinery cost more per request than the webhook's own checks
(`bench/profile_receiver.py`). The route stays declared, for the API docs, for the metrics'
route label, and for every other method (405) — and it is used whenever a test overrides a
dependency.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from receiver.routes.deps import Service
from receiver.routes.docs import WEBHOOK_DESCRIPTION
from receiver.web import models

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
        responses=models.error_responses(400, 401, 409, 413, 415, 422, 429),
        openapi_extra=openapi_extra,
    )
    return routes


class DirectWebhook:
    """ASGI middleware: a POST to the webhook's path goes to the webhook service directly."""

    def __init__(self, app: ASGIApp, *, owner: FastAPI, route: BaseRoute, path: str) -> None:
        self.app = app
        self.owner = owner
        self.route = route
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"] == scope.get("root_path", "") + self.path
            and not self.owner.dependency_overrides
        ):
            scope["route"] = self.route  # what routing would have set (the metrics' label)
            request = Request(scope, receive, send)
            response = await self.owner.state.service.handle(request)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
