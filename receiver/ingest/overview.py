"""Delivery Overview: where each message of a time window ended, stage by stage, with a reason at every drop.

Modelled on Segment's Delivery Overview (received → failed on ingest → filtered → failed or successful
delivery). Every received thing lands in exactly one stage, so a funnel's stage counts add up to what it
received, and every drop carries exactly one reason code:

- a Tracking-API call refused before its messages were read (the 400s the ingest logs: `INVALID_MESSAGE`,
  `INVALID_JSON`, …) is one received item, `refused_at_ingest`;
- a copy the ingest dropped as a duplicate (its own log) is one item, `deduplicated`;
- a message is one item, judged by its verdict (`verdicts.verdict_of`, the very stages `/v1/messages/{id}`
  answers): `blocked_by_plan` (outcome `blocked`; the reason is the first violation's type), `filtered`
  (`NO_TRIGGER_MATCHED`, `DESTINATION_DISABLED`), `routing_failed`, and past routing each mapping's delivery:
  `mapping_failed`, `payload_invalid`, `refused_by_rules` (the loyalty rules' codes), `failed` (5xx), `applied`;
- a webhook request straight in (no mapping) is one item of its own funnel.

The overall funnel puts a message with several deliveries at its first one that did not apply (applied when
all did); a mapping's funnel follows every received Tracking-API item, and a routed message this mapping's
trigger did not match is `filtered` with `NO_TRIGGER_MATCHED`. The plan's `omit` policy drops properties, not
messages, so it is counted beside the stages (`plan_omitted`). Pure functions: the pages fetch the entries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from receiver.ingest.outcomes import INTERNAL_ERROR, MAPPING_FAILED, NO_TRIGGER_MATCHED
from receiver.ingest.plan_gate import PLAN_BLOCKED
from receiver.ingest.verdicts import verdict_of
from receiver.logs.sources import WEBHOOK
from receiver.store.entries import LogEntry

REFUSED_AT_INGEST, BLOCKED, DEDUPLICATED, FILTERED = "refused_at_ingest", "blocked_by_plan", "deduplicated", "filtered"
ROUTING_FAILED, MAPPING, PAYLOAD_INVALID = "routing_failed", "mapping_failed", "payload_invalid"
REFUSED_BY_RULES, FAILED, APPLIED = "refused_by_rules", "failed", "applied"
STAGES: dict[str, str] = {
    REFUSED_AT_INGEST: "Refused at ingest",
    BLOCKED: "Blocked by the tracking plan",
    DEDUPLICATED: "Deduplicated",
    FILTERED: "Filtered: no trigger matched, destination off",
    ROUTING_FAILED: "Routing failed",
    MAPPING: "Mapping failed",
    PAYLOAD_INVALID: "Payload invalid",
    REFUSED_BY_RULES: "Refused by the loyalty rules",
    FAILED: "Failed: store or receiver error",
    APPLIED: "Applied",
}
"""The stages in funnel order; every one but `applied` is a drop."""
DUPLICATE_CODE = "DUPLICATE_MESSAGE_ID"
NOT_ROUTED = "NOT_ROUTED"
SAMPLES = 10
"""Samples kept per (stage, reason)."""
DOOR_CODES = frozenset(
    {
        "UNAUTHORIZED",
        "INVALID_JSON",
        "INVALID_BODY",
        "INCOMPLETE_BODY",
        "INVALID_CONTENT_LENGTH",
        "UNSUPPORTED_MEDIA_TYPE",
        "PAYLOAD_TOO_LARGE",
        "NUMBER_OUT_OF_RANGE",
        "INVALID_REQUEST",
        "INVALID_IDEMPOTENCY_KEY",
        "INVALID_TEST_RUN",
    }
)
"""A webhook request refused at its door (`web/body.py`, the key check) before its payload was looked at."""
PAYLOAD_CODES = DOOR_CODES | {"INVALID_PAYLOAD"}
"""A request the schema (`core/checks.py`) or the body reader refused: the payload itself is invalid."""
FAILURE_CODES = frozenset({"STORE_UNAVAILABLE", INTERNAL_ERROR, "OUTBOUND_QUEUE_FULL"})


def delivery_stage(status: int, code: str | None) -> tuple[str, str | None]:
    """Where one request a mapping made (or a webhook request) ended, and why when it is a drop."""
    if code == MAPPING_FAILED:
        return MAPPING, code
    if status < 300 and code is None:
        return APPLIED, None
    reason = code or f"HTTP_{status}"
    if status >= 500 or reason in FAILURE_CODES:
        return FAILED, reason
    if reason in PAYLOAD_CODES:
        return PAYLOAD_INVALID, reason
    return REFUSED_BY_RULES, reason


def plan_reason(plan: Any) -> str:
    """A blocked message's reason: its first violation's type (`Unplanned-Event`, …), else `PLAN_BLOCKED`."""
    violations = plan.get("violations") if isinstance(plan, Mapping) else None
    first = violations[0] if isinstance(violations, list) and violations else None
    if isinstance(first, Mapping):
        for key in ("code", "type"):
            if isinstance(first.get(key), str) and first[key]:
                return str(first[key])
    return PLAN_BLOCKED


@dataclass(frozen=True)
class Received:
    """One received item: a message (with its verdict), a refused call, a dropped copy or a webhook request."""

    message_id: str
    log_entry: int
    received_at: datetime | None
    event_type: str | None = None
    log: str = "inbound"
    """Which log holds its entry: `inbound` or `duplicates`."""
    verdict: Mapping[str, Any] | None = None
    stage: str | None = None
    reason: str | None = None
    webhook: bool = False

    @cached_property
    def overall(self) -> tuple[str, str | None, str | None]:
        """(stage, reason, subscription) of the item as a whole; a message stops at its first delivery that failed.
        Worked out once: every mapping's funnel asks it again."""
        if self.verdict is None:
            return self.stage or FAILED, self.reason, None
        verdict = self.verdict
        if verdict.get("outcome") == "blocked":
            return BLOCKED, plan_reason(verdict.get("plan")), None
        routing = verdict.get("routing") or {}
        if routing.get("status") == "ignored":
            return FILTERED, routing.get("code") or NO_TRIGGER_MATCHED, None
        if routing.get("status") == "failed":
            return ROUTING_FAILED, routing.get("code") or INTERNAL_ERROR, None
        deliveries = verdict.get("deliveries") or []
        if not deliveries:
            return ROUTING_FAILED, NOT_ROUTED, None
        for delivery in deliveries:
            stage, reason = _of_delivery(delivery)
            if stage != APPLIED:
                return stage, reason, delivery.get("subscription")
        return APPLIED, None, None

    def for_mapping(self, name: str) -> tuple[str, str | None]:
        """(stage, reason) as mapping `name` saw the item: its own delivery, or why it never got one."""
        stage, reason, _ = self.overall
        if self.verdict is None or stage in (BLOCKED, FILTERED, ROUTING_FAILED):
            return stage, reason
        mine = [d for d in self.verdict.get("deliveries") or [] if d.get("subscription") == name]
        if not mine:
            return FILTERED, NO_TRIGGER_MATCHED
        return _of_delivery(mine[-1])

    @property
    def omitted(self) -> bool:
        """The plan's `omit` policy dropped some of its properties (the message went on)."""
        plan = self.verdict.get("plan") if self.verdict is not None else None
        return isinstance(plan, Mapping) and plan.get("policy") == "omit" and bool(plan.get("omitted"))


def _of_delivery(delivery: Mapping[str, Any]) -> tuple[str, str | None]:
    error = delivery.get("error")
    code = error.get("code") if isinstance(error, Mapping) else None
    status = delivery.get("status")
    return delivery_stage(status if isinstance(status, int) else 500, code if isinstance(code, str) else None)


@dataclass
class Funnel:
    """One funnel's counts, reasons and samples, filled item by item."""

    subscription: str | None
    kind: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))
    reasons: dict[tuple[str, str], int] = field(default_factory=dict)
    samples: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    omitted: int = 0
    omitted_samples: list[dict[str, Any]] = field(default_factory=list)

    def add(self, item: Received, stage: str, reason: str | None, subscription: str | None) -> None:
        self.counts[stage] += 1
        if item.omitted and stage not in (BLOCKED, FILTERED, ROUTING_FAILED, DEDUPLICATED):
            self.omitted += 1
            if len(self.omitted_samples) < SAMPLES:
                self.omitted_samples.append(sample(item, subscription))
        if stage == APPLIED:
            return
        key = stage, reason or "UNKNOWN"
        self.reasons[key] = self.reasons.get(key, 0) + 1
        kept = self.samples.setdefault(key, [])
        if len(kept) < SAMPLES:
            kept.append(sample(item, subscription))

    def as_dict(self) -> dict[str, Any]:
        """The funnel as the API answers it: each stage's count, what is left after it, its reasons."""
        received = sum(self.counts.values())
        left = received
        stages = []
        for name, label in STAGES.items():
            count = self.counts[name]
            left -= count if name != APPLIED else 0
            mine = sorted(((-n, code) for (stage, code), n in self.reasons.items() if stage == name))
            reasons = [{"code": code, "count": -n, "samples": self.samples[name, code]} for n, code in mine]
            stages.append({"stage": name, "label": label, "count": count, "remaining": left, "reasons": reasons})
        return {
            "subscription": self.subscription,
            "kind": self.kind,
            "received": received,
            "applied": self.counts[APPLIED],
            "dropped": received - self.counts[APPLIED],
            "stages": stages,
            "plan_omitted": {"count": self.omitted, "samples": self.omitted_samples},
        }


def sample(item: Received, subscription: str | None) -> dict[str, Any]:
    """What a sample shows of its item; the pages add the links to its verdict and log entry."""
    return {
        "message_id": item.message_id,
        "received_at": item.received_at,
        "event_type": item.event_type,
        "subscription": subscription,
        "log": item.log,
        "log_entry": item.log_entry,
    }


def _ingest_refusal(entry: LogEntry) -> bool:
    """A Tracking-API call refused before its messages ran: the ingest's own refusal body (`success: false`)."""
    if entry.subscription is not None or entry.source == WEBHOOK or entry.status < 400:
        return False
    answer = entry.response
    return isinstance(answer, dict) and answer.get("success") is False


def received_items(inbound: Iterable[LogEntry], duplicates: Iterable[LogEntry]) -> list[Received]:
    """Every received item the two logs' entries tell, in the order first seen."""
    items: list[Received] = []
    groups: dict[str, list[LogEntry]] = {}
    for entry in inbound:
        base: dict[str, Any] = {"message_id": entry.id, "log_entry": entry.seq, "received_at": entry.timestamp}
        if entry.source == WEBHOOK:
            door = entry.error_code in DOOR_CODES
            stage, reason = (
                (REFUSED_AT_INGEST, entry.error_code) if door else delivery_stage(entry.status, entry.error_code)
            )
            items.append(Received(**base, event_type=entry.event_type, stage=stage, reason=reason, webhook=True))
        elif _ingest_refusal(entry):
            reason = entry.error_code or f"HTTP_{entry.status}"
            items.append(Received(**base, event_type=entry.event_type, stage=REFUSED_AT_INGEST, reason=reason))
        else:
            if entry.id not in groups:
                groups[entry.id] = []
                items.append(Received(**base))  # a placeholder, replaced by the message's verdict below
            groups[entry.id].append(entry)
    for copy in duplicates:
        items.append(
            Received(
                copy.id, copy.seq, copy.timestamp, copy.event_type, "duplicates", None, DEDUPLICATED, DUPLICATE_CODE
            )
        )
    return [_judged(item, groups) for item in items]


def _judged(item: Received, groups: Mapping[str, list[LogEntry]]) -> Received:
    if item.stage is not None or item.verdict is not None:
        return item
    entries = groups[item.message_id]
    verdict = verdict_of(item.message_id, entries, [])
    first = min(entries, key=lambda e: e.seq)
    return Received(item.message_id, first.seq, first.timestamp, first.event_type, verdict=verdict)


def funnels(items: Iterable[Received], mappings: Sequence[str], *, only: str | None = None) -> dict[str, Any]:
    """The overall funnel, one per mapping (`only`: that one alone) and one of webhook requests straight in.

    `mappings` are the mappings to show even without traffic (the ones running); any other a delivery
    names is added after them.
    """
    overall = Funnel(None, "overall")
    webhook = Funnel(None, "webhook")
    items = list(items)
    names = list(dict.fromkeys(mappings))
    for item in items:
        for delivery in (item.verdict or {}).get("deliveries") or []:
            name = delivery.get("subscription")
            if isinstance(name, str) and name not in names:
                names.append(name)
    if only is not None:
        names = [only]
    per_mapping = {name: Funnel(name, "mapping") for name in names}
    for item in items:
        stage, reason, subscription = item.overall
        overall.add(item, stage, reason, subscription)
        if item.webhook:
            webhook.add(item, stage, reason, None)
            continue
        for name, funnel in per_mapping.items():
            stage, reason = item.for_mapping(name)
            funnel.add(item, stage, reason, name)
    return {
        "overall": overall.as_dict(),
        "mappings": [funnel.as_dict() for funnel in per_mapping.values()],
        "webhook": webhook.as_dict() if any(item.webhook for item in items) else None,
    }


def outbound_funnel(entries: Iterable[LogEntry], queued: int | None) -> dict[str, Any]:
    """The sync to Segment over the window: queued now, retried, delivered, failed by code (with samples)."""
    delivered = retried = retries = 0
    retried_samples: list[dict[str, Any]] = []
    failed: dict[str, list[Any]] = {}
    for entry in entries:
        answer = entry.response
        attempts = answer.get("attempts") if isinstance(answer, dict) else None
        shown = {
            "message_id": entry.id,
            "received_at": entry.timestamp,
            "event_type": entry.event_type,
            "subscription": None,
            "log": "outbound",
            "log_entry": entry.seq,
        }
        if isinstance(attempts, int) and attempts > 1:
            retried += 1
            retries += attempts - 1
            if len(retried_samples) < SAMPLES:
                retried_samples.append(shown)
        if entry.error is None and entry.error_code is None:
            delivered += 1
            continue
        code = entry.error_code or f"HTTP_{entry.status}"
        count_and_samples = failed.setdefault(code, [0, []])
        count_and_samples[0] += 1
        if len(count_and_samples[1]) < SAMPLES:
            count_and_samples[1].append(shown)
    reasons = [{"code": code, "count": n, "samples": kept} for code, (n, kept) in failed.items()]
    reasons.sort(key=lambda r: (-r["count"], r["code"]))
    return {
        "enabled": queued is not None,
        "queued": queued,
        "sent": delivered + sum(r["count"] for r in reasons),
        "delivered": delivered,
        "retried": {"count": retried, "retries": retries, "samples": retried_samples},
        "failed": {"count": sum(r["count"] for r in reasons), "reasons": reasons},
    }
