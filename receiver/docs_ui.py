"""`/docs`: Swagger UI served from the installed package, under a strict Content-Security-Policy.

The page used to load Swagger UI from a CDN, without integrity checks, on the same origin as
the signed-in pages: a blank page offline, and someone else's script next to the session
cookie. The assets now come from `fastapi-offline`'s copy of Swagger UI (a maintained
package that ships them), the start-up code is this package's own `static/docs.js` (no
inline script), and the CSP allows scripts from this site only.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

DOCS_PATH = "/docs"
ASSETS_PATH = "/docs-assets"
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
"""Swagger UI sets inline styles (hence `'unsafe-inline'` for styles only) and data: images."""

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} - API docs</title>
<link rel="icon" href="{assets}/favicon.png">
<link rel="stylesheet" href="{assets}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{static}/docs.js"></script>
</body>
</html>
"""


def swagger_assets() -> Path:
    """The folder of Swagger UI's JS, CSS and icon inside the installed `fastapi-offline`."""
    return Path(str(files("fastapi_offline") / "static"))


def install_docs(app: FastAPI, static_path: str) -> None:
    """Serve `/docs` and its assets; build the app with `docs_url=None, redoc_url=None`."""
    from html import escape

    html = _PAGE.format(
        title=escape(app.title),
        assets=ASSETS_PATH,
        static=static_path,
        openapi=escape(app.openapi_url or "/openapi.json"),
    )
    headers = {
        "Content-Security-Policy": DOCS_CSP,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
    }

    @app.get(DOCS_PATH, include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(html, headers=headers)

    app.mount(ASSETS_PATH, StaticFiles(directory=swagger_assets()), name="docs-assets")
