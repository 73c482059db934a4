"""What the configuration pages share: the signed-in session, larger forms with CSRF, rendering.

The session, sign-in redirect, same-origin check and headers are `receiver.routes.page`'s (the
same per-instance cookie, the same per-session CSRF token); this adds the larger multi-value forms. Every state-changing form must come from
this site (Origin / Sec-Fetch-Site) and carry the session's CSRF token.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, Response

from receiver.live.settings import session_label
from receiver.pages.forms import read_form_lists
from receiver.pages.sessions import Session
from receiver.routes.deps import Sessions, config_of
from receiver.routes.page import same_origin, secured, signed_out_json, to_login
from receiver.routes.pages import _redirect, _render, session_cookie

__all__ = ["to_login"]

MAX_CONFIG_FORM_BYTES = 256 * 1024
MAX_CONFIG_FORM_FIELDS = 600

Form = dict[str, list[str]]


async def signed_in(request: Request, sessions: Sessions) -> Session | None:
    """The session of the request's cookie, or None when signed out."""
    return await sessions.get(request.cookies.get(session_cookie(request)))


SignedIn = Annotated[Session | None, Depends(signed_in)]


def redirect(target: str) -> Response:
    return _redirect(target)


def render(request: Request, template: str, session: Session, status: int = 200, **context: Any) -> Response:
    stack = config_of(request).stack
    return _render(template, {"csrf": session.csrf, "stack": stack, **context}, status)


def refused(request: Request, message: str, status: int = 403) -> Response:
    context = {"title": "Request refused", "message": message, "stack": config_of(request).stack}
    return _render("message.html", context, status)


def unauthorized_json() -> Response:
    return signed_out_json()


def json_answer(body: Any, status: int = 200) -> Response:
    return secured(JSONResponse(body, status_code=status))


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


def who(session: Session) -> str:
    return session_label(session.csrf)
