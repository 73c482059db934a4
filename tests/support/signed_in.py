"""A signed-in httpx client for the configuration pages, and the CSRF token of a page."""

from __future__ import annotations

import re
from typing import Any

import httpx

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
