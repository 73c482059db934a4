"""The query parameters of a log route (`/v1/logs`, `/v1/outbound-logs`), declared once.

Both logs have the same columns, so they share one set of filters: the ones Antavo's inbound
log offers (identifier, customer, event type, status, error, time window, response time),
newest first with cursor pagination.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Query

from receiver.logs.stored import StoredLog
from receiver.store.entries import LogFilter

MAX_PAGE = 500


@dataclass
class LogQuery:
    """A FastAPI dependency: `Depends(LogQuery)` reads the filters and the page from the query string."""

    id: Annotated[str | None, Query(description="The identifier (Segment's messageId).")] = None
    customer_id: Annotated[str | None, Query(description="Only this customer's entries.")] = None
    event_type: Annotated[str | None, Query(description="`track` or `identify`.")] = None
    error: Annotated[bool | None, Query(description="`true`: failures only; `false`: successes only.")] = None
    error_code: Annotated[str | None, Query(description="Only entries refused with this error code.")] = None
    status: Annotated[int | None, Query(ge=0, le=599, description="Only this HTTP status (`0`: no answer).")] = None
    since: Annotated[
        datetime | None, Query(description="From this time (inclusive, ISO 8601; UTC without an offset).")
    ] = None
    until: Annotated[
        datetime | None, Query(description="Before this time (exclusive, ISO 8601; UTC without an offset).")
    ] = None
    min_time_ms: Annotated[
        float | None, Query(ge=0, description="Only entries that took at least this many milliseconds.")
    ] = None
    min_time: Annotated[
        float | None,
        Query(ge=0, description="The same in seconds (kept for old callers; `min_time_ms` wins when both are given)."),
    ] = None
    test_run: Annotated[str | None, Query(description="Only the entries of this test run (`X-Test-Run`).")] = None
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Entries per page.")] = 50
    cursor: Annotated[int | None, Query(ge=1, description="`next_cursor` of the previous page.")] = None

    @property
    def where(self) -> LogFilter:
        return LogFilter(
            id=self.id,
            customer_id=self.customer_id,
            event_type=self.event_type,
            error=self.error,
            status=self.status,
            since=self.since,
            until=self.until,
            min_response_time=self.min_time_ms / 1000 if self.min_time_ms is not None else self.min_time,
            error_code=self.error_code,
            test_run=self.test_run,
        )

    async def page(self, log: StoredLog) -> dict[str, Any]:
        """One page of `log` under these filters, as the log routes answer it."""
        found = await log.query(self.where, limit=self.limit, cursor=self.cursor)
        return {"items": [entry.public() for entry in found.entries], "next_cursor": found.next_cursor}
