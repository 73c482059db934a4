"""`/`: the dashboard, and the JSON its charts are drawn from; the customer page's balance chart.

Signed in. The figures come from the logs through their query interface (`StoredLog.query`,
time-window filters) and from the store's public reads, summed by the pure functions of
`receiver.dashboard`; `GET /dashboard/data` answers that summary as JSON, and the page draws
its SVG charts from the very same dict, on the server (see `receiver.charts`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from receiver import charts, dashboard
from receiver.core.customers import Customers
from receiver.errors import error_body
from receiver.logs.ring import LogEntry, LogFilter
from receiver.logs.stored import StoredLog
from receiver.routes.deps import CustomersDep
from receiver.routes.page import Config, PageSession, render, secured, signed_out_json, to_login
from receiver.views import LOGS_PATH

DATA_PATH = "/dashboard/data"
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


async def _latest(log: StoredLog, event_type: str) -> LogEntry | None:
    entries = (await log.query(LogFilter(event_type=event_type), limit=1)).entries
    return entries[0] if entries else None


async def summary(state: Any, span: dashboard.Window, now: datetime | None = None) -> dict[str, Any]:
    """The dashboard's figures for one window: what `GET /dashboard/data` answers and the page draws."""
    now = now or datetime.now(UTC)
    since, until = dashboard.bounds(now, span)
    inbound = await window_entries(state.log, since, until)
    duplicates = await window_entries(state.ingest.fanout.duplicates, since, until)
    outbound = state.outbound
    outbox = outbound.outbox
    event_types = list(dict.fromkeys(action.event_type for action in state.service.contract.actions))
    latest = {f"Inbound · {kind}": await _latest(state.log, kind) for kind in event_types}
    latest |= {f"Outbound · {kind}": await _latest(outbound.log, kind) for kind in event_types}
    queue_depth = await outbox.pending() if outbox else None
    outbound_entries = await window_entries(outbound.log, since, until)
    return {
        "generated_at": now.isoformat(),
        "windows": {name: w.label for name, w in dashboard.WINDOWS.items()},
        "inbound": dashboard.inbound_figures([*inbound, *duplicates], now, span, log_path=LOGS_PATH),
        "outbound": dashboard.outbound_figures(outbound_entries, now, span, queue_depth=queue_depth),
        "freshness": dashboard.freshness(latest, now),
    }


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2g} ms"


def draw(data: dict[str, Any]) -> dict[str, Any]:
    """The page's SVG charts, drawn from the summary dict (nothing else)."""
    inbound, outbound = data["inbound"], data["outbound"]
    buckets = inbound["buckets"]
    codes = list(inbound["refused_by_code"])
    outcomes = {
        "applied": inbound["outcomes"]["applied"],
        **inbound["refused_by_code"],
        "mapping_failed": inbound["outcomes"]["mapping_failed"],
        "ignored": inbound["outcomes"]["ignored"],
        "duplicate": inbound["outcomes"]["duplicate"],
    }
    colours = charts.outcome_colours(codes)
    width = inbound["bucket_seconds"] // 60

    def when(index: float) -> str:
        return buckets[min(int(round(index)), len(buckets) - 1)][11:16] if buckets else ""

    latency = {
        name: [(float(i), value) for i, value in enumerate(inbound["latency"][name]) if value is not None]
        for name in ("p50", "p99")
    }
    out_colours = {"delivered": "#0f7a3f", "failed": "#b42318", "retries": "#9a5b00"}
    return {
        "outcomes": charts.stacked_bars(f"Events per {width} min by outcome", buckets, outcomes, colours),
        "outcome_legend": charts.legend(list(outcomes), colours),
        "latency": charts.lines(
            "Webhook latency p50 / p99", latency, x_range=(0, max(len(buckets) - 1, 1)), x_label=when, y_text=_ms
        ),
        "latency_legend": charts.legend(["p50", "p99"], charts.line_colours(["p50", "p99"])),
        "outbound": charts.stacked_bars(
            f"Outbound messages per {width} min",
            buckets,
            {name: outbound["series"][name] for name in ("delivered", "failed")},
            out_colours,
        ),
        "retries": charts.stacked_bars(
            f"Outbound retries per {width} min", buckets, {"retries": outbound["series"]["retries"]}, out_colours
        ),
        "outbound_legend": charts.legend(["delivered", "failed", "retries"], out_colours),
    }


@router.get("/")
async def dashboard_page(request: Request, session: PageSession, config: Config) -> Response:
    if session is None:
        return to_login(request)
    span = dashboard.window(request.query_params.get("window"))
    data = await summary(request.app.state, span)
    return render("dashboard.html", session, config, span=span, data=data, charts=draw(data), data_path=DATA_PATH)


@router.get(DATA_PATH)
async def dashboard_data(request: Request, session: PageSession) -> Response:
    """The summary the page draws; 401 (not a redirect) when signed out."""
    if session is None:
        return signed_out_json()
    return secured(JSONResponse(await summary(request.app.state, dashboard.window(request.query_params.get("window")))))


async def _balances(customers: Customers, customer_id: str) -> dict[str, Any] | None:
    found = await customers.history(customer_id, offset=0, limit=MAX_HISTORY)
    if found is None:
        return None
    return {"customer_id": customer_id, "events": found.total, "balances": dashboard.balance_series(found.events)}


@router.get(BALANCES_PATH)
async def balances_data(request: Request, session: PageSession, customers: CustomersDep) -> Response:
    """Each account's balance after each event that moved it: what the customer page's chart draws."""
    if session is None:
        return signed_out_json()
    data = await _balances(customers, request.query_params.get("customer_id") or "")
    if data is None:
        body = error_body("CUSTOMER_NOT_FOUND", "No customer with this ID.", "customer_id")
        return secured(JSONResponse(body, status_code=404))
    return secured(JSONResponse(data))


@router.get(BALANCES_PATH + ".svg")
async def balances_chart(request: Request, session: PageSession, customers: CustomersDep) -> Response:
    """The balance-over-time chart as an SVG image (the customer page shows it with `<img>`)."""
    if session is None:
        return signed_out_json()
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
