"""The one page kit every page route uses: the signed-in session and the permission it needs (`allowed`,
and one alias per permission), rendering with the pages' headers, the sign-in redirect, and the
same-origin and CSRF checks on forms.

The pages sit behind a sign-in (the API key until the store has a user, then users: `pages.sign_in`),
traded for a random session token (see `pages.sessions`); the cookie never holds a secret. Every route
asks `allowed(permission)`, whose roles are `core.roles`'s one table; templates get the session as
`viewer` only to leave out what the role may not do.

Templates are the receiver's own, autoescaped, and every answer carries a Content-Security-Policy that
allows only this site's own scripts and styles, because everything a page shows came from event data, which anyone holding
a Segment write key can fill with markup. Every state-changing form must come from this site
(Origin / Sec-Fetch-Site) and carry the session's CSRF token.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.staticfiles import StaticFiles

from receiver.core.audit import Actor, page_actor
from receiver.core.roles import Permission, refusal
from receiver.errors import error_body
from receiver.pages.forms import read_form_lists
from receiver.pages.nav import PAGES
from receiver.pages.pii import Masker, masker
from receiver.pages.sessions import Session, cookie_name
from receiver.pages.views import show_second
from receiver.routes.deps import BearerToken, Service, SignInDep, config_of, pii_of
from receiver.security import client_address

HERE = Path(__file__).parent.parent
STATIC_PATH = "/static"
MAX_CONFIG_FORM_BYTES = 256 * 1024
MAX_CONFIG_FORM_FIELDS = 600
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

Form = dict[str, list[str]]

templates = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.globals["pages"] = PAGES
templates.filters["show_second"] = show_second


def static_files() -> StaticFiles:
    """The pages' CSS, JS and icon, to mount at `STATIC_PATH`."""
    return StaticFiles(directory=HERE / "static")


def session_cookie(request: Request) -> str:
    """This instance's cookie name (see `sessions.cookie_name`)."""
    return cookie_name(request.url.netloc)


async def signed_in(request: Request, sign_in: SignInDep) -> Session | None:
    """The session of the request's cookie, or None when signed out (see `SignIn.session`)."""
    return await sign_in.session(request.cookies.get(session_cookie(request)))


SignedIn = Annotated[Session | None, Depends(signed_in)]


class PageDenied(Exception):
    """Raised by a route's permission check (`allowed`) with the answer to give instead: the sign-in
    redirect, a 401 for page data, or the 403 page naming what the role may not do."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


async def _denied(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageDenied)
    return exc.response


def install_page_denied(app: Any) -> None:
    """Answer a `PageDenied` with the response it carries (installed by `create_app`)."""
    app.add_exception_handler(PageDenied, _denied)


def allowed(permission: Permission, *, data: bool = False) -> Callable[..., Awaitable[Session]]:
    """The dependency of a page route needing `permission`: the session, else signed out → the
    sign-in redirect (`data`: a 401 JSON answer), signed in without it → 403 (page or JSON)."""

    async def check(request: Request, session: SignedIn) -> Session:
        if session is None:
            raise PageDenied(signed_out_json() if data else to_login(request))
        if not session.may(permission):
            message = refusal(session.role, permission)
            raise PageDenied(json_answer(error_body("FORBIDDEN", message), 403) if data else refused(request, message))
        return session

    return check


Viewer = Annotated[Session, Depends(allowed("view"))]
"""A signed-in session of any role: every read-only page."""
ViewerData = Annotated[Session, Depends(allowed("view", data=True))]
"""The same, for a page's own data (a fragment, a chart): 401 JSON when signed out."""
MappingEditor = Annotated[Session, Depends(allowed("mappings.edit"))]
MappingEditorData = Annotated[Session, Depends(allowed("mappings.edit", data=True))]
SettingsEditor = Annotated[Session, Depends(allowed("settings.edit"))]
Tester = Annotated[Session, Depends(allowed("tester.use"))]
Replayer = Annotated[Session, Depends(allowed("plan.replay"))]
UserManager = Annotated[Session, Depends(allowed("users.manage"))]
AuditReader = Annotated[Session, Depends(allowed("audit.read"))]


async def data_reader(request: Request, session: SignedIn, service: Service, token: BearerToken) -> None:
    """A page's JSON data that is also an API: readable with a page session that may `view`, or, as every
    other JSON API, the API key as `Authorization: Bearer` (the machine, an admin; a wrong one counts as a
    failed attempt, see `ratelimit`). Else 401 naming both, or 403 for a session without `view`."""
    if token is not None and service.api_gate.admit(request, token.credentials):
        return
    if token is not None or session is None:
        raise PageDenied(signed_out_json(bearer=True))
    if not session.may("view"):
        raise PageDenied(json_answer(error_body("FORBIDDEN", refusal(session.role, "view")), 403))


DataReader = Depends(data_reader)
"""As a route's `dependencies=[DataReader]`: it answers nothing, it only refuses."""


def secured(response: Response) -> Response:
    """Any page answer, with the pages' headers (CSP, no framing, no caching)."""
    response.headers.update(PAGE_HEADERS)
    return response


def render_template(template: str, context: Mapping[str, Any], status: int = 200) -> Response:
    """A template with no session behind it (the sign-in form, a refusal)."""
    html = templates.get_template(template).render(static=STATIC_PATH, **context)
    return secured(HTMLResponse(html, status_code=status))


def render(request: Request, template: str, session: Session, status: int = 200, **context: Any) -> Response:
    """A signed-in page: its forms carry the session's CSRF token, and `viewer` (the session) tells the
    templates which actions to offer; the route's permission check is what enforces them."""
    stack = config_of(request).stack
    return render_template(template, {"csrf": session.csrf, "stack": stack, "viewer": session, **context}, status)


def redirect(target: str) -> Response:
    return secured(RedirectResponse(target, status_code=303))


def to_login(request: Request) -> Response:
    """Signed out: to the sign-in form, which comes back here afterwards."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return redirect("/login?" + urlencode({"next": here}))


def signed_out_json(*, bearer: bool = False) -> Response:
    """A data endpoint's answer without a session: 401 in the receiver's one error shape, not a redirect;
    `bearer` when the API key as Bearer would also do."""
    if not bearer:
        return json_answer(error_body("UNAUTHORIZED", "Sign in again."), 401)
    message = "Sign in on the pages, or send the brand API key as 'Authorization: Bearer <key>'."
    answer = json_answer(error_body("UNAUTHORIZED", message), 401)
    answer.headers["WWW-Authenticate"] = "Bearer"
    return answer


def json_answer(body: Any, status: int = 200) -> Response:
    return secured(JSONResponse(body, status_code=status))


def message_page(request: Request, session: Session, status: int, title: str, message: str) -> Response:
    """A signed-in page that only says something: a title and a message (a 404, a refused change, …)."""
    return render(request, "message.html", session, status, title=title, message=message)


def refused(request: Request, message: str, status: int = 403) -> Response:
    context = {"title": "Request refused", "message": message, "stack": config_of(request).stack}
    return render_template("message.html", context, status)


def same_origin(request: Request) -> bool:
    """A form post from this site: browsers send Origin on POST, and a foreign one is refused."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.url.netloc}"


def first(form: Mapping[str, list[str]], name: str, default: str = "") -> str:
    """A form field's first value, or `default` when it was not posted."""
    return (form.get(name) or [default])[0]


async def read_form(request: Request) -> Form | None:
    """A configuration form's fields (every value of each), or None when it is not one or too large."""
    return await read_form_lists(request, MAX_CONFIG_FORM_BYTES, MAX_CONFIG_FORM_FIELDS)


async def checked_form(request: Request, session: Session) -> Form | Response:
    """The posted form when it came from this site with the session's CSRF token, else the refusal page."""
    if not same_origin(request):
        return refused(request, "Configuration forms are accepted from this site only.")
    form = await read_form(request)
    if form is None:
        return refused(request, "Send the form as a URL-encoded form (at most 256 KB).", 400)
    if not session.csrf_matches(next(iter(form.get("csrf") or []), None)):
        return refused(request, "The form's CSRF token is missing or stale: reload the page and try again.")
    return form


def api_key_actor(request: Request) -> Actor:
    """Who acts through a JSON route with the API key as Bearer: the bootstrap admin, from the client's address."""
    return page_actor(None, "admin", client_address(request))


def page_mask(request: Request, session: Session) -> Masker:
    """What this session's page shows of personal data: the plan's PII masked unless the session sees it."""
    return masker(pii_of(request), session.sees_pii)


def actor(request: Request, session: Session) -> Actor:
    """Who acts, for the audit trail: the session's user (or `api key`), its role, the client's address."""
    return page_actor(session.user, session.role, client_address(request))
