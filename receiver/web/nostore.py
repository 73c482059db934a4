"""`Cache-Control: no-store` on every answer that may carry customer data.

Balances, profiles, log entries and error messages about customers must not be kept by a
browser or a shared cache. Every answer gets the header unless it sets its own; only the
static assets (the pages' CSS/JS and Swagger UI's), which hold no data, may be cached.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CACHEABLE_PREFIXES = ("/static/", "/docs-assets/")


class NoStore:
    """ASGI middleware adding `Cache-Control: no-store` where no Cache-Control was set."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith(CACHEABLE_PREFIXES):
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, sending)
