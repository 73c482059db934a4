"""The values a webhook request passes through: what it names, what the log learns, what it answers.

Apart from `service.py` so the ingest can build an `InProcessCall` without the service's
machinery.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from receiver.core.checks import message_id
from receiver.core.idempotency import HEADER as IDEMPOTENCY_HEADER
from receiver.logs.sources import WEBHOOK
from receiver.store.entries import LogEntry

__all__ = ["Delivery", "InProcessCall", "Named", "Trace"]


@dataclass
class Trace:
    """What the inbound log learns about a request as it is checked."""

    identifier: str | None = None
    customer_id: str | None = None
    internal_customer_id: str | None = None
    event_type: str | None = None
    request: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    authenticated: bool = False
    source: str = WEBHOOK
    validated_with: Mapping[str, Any] | None = None
    message_id: str | None = None
    made_by: tuple[str, str] | None = None
    """The subscription's name and mapping version, for a request the ingest made."""
    test_run: str | None = None
    plan_check: dict[str, Any] | None = None

    def origin(self) -> dict[str, Any]:
        """What every log entry of this request records of where it came from (`NewLogEntry`'s fields)."""
        subscription, version = self.made_by or (None, None)
        return {
            "source": self.source,
            "subscription": subscription,
            "mapping_version": version,
            "test_run": self.test_run,
            "plan_check": self.plan_check,
        }


@dataclass(frozen=True)
class Named:
    """What a request names besides its body: its messageId and idempotency key."""

    message_id: str | None
    idempotency_key: str | None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Named:
        """An HTTP request's, from its headers (the body's messageId is read later, if these give none)."""
        return cls(message_id(headers, None), headers.get(IDEMPOTENCY_HEADER.lower()))


@dataclass(frozen=True)
class InProcessCall:
    """A webhook call made inside this process (the Tracking API ingest): trusted, already parsed.

    `source` is what the log records as its sender (see `receiver.logs.sources`); `validated_with`:
    the schema the pipeline validated the payload against (`PayloadChecker.check`); `made_by`: the
    subscription's name and mapping version (`MappingVersion.digest`), for the event's lineage;
    `test_run`: the run its message named (`receiver.core.test_runs`); `plan_check`: the tracking plan's
    verdict on its message (`receiver.ingest.plan_gate`).
    """

    body: Mapping[str, Any]
    message_id: str | None
    idempotency_key: str | None
    source: str
    validated_with: Mapping[str, Any] | None = None
    made_by: tuple[str, str] | None = None
    test_run: str | None = None
    plan_check: dict[str, Any] | None = None


@dataclass(frozen=True)
class Delivery:
    """The webhook's answer to one request, and the inbound-log entry it wrote."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    entry: LogEntry | None
    """None only for an unauthenticated HTTP refusal past the log's rate for those."""

    @property
    def accepted(self) -> bool:
        return self.status < 400
