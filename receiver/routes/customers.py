"""`GET /v1/customers/{id}` and `/v1/customers/{id}/events`: what the store holds, for inspection."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Path, Query

from receiver.core.customers import StoredEvent
from receiver.errors import ApiError
from receiver.logs.query import MAX_PAGE
from receiver.routes.deps import AUTHED, CustomersDep
from receiver.routes.logs import INBOUND_PATH
from receiver.routes.mapping_api import VERSIONS_PATH
from receiver.web import models

router = APIRouter(tags=["Inspection"], dependencies=AUTHED)
CustomerId = Annotated[str, Path(description="The customer ID (what the destination sends as the customer).")]


def _event(event: StoredEvent) -> dict[str, Any]:
    """An event as the API shows it: its lineage with links to the log entry and the mapping version."""
    lineage = event.lineage
    if lineage is None:
        return {**vars(event), "lineage": None}
    version = lineage.mapping_version
    return {
        **vars(event),
        "lineage": {
            **lineage.as_json(),
            "log_entry_url": INBOUND_PATH + "?" + urlencode({"id": lineage.log_entry_id}),
            "mapping_version_url": VERSIONS_PATH + quote(version, safe="") if version else None,
        },
    }


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
    responses=models.error_responses(401, 404, 422, 429),
)
async def customer_events(
    customer_id: CustomerId,
    customers: CustomersDep,
    cursor: Annotated[int | None, Query(ge=0, description="`next_cursor` of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Events per page.")] = 50,
    offset: Annotated[
        int | None, Query(ge=0, deprecated=True, description="Events to skip: the older name of `cursor`.")
    ] = None,
) -> dict[str, Any]:
    if cursor is not None and offset is not None and cursor != offset:
        raise ApiError(422, "INVALID_REQUEST", "Give `cursor` (or the older `offset`), not both.", field="cursor")
    start = next((given for given in (cursor, offset) if given is not None), 0)
    found = await customers.history(customer_id, offset=start, limit=limit)
    if found is None:
        raise _not_found()
    following = start + len(found.events)
    more = following if following < found.total else None
    return {
        "items": [_event(event) for event in found.events],
        "next_cursor": more,
        "total": found.total,
        "offset": start,
        "limit": limit,
        "next_offset": more,
    }
