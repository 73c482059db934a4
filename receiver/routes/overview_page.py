"""`/overview`: the Delivery Overview drawn for a person (signed in), from the very dict `GET /v1/overview`
answers (`receiver.pages.overview`): a funnel per mapping, a bar and a count per stage, the reasons of each
drop, and their samples folded until opened, each linking to the message's log entry."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from receiver.pages import dashboard, overview
from receiver.pages.nav import OVERVIEW_PATH
from receiver.routes.overview import MAX_NAME, OverviewDep
from receiver.routes.page_kit import Viewer, render

router = APIRouter(include_in_schema=False)


@router.get(OVERVIEW_PATH)
async def overview_page(request: Request, session: Viewer, sources: OverviewDep) -> Response:
    """An unknown window gets the default (it came from a URL), as on the dashboard."""
    window = dashboard.window(request.query_params.get("window")).name
    subscription = (request.query_params.get("subscription") or "")[:MAX_NAME] or None
    data = await overview.delivery_overview(sources, window, subscription)
    return render(request, "overview.html", session, data=data, meter=overview.meter, page_path=OVERVIEW_PATH)
