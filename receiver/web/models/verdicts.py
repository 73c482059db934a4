"""What the message routes answer: a message's verdict, the plan's, the quarantine, replay, drop and run reset."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from receiver.web.models.errors import ErrorDetail


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
