"""A log entry, its filter and its page: the values every store keeps and returns (inbound: one entry
per webhook request, like Antavo's Segment inbound log; outbound: one per message sent to Segment).

Columns: when, which customer, which Segment call type (`track` / `identify`), the status
code, the response time in seconds, the error (if refused), and the request identifier
(Segment's messageId when one is given, else a generated one), plus the request and
response bodies, already redacted by the caller.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from receiver.store.bodies import dump_json, plan_json

__all__ = ["LogEntry", "LogFilter", "LogPage", "dump_json", "unstored_entry"]

ENTRY_OVERHEAD = 600
"""Bytes an entry costs besides its bodies (the object, its strings, the deque slot): a fair over-estimate."""


@dataclass(frozen=True)
class LogEntry:
    """One request as the inbound log shows it; `request` and `response` are decoded on demand."""

    seq: int
    id: str
    timestamp: datetime
    customer_id: str | None
    event_type: str | None
    status: int
    response_time: float
    error: str | None
    error_code: str | None
    request_json: str
    response_json: str
    truncated: bool = False
    authenticated: bool = True
    internal_customer_id: str | None = None
    """The store's own ID when `customer_id` was an external ID (Customer ID mapping)."""
    source: str | None = None
    """Who sent it: `webhook` for an HTTP webhook request, `segment:<library>` for a Tracking-API message
    (see `receiver.logs.sources`); None for entries written before sources were recorded."""
    subscription: str | None = None
    """The mapping whose request this entry logs (a Tracking-API message's delivery or mapping failure)."""
    mapping_version: str | None = None
    """That mapping's version (`receiver.ingest.versions`): the mapping as it ran."""
    test_run: str | None = None
    """The test run the message was sent under (`X-Test-Run`), so a CI job can fetch and reset its verdicts."""
    plan_json: str | None = None
    """The tracking plan's verdict on the message, as JSON (`receiver.ingest.plan_gate`); None when unchecked."""

    @classmethod
    def _quick(cls, fields: dict[str, Any]) -> LogEntry:
        """`cls(**fields)` (every field given) for the hot path, without the frozen dataclass's
        per-field `object.__setattr__`: one entry is made per request."""
        entry = object.__new__(cls)
        object.__setattr__(entry, "__dict__", fields)
        return entry

    @property
    def request(self) -> Any:
        return json.loads(self.request_json)

    @property
    def response(self) -> Any:
        return json.loads(self.response_json)

    @property
    def plan_check(self) -> dict[str, Any] | None:
        """`{"policy", "violations", "omitted"}`: what the plan said of the message, and what was done."""
        return json.loads(self.plan_json) if self.plan_json is not None else None

    @property
    def size(self) -> int:
        """Bytes this entry holds, roughly (strings count one byte per character, plus a fixed overhead)."""
        text = len(self.id) + len(self.customer_id or "") + len(self.error or "") + len(self.source or "")
        text += len(self.subscription or "") + len(self.mapping_version or "") + len(self.test_run or "")
        text += len(self.plan_json or "")
        return ENTRY_OVERHEAD + text + len(self.request_json) + len(self.response_json)

    def public(self) -> dict[str, Any]:
        """The entry as the log API answers it."""
        return {
            "seq": self.seq,
            "id": self.id,
            "timestamp": self.timestamp,
            "customer_id": self.customer_id,
            "event_type": self.event_type,
            "status": self.status,
            "response_time": self.response_time,
            "error": self.error,
            "error_code": self.error_code,
            "request": self.request,
            "response": self.response,
            "truncated": self.truncated,
            "internal_customer_id": self.internal_customer_id,
            "source": self.source,
            "subscription": self.subscription,
            "mapping_version": self.mapping_version,
            "test_run": self.test_run,
            "plan": self.plan_check,
        }


def unstored_entry(
    *,
    request: Any,
    response: Any,
    seq: int = 0,
    authenticated: bool = True,
    plan_check: dict[str, Any] | None = None,
    **fields: Any,
) -> LogEntry:
    """An entry no log holds (the store was down, or a refusal past the rate for logging those), bodies uncut."""
    return LogEntry(
        seq=seq,
        request_json=dump_json(request),
        response_json=dump_json(response),
        authenticated=authenticated,
        plan_json=plan_json(plan_check),
        **fields,
    )


def _aware(moment: datetime | None) -> datetime | None:
    """A filter time without a zone is UTC (entries are stamped in UTC, and naive cannot compare to aware)."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


@dataclass(frozen=True)
class LogFilter:
    """Every given criterion must hold; `error` True keeps refusals, False keeps accepted.

    `since` is inclusive and `until` exclusive, so consecutive windows never share an entry;
    `min_response_time` keeps the requests that took at least that many seconds. Times without
    a zone are read as UTC.
    """

    id: str | None = None
    customer_id: str | None = None
    event_type: str | None = None
    error: bool | None = None
    status: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    min_response_time: float | None = None
    error_code: str | None = None
    test_run: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "since", _aware(self.since))
        object.__setattr__(self, "until", _aware(self.until))

    def __call__(self, entry: LogEntry) -> bool:
        return (
            (self.id is None or entry.id == self.id)
            and (
                self.customer_id is None
                or entry.customer_id == self.customer_id
                or entry.internal_customer_id == self.customer_id
            )
            and (self.event_type is None or entry.event_type == self.event_type)
            and (self.error is None or (entry.error is not None) == self.error)
            and (self.status is None or entry.status == self.status)
            and (self.since is None or entry.timestamp >= self.since)
            and (self.until is None or entry.timestamp < self.until)
            and (self.min_response_time is None or entry.response_time >= self.min_response_time)
            and (self.error_code is None or entry.error_code == self.error_code)
            and (self.test_run is None or entry.test_run == self.test_run)
        )


@dataclass(frozen=True)
class LogPage:
    entries: list[LogEntry]
    next_cursor: int | None
