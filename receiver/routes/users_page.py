"""`/users`: the admin's page of users (add with a one-time setup, role, PII access, remove; see `pages.users`).

Every form is a same-origin post with the session's CSRF token, and only a session that may
`users.manage` (an admin) reaches any of it. The one-time setup page is the only page that ever shows a
password, TOTP seed or recovery code: it is answered once, never stored, never cached (no-store).
"""

from __future__ import annotations

from collections.abc import Awaitable
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from receiver.errors import ApiError
from receiver.pages.nav import USERS_PATH
from receiver.pages.sessions import Session
from receiver.routes.deps import Users
from receiver.routes.page_kit import UserManager, actor, checked_form, first, redirect, render

router = APIRouter(include_in_schema=False)


async def _list(request: Request, session: Session, users: Users, status: int = 200, **context: object) -> Response:
    rows = await users.rows()
    return render(request, "users.html", session, status, users=rows, roles=users.roles, **context)


def _done(message: str) -> Response:
    return redirect(USERS_PATH + "?" + urlencode({"done": message}))


@router.get(USERS_PATH)
async def users_page(request: Request, session: UserManager, users: Users) -> Response:
    done = request.query_params.get("done")
    return await _list(request, session, users, done=done[:200] if done else None, error=None)


@router.post(USERS_PATH)
async def add_user_form(request: Request, session: UserManager, users: Users) -> Response:
    form = await checked_form(request, session)
    if isinstance(form, Response):
        return form
    try:
        setup = await users.add(
            first(form, "name"), first(form, "role"), actor(request, session), pii_access=first(form, "pii") == "on"
        )
    except ApiError as exc:
        return await _list(request, session, users, exc.status, done=None, error=exc.message)
    return render(request, "user_setup.html", session, setup=setup)


async def _apply(request: Request, session: Session, users: Users, work: Awaitable[object], done: str) -> Response:
    """Run one change: back to the list saying `done`, or the list again with the refusal's message."""
    try:
        await work
    except ApiError as exc:
        return await _list(request, session, users, exc.status, done=None, error=exc.message)
    return _done(done)


@router.post(USERS_PATH + "/{name}/role")
async def set_role_form(request: Request, name: str, session: UserManager, users: Users) -> Response:
    form = await checked_form(request, session)
    if isinstance(form, Response):
        return form
    role = first(form, "role")
    return await _apply(
        request, session, users, users.set_role(name, role, actor(request, session)), f"{name} is now {role}."
    )


@router.post(USERS_PATH + "/{name}/pii")
async def set_pii_form(request: Request, name: str, session: UserManager, users: Users) -> Response:
    form = await checked_form(request, session)
    if isinstance(form, Response):
        return form
    granted = first(form, "pii") == "on"
    done = f"{name} {'may now see' if granted else 'no longer sees'} PII."
    return await _apply(request, session, users, users.set_pii(name, granted, actor(request, session)), done)


@router.post(USERS_PATH + "/{name}/delete")
async def remove_user_form(request: Request, name: str, session: UserManager, users: Users) -> Response:
    form = await checked_form(request, session)
    if isinstance(form, Response):
        return form
    return await _apply(request, session, users, users.remove(name, actor(request, session)), f"{name} was removed.")
