"""A signed-in httpx client for the configuration pages, the CSRF token of a page, and sessions planted
in a receiver's store (as sign-in makes them) for a user with a role."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import httpx

from receiver.core.roles import Role
from receiver.pages.sessions import cookie_name

CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


class Browser:
    """An httpx client that signed in with the API key and posts forms with the session's CSRF token."""

    def __init__(self, base_url: str, api_key: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=10.0)
        answer = self.client.post("/login", data={"api_key": api_key, "next": "/settings"})
        assert answer.status_code == 303, answer.text
        self.csrf = CSRF_FIELD.search(self.client.get("/settings").text).group(1)

    def post(self, path: str, data: dict[str, Any]) -> httpx.Response:
        return self.client.post(path, data={"csrf": self.csrf, **data})

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(path, **kwargs)

    def close(self) -> None:
        self.client.close()


def session_headers(
    receiver: Any, user: str | None, role: Role = "admin", *, pii_access: bool = False
) -> tuple[dict[str, str], str]:
    """The Cookie header of a session planted in `receiver`'s store for `user` with `role` (no user: the
    API key's bootstrap admin), and the session's CSRF token. `receiver` has `base_url`, `app` and `call`."""
    token, session = receiver.call(receiver.app.state.sessions.create(user, role, pii_access=pii_access))
    name = cookie_name(urlsplit(receiver.base_url).netloc)
    return {"Cookie": f"{name}={token}"}, session.csrf


def signed_in_as(receiver: Any, user: str, role: Role, *, pii_access: bool = False) -> tuple[httpx.Client, str]:
    """A client carrying a session planted for `user` with `role`, and the CSRF token its forms carry."""
    headers, csrf = session_headers(receiver, user, role, pii_access=pii_access)
    return httpx.Client(base_url=receiver.base_url, timeout=10.0, headers=headers), csrf
