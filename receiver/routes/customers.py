"""`GET /v1/customers/{id}` and `/v1/customers/{id}/events`: what the store holds, for inspection."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from receiver.errors import ApiError
from receiver.logs.query import MAX_PAGE
from receiver.routes.deps import AUTHED, CustomersDep
from receiver.web import models

router = APIRouter(tags=["Inspection"], dependencies=AUTHED)
CustomerId = Annotated[str, Path(description="The customer ID (what the destination sends as the customer).")]


def _not_found() -> ApiError:
    return ApiError(404, "CUSTOMER_NOT_FOUND", "No customer with this ID.", field="customer_id")


@router.get(
    "/v1/customers/{customer_id}",
    summary="A customer's profile, membership and balances",
    response_model=models.Customer,
    responses=models.error_responses(401, 404, 429),
)
async def get_customer(customer_id: CustomerId, customers: CustomersDep) -> dict[str, Any]:
    found = await customers.profile(customer_id)
    if found is None:
        raise _not_found()
    return {**vars(found), "external_ids": await customers.external_ids(found.id)}


@router.get(
    "/v1/customers/{customer_id}/events",
    summary="A customer's event history",
    description="Accepted events, oldest first, as written (events are never changed).",
    response_model=models.EventPage,
    responses=models.error_responses(401, 404, 429),
)
async def customer_events(
    customer_id: CustomerId,
    customers: CustomersDep,
    offset: Annotated[int, Query(ge=0, description="Events to skip.")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Events per page.")] = 50,
) -> dict[str, Any]:
    found = await customers.history(customer_id, offset=offset, limit=limit)
    if found is None:
        raise _not_found()
    following = offset + len(found.events)
    return {
        "items": [vars(event) for event in found.events],
        "total": found.total,
        "offset": offset,
        "limit": limit,
        "next_offset": following if following < found.total else None,
    }
