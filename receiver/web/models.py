"""Response models: what each route answers, as the OpenAPI docs at `/docs` show it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

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


class MappingItem(BaseModel):
    key: str = Field(description="The file stem; a saved mapping with a file's key replaces that file.")
    file_name: str
    origin: Literal["file", "saved"] = Field(description="A file of the mappings folder, or saved on the page.")
    name: str
    enabled: bool
    text: str = Field(description="The mapping file's YAML, as `validate` reads it.")


class MappingSetPage(BaseModel):
    items: list[MappingItem] = Field(description="By key.")


class MappingVersionItem(BaseModel):
    """A mapping as it ran when an event named it (never changed by later edits)."""

    digest: str
    name: str
    definition: dict[str, Any] = Field(
        description="name, subscribe, partnerAction, multi_accounts, the fields as written and as run (with defaults)."
    )
    first_seen: datetime
    running: bool = Field(description="True when the ingest runs this very version now.")


class ImpactChange(BaseModel):
    """One mapping edit, as `GET /v1/mappings` answers a mapping: its key and its YAML text."""

    model_config = ConfigDict(extra="forbid")
    key: str = Field(
        min_length=1,
        max_length=120,
        pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$",
        description="The file stem; a key the set has is replaced, a new one is added.",
    )
    text: str | None = Field(
        None, max_length=256 * 1024, description="The edited mapping file's YAML (e.g. `enabled: false` to toggle)."
    )
    delete: bool = Field(
        False, description="Delete the saved mapping instead, as the page's Delete does (a file's comes back)."
    )


class ImpactRequest(BaseModel):
    """What to compare: the set with these edits against the set the ingest runs."""

    model_config = ConfigDict(extra="forbid")
    mappings: list[ImpactChange] = Field(min_length=1, max_length=50, description="The edits, each key once.")
    events: list[dict[str, Any]] | None = Field(
        None,
        min_length=1,
        max_length=500,
        description="Segment events to run both sets over; left out, the recent accepted messages (at most 100).",
    )


class ImpactFieldChange(BaseModel):
    pointer: str = Field(description="The body field's RFC 6901 JSON pointer, e.g. `/data/total`.")
    change: Literal["changed", "added", "removed"]
    old: Any = Field(description="Its value before the edit (null when added).")
    new: Any = Field(description="Its value with the edit (null when removed).")


class ImpactEntry(BaseModel):
    event: int = Field(description="The event's position in the events compared, from 0.")
    event_id: str = Field(description="`#<position> <messageId>` (or the event's name or type).")
    subscription: str = Field(description="The mapping's name: subscriptions are matched by name.")
    kind: Literal[
        "newly matched",
        "no longer matched",
        "payload changed",
        "new validation error",
        "error fixed",
        "error changed",
        "unchanged",
    ]
    fields: list[ImpactFieldChange] = Field(description="For `payload changed`: every field that differs.")
    old_error: str | None
    new_error: str | None


class ImpactSummary(BaseModel):
    by_kind: dict[str, int] = Field(description="Entries of each kind (every kind, zero included).")
    by_subscription: dict[str, dict[str, int]] = Field(description="Per mapping name, the kinds it had.")


class MappingImpact(BaseModel):
    """What an edit would change, per event and mapping, before it is saved (`antavo-actions diff`'s report)."""

    source: Literal["recent", "given"] = Field(description="The recent accepted messages, or the events given.")
    bound: int = Field(description="The most events one comparison runs over (recent: the newest this many).")
    truncated: bool = Field(description="True when there were more recent messages than the bound.")
    events: int = Field(description="Events compared.")
    changed: bool = Field(description="True when any event's outcome changes.")
    warnings: list[str] = Field(description="What `validate` warns about the edited mappings (never blocking).")
    summary: ImpactSummary
    entries: list[ImpactEntry] = Field(description="Event then mapping order; `unchanged` entries included.")


class VerdictRouting(BaseModel):
    status: Literal["routed", "ignored", "blocked", "failed", "none"] = Field(
        description="`routed` to at least one mapping; `ignored` before any (see `code`); `blocked` by the tracking "
        "plan (kept in the quarantine); `failed` to evaluate a trigger; `none` when only dropped copies were logged."
    )
    code: str | None = Field(
        description="`NO_TRIGGER_MATCHED`, `DESTINATION_DISABLED`, `PLAN_BLOCKED`, `TRIGGER_FAILED`, ..."
    )
    reason: str | None


class VerdictDelivery(BaseModel):
    subscription: str | None = Field(description="The mapping that made the request; null for a direct webhook call.")
    mapping_version: str | None
    mapping_version_url: str | None
    stage: Literal["mapping", "store"] = Field(
        description="`mapping`: the mapping could not build its payload; `store`: the payload reached the rules."
    )
    status: int
    applied: bool
    payload: Any = Field(description="The payload the mapping built (redacted as the log keeps it).")
    answer: Any = Field(description="What the receiver answered: the event ID, or the error.")
    error: ErrorDetail | None
    log_entry: int = Field(description="The inbound-log entry's `seq`.")
    log_entry_url: str


class VerdictCopy(BaseModel):
    received_at: datetime
    log_entry: int = Field(description="The duplicate log's entry `seq`.")


class ViolationMeta(BaseModel):
    instancePath: str = Field(description="Where in the message, as a JSON pointer (`/properties/total`).")


class PlanViolation(BaseModel):
    type: str = Field(description="RudderStack's kind: `Required-Missing`, `Datatype-Mismatch`, `Unplanned-Event`, ...")
    message: str
    meta: ViolationMeta


class PlanVerdict(BaseModel):
    """The tracking plan's verdict on a message (`Live plan checks`)."""

    policy: Literal["allow", "omit", "block"] = Field(description="The policy the plan applied to the message.")
    violations: list[PlanViolation]
    omitted: list[str] = Field(description="What `omit` dropped before mapping, as JSON pointers.")


class Verdict(BaseModel):
    """What happened to one message at every stage, from the logs, with no waiting."""

    message_id: str
    outcome: Literal[
        "applied", "partly_applied", "refused", "mapping_failed", "ignored", "blocked", "failed", "duplicate"
    ]
    received_at: datetime | None
    source: str | None
    event_type: str | None
    customer_id: str | None
    test_run: str | None
    routing: VerdictRouting
    plan: PlanVerdict | None = Field(description="The tracking plan's verdict; null when no plan checked it.")
    deliveries: list[VerdictDelivery]
    duplicates: list[VerdictCopy] = Field(description="Later copies of the messageId, dropped.")
    log_url: str


class RunVerdicts(BaseModel):
    test_run: str
    count: int
    outcomes: dict[str, int] = Field(description="How many messages ended each way.")
    truncated: bool = Field(description="True when the run holds more than one answer shows (1,000 messages).")
    items: list[Verdict] = Field(description="Oldest message first.")


class QuarantinedMessage(BaseModel):
    seq: int
    message_id: str
    quarantined_at: datetime
    event_type: str | None
    event: str | None
    violations: list[PlanViolation] = Field(description="Why the plan blocked it (the last check).")
    message: dict[str, Any] = Field(description="The message as it came (redacted as the log keeps it).")
    log_url: str


class QuarantinePage(BaseModel):
    count: int = Field(description="Messages kept in the quarantine in all.")
    items: list[QuarantinedMessage] = Field(description="Newest first (200 at most).")


class ReplayAnswer(BaseModel):
    message_id: str
    outcome: Literal["released", "blocked", "unavailable"] = Field(
        description="`released`: it passes the plan now and went on to the mappings (see its verdict); "
        "`blocked`: it still breaks the plan and stays quarantined; `unavailable`: the store could not take it "
        "(kept, retry later)."
    )
    plan: dict[str, Any] | None = Field(description="The plan's verdict on the replay.")
    log_entries: list[int] = Field(description="The inbound-log entries the replay wrote (`seq`).")
    verdict_url: str


class DropAnswer(BaseModel):
    message_id: str
    dropped: bool = Field(description="Always true: the message left the quarantine without being delivered.")


class RunReset(BaseModel):
    test_run: str
    forgotten: int = Field(description="Log entries deleted; the events the run applied stay in the store.")


class OverviewSample(BaseModel):
    message_id: str
    received_at: datetime | None
    event_type: str | None
    subscription: str | None
    log: Literal["inbound", "duplicates", "outbound"] = Field(description="The log that holds its entry.")
    log_entry: int = Field(description="The entry's `seq` in that log.")
    verdict_url: str | None = Field(description="`/v1/messages/{id}`: the message's verdict (null for outbound).")
    log_entry_url: str
    log_page_url: str = Field(description="The log page filtered to the message (signed in).")


class OverviewReason(BaseModel):
    code: str = Field(description="Why these dropped: an error code, `NO_TRIGGER_MATCHED`, a plan violation's type.")
    count: int
    samples: list[OverviewSample] = Field(description="Up to 10, newest first.")


class OverviewStage(BaseModel):
    stage: Literal[
        "refused_at_ingest", "blocked_by_plan", "deduplicated", "filtered", "routing_failed",
        "mapping_failed", "payload_invalid", "refused_by_rules", "failed", "applied",
    ]  # fmt: skip
    label: str
    count: int
    remaining: int = Field(description="What is left of `received` after this stage's drops.")
    reasons: list[OverviewReason] = Field(description="One per reason code; their counts add up to `count`.")


class OverviewOmitted(BaseModel):
    count: int = Field(description="Messages whose unplanned properties the plan's `omit` policy dropped.")
    samples: list[OverviewSample]


class OverviewFunnel(BaseModel):
    subscription: str | None = Field(description="The mapping; null for the overall and webhook funnels.")
    kind: Literal["overall", "mapping", "webhook"]
    received: int = Field(description="Items received: the stages' counts add up to it.")
    applied: int
    dropped: int
    stages: list[OverviewStage] = Field(description="In funnel order, every stage even when 0.")
    plan_omitted: OverviewOmitted


class OverviewRetried(BaseModel):
    count: int = Field(description="Messages sent more than once.")
    retries: int = Field(description="Attempts after the first, summed.")
    samples: list[OverviewSample]


class OverviewFailed(BaseModel):
    count: int
    reasons: list[OverviewReason]


class OverviewOutbound(BaseModel):
    enabled: bool = Field(description="False while the sync to Segment is off.")
    queued: int | None = Field(description="Messages waiting in the outbox now.")
    sent: int = Field(description="Messages the outbound log ended in the window: delivered + failed.")
    delivered: int
    retried: OverviewRetried
    failed: OverviewFailed


class DeliveryOverview(BaseModel):
    """Where each message of the window ended, stage by stage, overall and per mapping."""

    window: Literal["15m", "1h", "24h", "7d"]
    label: str
    windows: dict[str, str]
    since: datetime
    until: datetime
    subscription: str | None
    test_run: str | None = Field(description="The test run counted alone (its calls refused at ingest carry none).")
    truncated: bool = Field(description="True when a log held more entries in the window than were read.")
    max_entries: int = Field(description="Entries read from each log at most.")
    overall: OverviewFunnel
    mappings: list[OverviewFunnel]
    webhook: OverviewFunnel | None = Field(description="Webhook requests straight in (no mapping); null when none.")
    outbound: OverviewOutbound


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
