"""The receiver's web pages: login, the inbound log and the customer page. Thin on purpose.

The pages sit behind the brand API key, entered once on the login form and traded for a
random session token (see `pages.sessions`); the cookie never holds the key. Every page is
rendered with autoescaping and sent with a Content-Security-Policy that allows only this
site's own scripts and styles, because everything a page shows came from event data, which
anyone holding a Segment write key can fill with markup. What the pages show is built in
`receiver.pages.views`; the session, rendering and form checks are `routes.page_kit`'s.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from receiver.config import ReceiverConfig
from receiver.core import audit
from receiver.errors import ApiError
from receiver.logs.stored import StoredLog
from receiver.pages import views
from receiver.pages.forms import read_form
from receiver.pages.sessions import Session
from receiver.routes.deps import Config, Contract, CustomersDep, LiveSettings, Log, OutLog, Service, Sessions
from receiver.routes.page_kit import (
    json_answer,
    redirect,
    render_template,
    same_origin,
    session_cookie,
    signed_in,
    signed_out_json,
    to_login,
)
from receiver.security import client_address

MAX_FORM_BYTES = 4096
REFRESH_MS = 5000

router = APIRouter(include_in_schema=False)


def _page(template: str, config: ReceiverConfig, session: Session, status: int = 200, **context: Any) -> Response:
    return render_template(template, {"csrf": session.csrf, "stack": config.stack, **context}, status)


def _login_form(config: ReceiverConfig, target: str, error: str | None = None, status: int = 200) -> Response:
    context = {"next": target, "error": error, "configured": config.has_api_key, "stack": config.stack}
    return render_template("login.html", context, status)


def _refused(config: ReceiverConfig, message: str, status: int = 403) -> Response:
    return render_template(
        "message.html", {"title": "Request refused", "message": message, "stack": config.stack}, status
    )


@router.get("/login")
async def login_page(request: Request, config: Config, sessions: Sessions) -> Response:
    target = views.safe_next(request.query_params.get("next"))
    return redirect(target) if await signed_in(request, sessions) else _login_form(config, target)


@router.post("/login")
async def login(request: Request, config: Config, sessions: Sessions, service: Service, live: LiveSettings) -> Response:
    if not same_origin(request):
        return _refused(config, "Sign-in forms are accepted from this site only.")
    form = await read_form(request, MAX_FORM_BYTES, max_fields=8)
    if form is None:
        return _refused(config, "Send the sign-in form as a small URL-encoded form.", 400)
    target = views.safe_next(form.get("next"))
    try:
        admitted = service.api_gate.admit(request, form.get("api_key"))
    except ApiError as exc:
        answer = _login_form(config, target, exc.message, exc.status)
        answer.headers.update(exc.headers)
        return answer
    who = audit.page_actor(None, "admin", client_address(request))
    if not admitted:
        await live.state.append_audit(who.entry("sign_in.failed", "Sign-in refused: wrong API key"))
        return _login_form(config, target, "That API key is not valid.", 401)
    await sessions.revoke(request.cookies.get(session_cookie(request)))
    token, _ = await sessions.create()
    await live.state.append_audit(who.entry("sign_in", "Signed in with the API key"))
    response = redirect(target)
    response.set_cookie(
        session_cookie(request),
        token,
        max_age=int(sessions.ttl_seconds),
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
async def logout(request: Request, config: Config, sessions: Sessions) -> Response:
    token = request.cookies.get(session_cookie(request))
    session = await sessions.get(token)
    if session is not None:
        form = await read_form(request, MAX_FORM_BYTES, max_fields=8)
        if not same_origin(request) or form is None or not session.csrf_matches(form.get("csrf")):
            return _refused(config, "The sign-out form was not sent from this site.")
        await sessions.revoke(token)
    response = redirect("/login")
    response.delete_cookie(session_cookie(request), path="/", httponly=True, samesite="lax")
    return response


async def _log_page(
    request: Request,
    view: views.LogView,
    source: StoredLog,
    config: ReceiverConfig,
    session: Session,
    event_types: tuple[str, ...],
) -> Response:
    query = views.parse_log_form(request.query_params, min_status=view.min_status)
    return _page(
        "logs.html",
        config,
        session,
        view=view,
        query=query,
        data=await views.log_page(source, query, view.path),
        event_types=views.event_type_choices(event_types, query.values.get("event_type")),
        error_choices=views.ERROR_CHOICES,
        page_sizes=views.PAGE_SIZES,
        limit=query.limit,
        default_limit=views.DEFAULT_PAGE_SIZE,
        clear_url=view.path,
        refresh_ms=REFRESH_MS,
        empty_message=views.empty_message(view, config.outbound.enabled),
    )


async def _log_data(request: Request, view: views.LogView, source: StoredLog, session: Session | None) -> Response:
    """The same rows as the page, for its auto-refresh; 401 (not a redirect) when signed out."""
    if session is None:
        return signed_out_json()
    query = views.parse_log_form(request.query_params, min_status=view.min_status)
    return json_answer(await views.log_page(source, query, view.path))


def _event_types(contract: Contract) -> tuple[str, ...]:
    return tuple(action.event_type for action in contract.actions)


@router.get(views.INBOUND_LOG.path)
async def inbound_log_page(
    request: Request, config: Config, contract: Contract, sessions: Sessions, log: Log
) -> Response:
    session = await signed_in(request, sessions)
    if session is None:
        return to_login(request)
    return await _log_page(request, views.INBOUND_LOG, log, config, session, _event_types(contract))


@router.get(views.INBOUND_LOG.path + "/data")
async def inbound_log_data(request: Request, sessions: Sessions, log: Log) -> Response:
    return await _log_data(request, views.INBOUND_LOG, log, await signed_in(request, sessions))


@router.get(views.OUTBOUND_LOG.path)
async def outbound_log_page(
    request: Request, config: Config, contract: Contract, sessions: Sessions, log: OutLog
) -> Response:
    session = await signed_in(request, sessions)
    if session is None:
        return to_login(request)
    return await _log_page(request, views.OUTBOUND_LOG, log, config, session, _event_types(contract))


@router.get(views.OUTBOUND_LOG.path + "/data")
async def outbound_log_data(request: Request, sessions: Sessions, log: OutLog) -> Response:
    return await _log_data(request, views.OUTBOUND_LOG, log, await signed_in(request, sessions))


@router.get(views.CUSTOMERS_PATH + "{customer_id:path}")
async def customer_page(
    request: Request, customer_id: str, config: Config, contract: Contract, sessions: Sessions, customers: CustomersDep
) -> Response:
    session = await signed_in(request, sessions)
    if session is None:
        return to_login(request)
    found = await customers.profile(customer_id)
    if found is None:
        return _page("not_found.html", config, session, 404, customer_id=customer_id)
    customer_id = found.id
    pages = views.page_count(found.event_count, views.HISTORY_PAGE_SIZE)
    number = min(views.small_int(request.query_params.get("page")) or 1, pages)
    offset, limit = views.history_window(found.event_count, number, views.HISTORY_PAGE_SIZE)
    history = await customers.history(customer_id, offset=offset, limit=limit) if limit else None
    if limit and history is None:
        return _page("not_found.html", config, session, 404, customer_id=customer_id)
    model = views.customer_page(
        found,
        history.events if history is not None else [],
        page=number,
        per_page=views.HISTORY_PAGE_SIZE,
        profile_labels=dict(contract.action_by_type("identify").data_properties),
    )
    external_ids = sorted((await customers.external_ids(customer_id)).items())
    return _page("customer.html", config, session, customer=model, external_ids=external_ids)
