"""What the fanout counts and reports per message, the codes it logs, and how it plans a message of a unit of work."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr

from destination.definition.model import Definition
from destination.definition.subscriptions import Subscription
from destination.errors import DestinationError
from destination.mapping.engine import CompiledMapping, compile_mapping
from receiver.config import ReceiverConfig
from receiver.core import test_runs
from receiver.core.calls import InProcessCall
from receiver.ingest.plan_gate import PlanCheck
from receiver.logs.sources import tracking_source
from receiver.store.contract import BatchMessage, BatchRequest, NewLogEntry
from receiver.store.entries import LogEntry

UNAVAILABLE = 503
MAPPING_FAILED = "MAPPING_FAILED"
TRIGGER_FAILED = "TRIGGER_FAILED"
INTERNAL_ERROR = "INTERNAL_ERROR"
NO_TRIGGER_MATCHED = "NO_TRIGGER_MATCHED"
DESTINATION_DISABLED = "DESTINATION_DISABLED"
"""The codes of an ignored message's entry (its response's `code`): why it stopped before any mapping."""


def destination_settings(definition: Definition, config: ReceiverConfig) -> dict[str, Any]:
    """The destination's settings as this receiver plays them: each read from the receiver's setting of that name."""
    settings: dict[str, Any] = {}
    for name in definition.settings:
        value = getattr(config, name, None)
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if value is not None:
            settings[name] = value
    return settings


def customer_mapping(subscription: Subscription, field: str) -> CompiledMapping | None:
    """The subscription's mapping of the customer field alone, to name the customer when the whole mapping fails."""
    if field not in subscription.mapping:
        return None
    try:
        return compile_mapping({field: subscription.mapping[field]})
    except DestinationError:
        return None


def ignored(code: str, reason: str) -> dict[str, Any]:
    """The answer logged for a message that stopped before any mapping: why, as a code and in words."""
    return {"status": "ignored", "code": code, "reason": reason}


@dataclass
class IngestStats:
    """Counters since the app started; `accepted` = duplicates excluded."""

    accepted: int = 0
    duplicates: int = 0
    filtered: int = 0
    unmatched: int = 0
    mapping_failed: int = 0
    delivered: int = 0
    refused: int = 0
    failed: int = 0
    blocked: int = 0
    """Held back by the tracking plan (`receiver.ingest.plan_gate`), kept in the quarantine."""


@dataclass(frozen=True)
class MessageReport:
    """What became of one message: the inbound-log entries it made (none for a duplicate)."""

    message_id: str
    duplicate: bool = False
    entries: tuple[LogEntry, ...] = ()

    @property
    def unfinished(self) -> LogEntry | None:
        """The entry of a request the store could not take (503), if any: the sender must retry."""
        return next((entry for entry in self.entries if entry.status == UNAVAILABLE), None)


def duplicate_entry(message: Mapping[str, Any], redact: Callable[[str], str]) -> NewLogEntry:
    """The duplicate log's entry of a dropped copy (its IDs redacted as the inbound log's are)."""
    user = message.get("userId")
    return NewLogEntry(
        id=redact(message["messageId"]),
        timestamp=datetime.now(UTC),
        customer_id=redact(user) if isinstance(user, str) else None,
        event_type=message["type"],
        status=200,
        response_time=0.0,
        error=None,
        error_code=None,
        request=None,
        response={"status": "duplicate", "reason": "This messageId was seen already; the message was dropped."},
        source=tracking_source(message),
        test_run=test_runs.of_message(message),
    )


def carried_id(message: Mapping[str, Any]) -> str | None:
    """The userId (else anonymousId) a message carried: what the log's customer filter finds it by."""
    for key in ("userId", "anonymousId"):
        value = message.get(key)
        if isinstance(value, str) and value:
            return value
    return None


@dataclass
class UnitPlan:
    """A message of a unit (`Fanout.process_all` on a store that groups writes): its requests (and notes) in order, each with the call it makes (None for a note)."""

    message: dict[str, Any]
    kind: str = "routed"
    """Which counter it adds to once it is known not to be a duplicate (`IngestStats`), besides `accepted`."""
    mapping_failed: int = 0
    requests: list[BatchRequest] = field(default_factory=list)
    calls: list[InProcessCall | None] = field(default_factory=list)
    duplicate: Callable[[], NewLogEntry] | None = None
    """The entry it leaves in the duplicate log if it is one."""
    checked: PlanCheck | None = None
    """The plan's verdict: counted once settled, and quarantined if it blocked."""

    def note(self, entry: NewLogEntry) -> None:
        self.requests.append(BatchRequest(lambda _outcome: entry))
        self.calls.append(None)

    def done(self, duplicate: Callable[[], NewLogEntry]) -> UnitPlan:
        self.duplicate = duplicate
        return self

    @property
    def unit(self) -> BatchMessage:
        if self.duplicate is None:
            raise RuntimeError("a plan is done before it is written")
        return BatchMessage(self.message["messageId"], self.duplicate, tuple(self.requests))
