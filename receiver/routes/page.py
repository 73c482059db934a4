"""What the signed-in pages of `routes` share: the session dependency and rendering with the pages' headers.

Sessions are the ones the sign-in form creates (`app.state.sessions`, the store `pages`
uses); templates are the receiver's own, autoescaped, and every answer carries the same
strict Content-Security-Policy as the other pages.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from receiver.config import ReceiverConfig
from receiver.errors import error_body
from receiver.pages.sessions import Session
from receiver.routes.deps import Config, Sessions
from receiver.routes.pages import PAGE_HEADERS, STATIC_PATH, session_cookie
from receiver.routes.pages import templates as _templates


async def _session(request: Request, sessions: Sessions) -> Session | None:
    return await sessions.get(request.cookies.get(session_cookie(request)))


PageSession = Annotated[Session | None, Depends(_session)]
__all__ = ["Config", "PageSession"]


def secured(response: Response) -> Response:
    response.headers.update(PAGE_HEADERS)
    return response


def render(template: str, session: Session, config: ReceiverConfig, status: int = 200, **context: Any) -> Response:
    html = _templates.get_template(template).render(
        static=STATIC_PATH, csrf=session.csrf, stack=config.stack, **context
    )
    return secured(HTMLResponse(html, status_code=status))


def to_login(request: Request) -> Response:
    """Signed out: to the sign-in form, which comes back here afterwards."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return secured(RedirectResponse("/login?" + urlencode({"next": here}), status_code=303))


def signed_out_json() -> Response:
    """A data endpoint's answer without a session: 401 in the receiver's one error shape, not a redirect."""
    return secured(JSONResponse(error_body("UNAUTHORIZED", "Sign in again."), status_code=401))


def same_origin(request: Request) -> bool:
    """A form post from this site: browsers send Origin on POST, and a foreign one is refused."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.url.netloc}"
