"""What the delivery overview answers: where each message of a window ended, per stage and per mapping."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


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
