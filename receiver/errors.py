"""The receiver's one error shape: `{"error": {"code", "message", "field"}}`.

Every refusal, from a malformed body to a broken business rule, is an `ApiError`, so the
routes, the exception handlers and the inbound log all speak the same language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

_DEFAULT_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "UNPROCESSABLE_ENTITY",
    500: "INTERNAL_ERROR",
}


class ApiError(Exception):
    """A refusal with its HTTP status, a stable machine code, a message and the field at fault."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.field)


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    """The JSON body of every error answer; `field` is null when no one field is at fault (never `""`)."""
    return {"error": {"code": code, "message": message, "field": field or None}}


def default_code(status: int) -> str:
    """A code for errors raised by the framework itself (404 route, 405 method, ...)."""
    return _DEFAULT_CODES.get(status, "HTTP_ERROR" if status < 500 else "INTERNAL_ERROR")


def unauthorized(message: str = "Missing or invalid API key.", *, bearer: bool = False) -> ApiError:
    headers = {"WWW-Authenticate": "Bearer"} if bearer else None
    return ApiError(401, "UNAUTHORIZED", message, headers=headers)


def install_handlers(app: FastAPI) -> None:
    """Make every error, including the framework's own, answer with the one error shape."""
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException
    from starlette.requests import Request
    from starlette.responses import JSONResponse

    async def api_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers or None)

    async def http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        message = exc.detail if isinstance(exc.detail, str) else "The request cannot be served."
        body = error_body(default_code(exc.status_code), message)
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    async def invalid_request(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "Invalid request."}
        loc = [str(part) for part in first.get("loc", ()) if part not in ("query", "path", "header", "body")]
        body = error_body("INVALID_REQUEST", str(first.get("msg", "Invalid request.")), ".".join(loc) or None)
        return JSONResponse(body, status_code=422)

    async def unexpected(_: Request, __: Exception) -> JSONResponse:
        return JSONResponse(error_body("INTERNAL_ERROR", "The receiver failed to process the request."), 500)

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(Exception, unexpected)
