"""The one error shape every route answers with, and `error_responses` to declare it in OpenAPI."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ErrorDetail(BaseModel):
    code: str = Field(description="A stable, machine-readable reason, e.g. `INSUFFICIENT_POINTS`.")
    message: str = Field(description="What went wrong, in Segment's wording for schema errors.")
    field: str | None = Field(description="The field at fault as a dotted path (`data.points`), or null.")


class ErrorResponse(BaseModel):
    """The one shape of every error answer."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "error": {
                    "code": "INSUFFICIENT_POINTS",
                    "message": "The customer does not have enough points in this account.",
                    "field": "data.points",
                }
            }
        }
    )
    error: ErrorDetail


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the given error statuses, all with the error shape."""
    reasons = {
        400: "The body is not JSON, not an object, or a header is malformed.",
        401: "Missing or wrong API key.",
        404: "No such customer, mapping version or message.",
        409: "The account already has this `transaction_id`.",
        413: "The body is larger than the configured limit.",
        415: "The body is not `application/json`.",
        422: "The payload breaks the schema or a business rule, or the Idempotency-Key was reused.",
        429: "Too many failed authentication attempts from this address (see `Retry-After`).",
    }
    return {status: {"model": ErrorResponse, "description": reasons[status]} for status in statuses}
