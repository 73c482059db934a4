"""`GET /metrics`: Prometheus' text exposition format, for the monitoring operators already run.

Off unless the settings turn it on (`metrics: true`, or `ANTAVO_METRICS=true`): until then
it answers 404 saying how. When on, a scraper presents the brand API key as a Bearer token
(Prometheus: `authorization: {credentials_file: ...}`), compared in constant time.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from receiver.config import env_name
from receiver.errors import ApiError, unauthorized
from receiver.logs import LogFilter
from receiver.routes.deps import Service
from receiver.web import models
from receiver.web.metrics import ReceiverMetrics

PATH = "/metrics"
_bearer = HTTPBearer(auto_error=False, description="The brand API key, as `Authorization: Bearer <key>`.")

router = APIRouter()


def _metrics(request: Request) -> ReceiverMetrics:
    metrics: ReceiverMetrics | None = getattr(request.app.state, "metrics", None)
    if metrics is None:
        raise ApiError(
            404,
            "METRICS_DISABLED",
            f"Metrics are off: set `metrics: true` in receiver.yaml (or {env_name('metrics')}=true) and restart.",
        )
    return metrics


def _scraper(
    request: Request, service: Service, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> None:
    """The brand API key as a Bearer token, through the same gate as every other door."""
    if not service.api_gate.admit(request, credentials.credentials if credentials is not None else None):
        raise unauthorized("Send the brand API key as 'Authorization: Bearer <key>'.", bearer=True)


@router.get(
    PATH,
    tags=["Health"],
    summary="Prometheus metrics",
    description="Requests, webhook outcomes, ingest and outbound counters, latency histograms and store size, "
    "in Prometheus' text format. Off unless `metrics` is set; needs the API key as a Bearer token.",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}, **models.error_responses(401, 404)},
)
async def metrics(
    request: Request,
    found: Annotated[ReceiverMetrics, Depends(_metrics)],
    _: Annotated[None, Depends(_scraper)],
) -> Response:
    state = request.app.state
    found.store_customers.set(await state.customers.count())
    found.log_entries.set(await state.log.count(LogFilter()))
    found.set_sources(await state.log.sources())
    if found.queue_depth is not None:
        found.queue_depth.set(await state.outbound.outbox.pending())
    return Response(generate_latest(found.registry), media_type=CONTENT_TYPE_LATEST)
