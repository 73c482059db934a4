"""The receiver's web pages: sign-in, the inbound and outbound logs and the customer page. Thin on purpose.

Signing in trades the API key (before the store has a user) or a user's name, password and TOTP or
recovery code (`receiver.pages.sign_in`) for a random session token (see `pages.sessions`); the cookie
never holds a secret. Every page is rendered with autoescaping and sent with a Content-Security-Policy
that allows only this site's own scripts and styles, because everything a page shows came from event
data, which anyone holding a Segment write key can fill with markup. What the pages show is built in
`receiver.pages.views`; the session, permission checks, rendering and form checks are `routes.page_kit`'s.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from receiver.config import ReceiverConfig
from receiver.core import audit
from receiver.errors import ApiError
from receiver.live.settings import SettingsService
from receiver.logs.stored import StoredLog
from receiver.pages import views
from receiver.pages.forms import read_form
from receiver.pages.sessions import Session
from receiver.pages.sign_in import FAILED
from receiver.routes.deps import (
    Config,
    Contract,
    CustomersDep,
    LiveSettings,
    Log,
    OutLog,
    Sessions,
    SignInDep,
)
from receiver.routes.page_kit import (
    Viewer,
    ViewerData,
    actor,
    api_key_actor,
    json_answer,
    page_mask,
    redirect,
    render,
    render_template,
    same_origin,
    session_cookie,
    signed_in,
)
from receiver.security import client_address

MAX_FORM_BYTES = 4096
REFRESH_MS = 5000

router = APIRouter(include_in_schema=False)


def _login_form(
    config: ReceiverConfig, target: str, users: bool, error: str | None = None, status: int = 200
) -> Response:
    context = {"next": target, "error": error, "users": users, "configured": config.has_api_key, "stack": config.stack}
    return render_template("login.html", context, status)


def _refused(config: ReceiverConfig, message: str, status: int = 403) -> Response:
    return render_template(
        "message.html", {"title": "Request refused", "message": message, "stack": config.stack}, status
    )


async def _signed_in(live: SettingsService, request: Request, session: Session) -> None:
    """The one place a page sign-in is recorded in the audit trail (`sign_in`)."""
    who = actor(request, session)
    what = f"Signed in as {session.user}" if session.user else "Signed in with the API key"
    await live.state.append_audit(who.entry("sign_in", what))


async def _sign_in_failed(live: SettingsService, request: Request, name: str | None) -> None:
    """The one place a refused page sign-in is recorded (`sign_in.failed`): the name tried (None for the
    API key), never the password or code. Attempts the failure guard holds back (429) are not recorded."""
    who = audit.Actor(name, None, client_address(request)) if name else api_key_actor(request)
    what = f"Sign-in refused for {name!r}" if name else "Sign-in refused: wrong API key"
    await live.state.append_audit(who.entry("sign_in.failed", what))


@router.get("/login")
async def login_page(request: Request, config: Config, sign_in: SignInDep) -> Response:
    target = views.safe_next(request.query_params.get("next"))
    if await signed_in(request, sign_in):
        return redirect(target)
    return _login_form(config, target, await sign_in.with_users())


@router.post("/login")
async def login(
    request: Request, config: Config, sessions: Sessions, sign_in: SignInDep, live: LiveSettings
) -> Response:
    """Once the store has a user, only a user signs in here (the API key stays valid as Bearer for the
    JSON APIs); before that the API key signs in as the bootstrap admin."""
    if not same_origin(request):
        return _refused(config, "Sign-in forms are accepted from this site only.")
    form = await read_form(request, MAX_FORM_BYTES, max_fields=8)
    if form is None:
        return _refused(config, "Send the sign-in form as a small URL-encoded form.", 400)
    target = views.safe_next(form.get("next"))
    users = await sign_in.with_users()
    name = form.get("name", "") if users else None
    address = client_address(request)
    try:
        if name is not None:
            made = await sign_in.as_user(address, name, form.get("password", ""), form.get("code", ""))
        else:
            made = await sign_in.as_api_key(address, form.get("api_key"))
    except ApiError as exc:
        answer = _login_form(config, target, users, exc.message, exc.status)
        answer.headers.update(exc.headers)
        return answer
    if made is None:
        await _sign_in_failed(live, request, name)
        return _login_form(config, target, users, FAILED if users else "That API key is not valid.", 401)
    token, session = made
    await _signed_in(live, request, session)
    await sessions.revoke(request.cookies.get(session_cookie(request)))
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
    return render(
        request,
        "logs.html",
        session,
        view=view,
        query=query,
        data=await views.log_page(source, query, view.path, page_mask(request, session)),
        event_types=views.event_type_choices(event_types, query.values.get("event_type")),
        error_choices=views.ERROR_CHOICES,
        page_sizes=views.PAGE_SIZES,
        limit=query.limit,
        default_limit=views.DEFAULT_PAGE_SIZE,
        clear_url=view.path,
        refresh_ms=REFRESH_MS,
        empty_message=views.empty_message(view, config.outbound.enabled),
    )


async def _log_data(request: Request, view: views.LogView, source: StoredLog, session: Session) -> Response:
    """The same rows as the page, for its auto-refresh (401, not a redirect, when signed out: `ViewerData`)."""
    query = views.parse_log_form(request.query_params, min_status=view.min_status)
    return json_answer(await views.log_page(source, query, view.path, page_mask(request, session)))


def _event_types(contract: Contract) -> tuple[str, ...]:
    return tuple(action.event_type for action in contract.actions)


@router.get(views.INBOUND_LOG.path)
async def inbound_log_page(request: Request, config: Config, contract: Contract, session: Viewer, log: Log) -> Response:
    return await _log_page(request, views.INBOUND_LOG, log, config, session, _event_types(contract))


@router.get(views.INBOUND_LOG.path + "/data")
async def inbound_log_data(request: Request, session: ViewerData, log: Log) -> Response:
    return await _log_data(request, views.INBOUND_LOG, log, session)


@router.get(views.OUTBOUND_LOG.path)
async def outbound_log_page(
    request: Request, config: Config, contract: Contract, session: Viewer, log: OutLog
) -> Response:
    return await _log_page(request, views.OUTBOUND_LOG, log, config, session, _event_types(contract))


@router.get(views.OUTBOUND_LOG.path + "/data")
async def outbound_log_data(request: Request, session: ViewerData, log: OutLog) -> Response:
    return await _log_data(request, views.OUTBOUND_LOG, log, session)


@router.get(views.CUSTOMERS_PATH + "{customer_id:path}")
async def customer_page(
    request: Request, customer_id: str, contract: Contract, session: Viewer, customers: CustomersDep
) -> Response:
    found = await customers.profile(customer_id)
    if found is None:
        return render(request, "not_found.html", session, 404, customer_id=customer_id)
    customer_id = found.id
    pages = views.page_count(found.event_count, views.HISTORY_PAGE_SIZE)
    number = min(views.small_int(request.query_params.get("page")) or 1, pages)
    offset, limit = views.history_window(found.event_count, number, views.HISTORY_PAGE_SIZE)
    history = await customers.history(customer_id, offset=offset, limit=limit) if limit else None
    if limit and history is None:
        return render(request, "not_found.html", session, 404, customer_id=customer_id)
    model = views.customer_page(
        found,
        history.events if history is not None else [],
        page=number,
        per_page=views.HISTORY_PAGE_SIZE,
        profile_labels=dict(contract.action_by_type("identify").data_properties),
        mask=(mask := page_mask(request, session)),
    )
    external_ids = sorted(mask.one(await customers.external_ids(customer_id)).items())
    return render(request, "customer.html", session, customer=model, external_ids=external_ids)
