"""What the ingest and webhook, health, customer, event and log routes answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Accepted(BaseModel):
    model_config = ConfigDict(json_schema_extra={"example": {"id": "evt_3f2a…", "status": "accepted"}})
    id: str = Field(description="The stored event's ID (also in the customer's history).")
    status: Literal["accepted"]


class HealthDetails(BaseModel):
    fast_path_failures: int = Field(
        description="Tracking-API events whose mapping fast path failed unexpectedly (a bug; the general path "
        "answered them correctly). 0 on a healthy receiver; the first failure is logged with the event's shape."
    )


class Health(BaseModel):
    status: Literal["ok"]
    stack: str = Field(description="The Antavo stack this receiver plays.")
    store: str = Field(description="The loyalty store backend.")
    multi_accounts: bool
    warnings: list[str] = Field(
        description="What the operator should know, e.g. when the memory store remembers Idempotency-Keys or "
        "messageIds for less than the configured window."
    )
    details: HealthDetails


class Customer(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "u1",
                "created_at": "2026-11-20T10:00:00Z",
                "profile": {"first_name": "Ada", "birth_date": "1815-12-10"},
                "attributes": {"tier": "gold"},
                "opted_in": True,
                "balances": {"acc-1": 120},
                "event_count": 4,
            }
        }
    )
    id: str
    created_at: datetime = Field(description="When the customer's first event was accepted.")
    profile: dict[str, Any] = Field(description="The named profile fields the destination declares.")
    attributes: dict[str, Any] = Field(description="Any other profile `data` keys, kept as custom attributes.")
    opted_in: bool | None = Field(description="Loyalty membership: `null` until an `opt_in` or `opt_out`.")
    balances: dict[str, int] = Field(description="Point balance per account.")
    event_count: int
    external_ids: dict[str, str] = Field(
        default_factory=dict,
        description="External customer IDs by attribute (Customer ID mapping); the customer is found by these too.",
    )


class EventLineage(BaseModel):
    """Where the event came from; the two URLs lead to the request's log entry and the mapping as it ran."""

    log_entry_id: str = Field(
        description="The `id` of the request's inbound-log entry (its messageId when it had one)."
    )
    source: str = Field(description="`webhook`, or `segment:<library>` for a Tracking-API message.")
    message_id: str | None = Field(description="Segment's messageId, when the request carried one.")
    subscription: str | None = Field(
        description="The mapping (subscription) that made the request; null for a webhook call."
    )
    mapping_version: str | None = Field(description="The digest of that mapping as it ran.")
    log_entry_url: str = Field(description="`GET /v1/logs?id=…`: the request's inbound-log entries.")
    mapping_version_url: str | None = Field(description="`GET /v1/mappings/versions/{digest}`: the mapping as it ran.")


class Event(BaseModel):
    id: str
    account: str
    action: str = Field(description="The Antavo event name (`profile` for profile updates).")
    data: dict[str, Any]
    points: int = Field(description="The event's effect on the account's balance.")
    received_at: datetime
    lineage: EventLineage | None = Field(description="Where it came from; null for an event kept before lineage was.")


class EventPage(BaseModel):
    """Paged as the logs are: `items`, and `next_cursor` to pass as `cursor`; the rest is kept for old callers."""

    items: list[Event] = Field(description="Oldest first.")
    next_cursor: int | None = Field(description="Pass as `cursor` for the next page; `null` on the last one.")
    total: int = Field(description="Events the customer has in all.")
    offset: int = Field(description="Where this page starts (the `cursor` given).")
    limit: int
    next_offset: int | None = Field(description="The same as `next_cursor` (the older name).", deprecated=True)


class LogEntry(BaseModel):
    seq: int = Field(description="The entry's number in its log (what `cursor` and a verdict's `log_entry` name).")
    id: str = Field(description="Segment's messageId when the request gave one, else a generated ID.")
    timestamp: datetime
    customer_id: str | None
    event_type: str | None = Field(description="`track` (loyalty event) or `identify` (profile update).")
    status: int = Field(description="The HTTP status the receiver answered.")
    response_time: float = Field(description="Seconds spent answering.")
    error: str | None = Field(description="The error message, or `null` when accepted.")
    error_code: str | None
    request: Any = Field(description="The request body, with the API key redacted (`null` if unreadable).")
    response: Any = Field(description="The response body.")
    truncated: bool = Field(
        description="A body was longer than the log keeps (`limits.log_entry_body_bytes`): it shows as "
        "`{truncated, length, start}`, its JSON text cut."
    )
    internal_customer_id: str | None = Field(
        None, description="The store's own customer ID, when `customer_id` is an external ID (Customer ID mapping)."
    )
    source: str | None = Field(
        None,
        description="Who sent it: `webhook` for a webhook request, `segment:<library>` (or `segment`) for a "
        "Tracking-API message, named by its `context.library.name`.",
    )
    subscription: str | None = Field(None, description="The mapping whose request this entry logs (ingest only).")
    mapping_version: str | None = Field(None, description="That mapping's version (`/v1/mappings/versions/{digest}`).")
    test_run: str | None = Field(None, description="The test run the message was sent under (`X-Test-Run`).")
    plan: dict[str, Any] | None = Field(
        None, description="The tracking plan's verdict on the message: policy, event, violations, omitted."
    )


class LogPage(BaseModel):
    items: list[LogEntry] = Field(description="Newest first.")
    next_cursor: int | None = Field(description="Pass as `cursor` for older entries; `null` on the last page.")
