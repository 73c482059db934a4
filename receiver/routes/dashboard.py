"""`/`: the dashboard, and the JSON its charts are drawn from; the customer page's balance chart.

Signed in. The figures come from the logs through their query interface (`StoredLog.query`,
time-window filters) and from the store's public reads, summed by the pure functions of
`receiver.pages.dashboard`; `GET /dashboard/data` answers that summary as JSON, and the page draws
its SVG charts from the very same dict, on the server (see `receiver.pages.charts`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from receiver.core.customers import Customers
from receiver.errors import error_body
from receiver.logs import LogEntry, LogFilter
from receiver.logs.sources import SEGMENT, WEBHOOK
from receiver.logs.stored import StoredLog
from receiver.pages import charts, dashboard
from receiver.pages.views import LOGS_PATH
from receiver.pages.violations import plan_violations
from receiver.routes.deps import CustomersDep, DashboardDep, DashboardSources
from receiver.routes.page_kit import DataReader, Viewer, ViewerData, render, secured

DATA_PATH = "/dashboard/data"
FRAGMENT_PATH = "/dashboard/fragment"
REFRESH_SECONDS, DAY_REFRESH_SECONDS, MIN_REFRESH_SECONDS, MAX_REFRESH_SECONDS = 10, 60, 1, 3600
"""Auto-refresh: every 10 s over minute bars; every minute over the day's 5-minute bars (a day's sums cost more)."""
BALANCES_PATH = "/dashboard/balances"
PAGE = 1000
MAX_ENTRIES = 200_000
MAX_HISTORY = 10_000

router = APIRouter(include_in_schema=False)


async def window_entries(log: StoredLog, since: datetime, until: datetime) -> list[LogEntry]:
    """Every entry of [since, until), through the log's paginated query (bounded)."""
    where = LogFilter(since=since, until=until)
    found: list[LogEntry] = []
    cursor = None
    while len(found) < MAX_ENTRIES:
        page = await log.query(where, limit=PAGE, cursor=cursor)
        found += page.entries
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    return found


async def _latest(log: StoredLog, event_type: str) -> datetime | None:
    entries = (await log.query(LogFilter(event_type=event_type), limit=1)).entries
    return entries[0].timestamp if entries else None


async def summary(state: DashboardSources, span: dashboard.Window, now: datetime | None = None) -> dict[str, Any]:
    """The dashboard's figures for one window: what `GET /dashboard/data` answers and the page draws."""
    now = now or datetime.now(UTC)
    since, until = dashboard.bounds(now, span)
    inbound = await window_entries(state.inbound, since, until)
    duplicates = await window_entries(state.duplicates, since, until)
    outbound = state.outbound
    outbox = outbound.outbox
    event_types = list(dict.fromkeys(action.event_type for action in state.contract.actions))
    sent = {f"To Segment · {kind}": await _latest(outbound.log, kind) for kind in event_types}
    seen = [await state.inbound.sources(), await state.duplicates.sources()]
    queue_depth = await outbox.pending() if outbox else None
    history = state.queue_depth.series(since, span.bucket_seconds, span.seconds // span.bucket_seconds)
    outbound_entries = await window_entries(outbound.log, since, until)
    return {
        "generated_at": now.isoformat(),
        "windows": {name: w.label for name, w in dashboard.WINDOWS.items()},
        "inbound": dashboard.inbound_figures([*inbound, *duplicates], now, span, log_path=LOGS_PATH),
        "outbound": dashboard.outbound_figures(
            outbound_entries, now, span, queue_depth=queue_depth, queue_history=history
        ),
        "freshness": dashboard.source_freshness(seen, now, always=(WEBHOOK, SEGMENT)),
        "outbound_freshness": dashboard.freshness(sent, now),
        "plan_violations": plan_violations(inbound, log_path=LOGS_PATH),
    }


def _ms(seconds: float) -> str:
    """An axis tick in milliseconds, as a person writes it: `250 ms`, `1,000 ms`, `0.5 ms` (never `1e+03`)."""
    ms = seconds * 1000
    return f"{ms:,.0f} ms" if ms >= 10 or ms == 0 else f"{ms:.2g} ms"


def draw(data: dict[str, Any]) -> dict[str, Any]:
    """The page's SVG charts, drawn from the summary dict (nothing else)."""
    inbound, outbound = data["inbound"], data["outbound"]
    buckets = inbound["buckets"]
    codes = list(inbound["refused_by_code"])
    rates = inbound["per_minute"]
    outcomes = {
        "applied": rates["outcomes"]["applied"],
        **rates["refused_by_code"],
        "mapping_failed": rates["outcomes"]["mapping_failed"],
        "ignored": rates["outcomes"]["ignored"],
        "duplicate": rates["outcomes"]["duplicate"],
    }
    colours = charts.outcome_colours(codes)

    def when(index: float) -> str:
        return buckets[min(int(round(index)), len(buckets) - 1)][11:16] if buckets else ""

    latency = {
        name: [(float(i), value) for i, value in enumerate(inbound["latency"][name]) if value is not None]
        for name in ("p50", "p99")
    }
    out_colours = {"delivered": "#0f7a3f", "failed": "#b42318", "retries": "#9a5b00"}
    depth = outbound["queue_depth_series"] or {"peak": []}
    queue = {"peak": [(float(i), float(value)) for i, value in enumerate(depth["peak"]) if value is not None]}
    per_min = "events / min"
    return {
        "outcomes": charts.stacked_bars("Events per minute by outcome", buckets, outcomes, colours, unit=per_min),
        "outcome_legend": charts.legend(list(outcomes), colours),
        "latency": charts.lines(
            "Webhook latency p50 / p99", latency, x_range=(0, max(len(buckets) - 1, 1)), x_label=when, y_text=_ms
        ),
        "latency_legend": charts.legend(["p50", "p99"], charts.line_colours(["p50", "p99"])),
        "outbound": charts.stacked_bars(
            "Outbound messages per minute",
            buckets,
            {name: outbound["per_minute"][name] for name in ("delivered", "failed")},
            out_colours,
            unit="messages / min",
        ),
        "retries": charts.stacked_bars(
            "Outbound retries per minute",
            buckets,
            {"retries": outbound["per_minute"]["retries"]},
            out_colours,
            unit="retries / min",
        ),
        "queue": charts.lines(
            "Outbound queue depth (peak per bucket)",
            queue,
            x_range=(0, max(len(buckets) - 1, 1)),
            x_label=when,
            unit="messages queued",
        ),
        "outbound_legend": charts.legend(["delivered", "failed", "retries"], out_colours),
    }


def refresh_seconds(given: str | None, span: dashboard.Window) -> int:
    """The auto-refresh period: `?refresh=N` seconds, kept within [MIN, MAX]; the window's default otherwise."""
    default = REFRESH_SECONDS if span.bucket_seconds <= 60 else DAY_REFRESH_SECONDS
    try:
        seconds = int(given) if given else default
    except ValueError:
        seconds = default
    return min(max(seconds, MIN_REFRESH_SECONDS), MAX_REFRESH_SECONDS)


@router.get("/")
async def dashboard_page(request: Request, session: Viewer, sources: DashboardDep) -> Response:
    span = dashboard.window(request.query_params.get("window"))
    data = await summary(sources, span)
    return render(
        request,
        "dashboard.html",
        session,
        span=span,
        data=data,
        charts=draw(data),
        data_path=DATA_PATH,
        fragment_path=FRAGMENT_PATH,
        refresh=refresh_seconds(request.query_params.get("refresh"), span),
    )


@router.get(FRAGMENT_PATH)
async def dashboard_fragment(request: Request, session: ViewerData, sources: DashboardDep) -> Response:
    """The page's figures and charts alone (what `dashboard.js` swaps in every few seconds); 401 signed out."""
    span = dashboard.window(request.query_params.get("window"))
    data = await summary(sources, span)
    return render(request, "_dashboard_body.html", session, span=span, data=data, charts=draw(data))


@router.get(DATA_PATH, dependencies=[DataReader])
async def dashboard_data(request: Request, sources: DashboardDep) -> Response:
    """The summary the page draws; 401 (not a redirect) without a session or the API key as Bearer."""
    return secured(JSONResponse(await summary(sources, dashboard.window(request.query_params.get("window")))))


async def _balances(customers: Customers, customer_id: str) -> dict[str, Any] | None:
    found = await customers.history(customer_id, offset=0, limit=MAX_HISTORY)
    if found is None:
        return None
    return {"customer_id": customer_id, "events": found.total, "balances": dashboard.balance_series(found.events)}


@router.get(BALANCES_PATH, dependencies=[DataReader])
async def balances_data(request: Request, customers: CustomersDep) -> Response:
    """Each account's balance after each event that moved it: what the customer page's chart draws."""
    data = await _balances(customers, request.query_params.get("customer_id") or "")
    if data is None:
        body = error_body("CUSTOMER_NOT_FOUND", "No customer with this ID.", "customer_id")
        return secured(JSONResponse(body, status_code=404))
    return secured(JSONResponse(data))


@router.get(BALANCES_PATH + ".svg")
async def balances_chart(request: Request, _: ViewerData, customers: CustomersDep) -> Response:
    """The balance-over-time chart as an SVG image (the customer page shows it with `<img>`)."""
    data = await _balances(customers, request.query_params.get("customer_id") or "")
    series = data["balances"] if data else {}
    times = [datetime.fromisoformat(t).timestamp() for points in series.values() for t, _ in points]
    low, high = (min(times), max(times)) if times else (0.0, 1.0)
    svg = charts.lines(
        "Balance over time per account",
        {
            account: [(datetime.fromisoformat(t).timestamp(), float(v)) for t, v in points]
            for account, points in series.items()
        },
        x_range=(low, high if high > low else low + 1),
        x_label=lambda x: datetime.fromtimestamp(x, UTC).strftime("%m-%d %H:%M"),
        step=True,
    )
    return secured(Response(str(svg), media_type="image/svg+xml", status_code=200 if data else 404))
