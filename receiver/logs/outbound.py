"""The outbound log, and its entries as `GET /v1/outbound-logs` shows them: what the outbound sync sent to Segment.

The same columns and filters as `/v1/logs` (the store's `outbound` log), one entry per
outbound message: when it was sent (or refused), the store's customer, `track`/`identify`,
Segment's HTTP status (`0` when there was no HTTP answer: refused here, unreachable, or
stopped), the delivery time including retries, the error, the `messageId`, the message as
sent and Segment's answer with the number of attempts. The write key never appears.
"""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class OutboundLogEntry(BaseModel):
    id: str = Field(description="The message's Segment `messageId` (unchanged across retries).")
    timestamp: datetime = Field(description="When the message was first sent, or refused.")
    customer_id: str | None = Field(description="The store's customer the message is about.")
    event_type: str | None = Field(description="`track` (loyalty event) or `identify` (profile change).")
    status: int = Field(description="Segment's HTTP status; `0` when no HTTP answer came.")
    response_time: float = Field(description="Seconds from the first attempt to the final answer (retries included).")
    error: str | None = Field(description="Why the message was not delivered, or `null`.")
    error_code: str | None = Field(
        description="`MESSAGE_TOO_LARGE`, `NO_USER_ID`, `REJECTED`, `RETRIES_EXHAUSTED`, "
        "`NOT_CONFIRMED`, `NOT_DELIVERED` or `INTERNAL_ERROR`; `null` when delivered."
    )
    request: Any = Field(description="The message as sent in the batch.")
    response: Any = Field(description="`{attempts, body}`: how many requests were made and Segment's last answer.")
    truncated: bool = Field(
        description="A body was longer than the log keeps: it shows cut, as `{truncated, length, start}`."
    )


class OutboundLogPage(BaseModel):
    items: list[OutboundLogEntry] = Field(description="Newest first.")
    next_cursor: int | None = Field(description="Pass as `cursor` for older entries; `null` on the last page.")
