"""Delivery Overview: `GET /v1/overview` (the API key as Bearer); the page is `routes.overview_page`.

Both answer the same dict (`receiver.pages.overview`): for the window, what was received and where each
item dropped, with a reason code and up to 10 samples per reason, overall and per mapping, and the
outbound sync to Segment.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from receiver.core import test_runs
from receiver.pages import overview
from receiver.pages.overview import OverviewSources
from receiver.routes.deps import AUTHED
from receiver.web import models

PATH = "/v1/overview"
MAX_NAME = 200
WindowName = Literal["15m", "1h", "24h", "7d"]

router = APIRouter(tags=["Inspection"], dependencies=AUTHED)


async def get_overview_sources(request: Request) -> OverviewSources:
    """The app's three logs, its outbox and the mappings its ingest runs."""
    state = request.app.state
    fanout = state.ingest.fanout
    outbox = state.outbound.outbox
    return OverviewSources(
        inbound=state.log,
        duplicates=fanout.duplicates,
        outbound=state.outbound.log,
        queued=outbox.pending if outbox is not None else None,
        mappings=lambda: [subscription.name for subscription in fanout.subscriptions],
    )


OverviewDep = Annotated[OverviewSources, Depends(get_overview_sources)]


@router.get(
    PATH,
    summary="Delivery Overview",
    description="For the window, every received item in exactly one stage — refused at ingest, blocked by the "
    "tracking plan, deduplicated, filtered, routing failed, mapping failed, payload invalid, refused by the "
    "loyalty rules, failed, applied — with a reason code and up to 10 samples per drop, overall and per mapping; "
    "and the outbound sync (queued, retried, delivered, failed). At most `max_entries` entries of each log are "
    "read, newest first; `truncated` says when there were more. `test_run` counts one CI run alone (the outbound "
    "sync is then left out, and a call refused at ingest carries no run).",
    response_model=models.DeliveryOverview,
    responses=models.error_responses(401, 422, 429),
)
async def overview_data(
    sources: OverviewDep,
    window: Annotated[WindowName, Query(description="The time window: 15m, 1h, 24h or 7d.")] = "1h",
    subscription: Annotated[
        str | None, Query(min_length=1, max_length=MAX_NAME, description="One mapping's funnel alone, by its name.")
    ] = None,
    test_run: Annotated[
        str | None, Query(pattern=test_runs.PATTERN, description=f"One test run alone ({test_runs.RULE}).")
    ] = None,
) -> dict[str, Any]:
    return await overview.delivery_overview(sources, window, subscription, test_run=test_run)
