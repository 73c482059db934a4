"""404s on Tracking-API-like paths answered the way Segment's API answers, with a hint.

Segment's libraries read the top-level `code` of an error; a library configured with
`host=".../v1"` posts to `/v1/v1/batch` and would otherwise get a 404 it cannot explain.
Any other 404 keeps the receiver's one error shape.
"""

from __future__ import annotations

import re

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from receiver.errors import default_code, error_body
from receiver.ingest.messages import TrackingError

SERVED = ("track", "identify", "batch")
SEGMENT_CALLS = (*SERVED, "import", "page", "screen", "group", "alias")
_CALL = re.compile(r"^(?P<prefix>.*?)/?(?P<v1>v1/)?(?P<call>" + "|".join(SEGMENT_CALLS) + r")/?$")


def tracking_not_found(path: str) -> TrackingError | None:
    """The Tracking-API-shaped 404 for a path a Segment library would post to, else None."""
    found = _CALL.match(path.lstrip("/"))
    if found is None:
        return None
    call = found["call"]
    served = ", ".join(f"/v1/{name}" for name in SERVED)
    if found["prefix"] or not found["v1"]:
        message = (
            f"No Tracking API at {path}: this receiver answers {served}. Give your Segment library the server's "
            f"root as its host, without /v1 (e.g. host='http://127.0.0.1:8080'); it adds /v1/{call} itself."
        )
    else:
        message = f"This receiver's Tracking API does not answer {call} calls; it answers {served}."
    return TrackingError(404, "NOT_FOUND", message, field=None)


def install_not_found(app: FastAPI) -> None:
    """Answer 404s on Tracking-API-like paths in that API's error shape."""

    async def not_found(request: Request, exc: Exception) -> JSONResponse:
        tracking = tracking_not_found(request.url.path)
        if tracking is not None:
            return JSONResponse(tracking.body(), status_code=404)
        detail = exc.detail if isinstance(exc, HTTPException) and isinstance(exc.detail, str) else "Not Found"
        return JSONResponse(error_body(default_code(404), detail), status_code=404)

    app.add_exception_handler(404, not_found)
