"""Swagger UI served from the installed package, under a strict Content-Security-Policy.

The page used to load Swagger UI from a CDN, without integrity checks, on the same origin as
the signed-in pages: a blank page offline, and someone else's script next to the session
cookie. The assets now come from `fastapi-offline`'s copy of Swagger UI (a maintained
package that ships them, mounted at `ASSETS_PATH`), the start-up code is this package's own
`static/docs.js` (no inline script), and the CSP allows scripts from this site only.
"""

from __future__ import annotations

from html import escape
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

DOCS_PATH = "/docs"
ASSETS_PATH = "/docs-assets"
STATIC_PATH = "/static"
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; worker-src 'self' blob:; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
"""Swagger UI and ReDoc set inline styles (hence `'unsafe-inline'` for styles only), use data: images,
and ReDoc runs a blob: worker."""
DOCS_HEADERS = {
    "Content-Security-Policy": DOCS_CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}

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


_REDOC = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} - ReDoc</title>
<link rel="icon" href="{assets}/favicon.png">
</head>
<body>
<redoc spec-url="{openapi}"></redoc>
<script src="{assets}/redoc.standalone.js"></script>
</body>
</html>
"""


def swagger_assets() -> Path:
    """The folder of Swagger UI's JS, CSS and icon inside the installed `fastapi-offline`."""
    return Path(str(files("fastapi_offline") / "static"))


def docs_page(app: FastAPI, *, redoc: bool = False) -> HTMLResponse:
    """Swagger UI (or, with `redoc`, ReDoc) for the app's OpenAPI, every asset from this server."""
    html = (_REDOC if redoc else _PAGE).format(
        title=escape(app.title),
        assets=ASSETS_PATH,
        static=STATIC_PATH,
        openapi=escape(app.openapi_url or "/openapi.json"),
    )
    return HTMLResponse(html, headers=DOCS_HEADERS)


def mount_assets(app: FastAPI) -> None:
    """Serve Swagger UI's files at `ASSETS_PATH` (build the app with `docs_url=None, redoc_url=None`)."""
    app.mount(ASSETS_PATH, StaticFiles(directory=swagger_assets()), name="docs-assets")
