"""Delivery Overview: `GET /v1/overview` (the API key as Bearer) and the `/overview` page (signed in).

Both answer the same dict (`receiver.pages.overview`): for the window, what was received and where each
item dropped, with a reason code and up to 10 samples per reason, overall and per mapping, and the
outbound sync to Segment.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from receiver.core import test_runs
from receiver.pages import overview
from receiver.pages.overview import OverviewSources
from receiver.routes.deps import AUTHED
from receiver.routes.page_kit import PageSession, render, to_login
from receiver.web import models

PATH = "/v1/overview"
PAGE_PATH = "/overview"
MAX_NAME = 200
WindowName = Literal["15m", "1h", "24h", "7d"]

api = APIRouter(tags=["Inspection"], dependencies=AUTHED)
page = APIRouter(include_in_schema=False)


def sources_of(request: Request) -> OverviewSources:
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


@api.get(
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
    request: Request,
    window: Annotated[WindowName, Query(description="The time window: 15m, 1h, 24h or 7d.")] = "1h",
    subscription: Annotated[
        str | None, Query(min_length=1, max_length=MAX_NAME, description="One mapping's funnel alone, by its name.")
    ] = None,
    test_run: Annotated[
        str | None, Query(pattern=test_runs.PATTERN, description=f"One test run alone ({test_runs.RULE}).")
    ] = None,
) -> dict[str, Any]:
    return await overview.delivery_overview(sources_of(request), window, subscription, test_run=test_run)


@page.get(PAGE_PATH)
async def overview_page(request: Request, session: PageSession) -> Response:
    """The funnels drawn: a bar and a count per stage, the reasons of each drop, their samples expandable."""
    if session is None:
        return to_login(request)
    given = request.query_params.get("window") or ""
    window = given if given in overview.WINDOWS else overview.DEFAULT_WINDOW
    subscription = (request.query_params.get("subscription") or "")[:MAX_NAME] or None
    data = await overview.delivery_overview(sources_of(request), window, subscription)
    return render(request, "overview.html", session, data=data, meter=overview.meter, page_path=PAGE_PATH)


router = APIRouter()
router.include_router(api)
router.include_router(page)
