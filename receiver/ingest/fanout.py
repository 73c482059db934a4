"""From an accepted Tracking API message to the webhook: every enabled subscription, in process.

Each message is deduplicated on its `messageId`, then run through the destination's
`Pipeline` (the enabled subscriptions of `mappings/`, compiled once), and each request a
subscription makes goes to the webhook's own core (`WebhookService.deliver`) with its JSON
body and headers — no second HTTP hop, and exactly the checks, rules and inbound-log entry a
request from Segment gets. One message can so become several requests.

Where each message ends up, so that every one can be accounted for:

- applied or refused by the webhook: the webhook's own inbound-log entry (status 202, or
  the refusal's status and reason), under the message's `messageId`;
- a subscription matched but could not build its request (mapping or payload validation,
  Segment's `PayloadValidationError`): an entry with status 400, code `MAPPING_FAILED` and
  the subscription's name in the message;
- no enabled subscription matched, or the message's `integrations` turn the destination off:
  an entry with status 200, no error, and the reason in its response (`"status": "ignored"`);
- blocked by the tracking plan (`plan_gate`): an entry with status 200, `"status": "blocked"` (code
  `PLAN_BLOCKED`), the message kept in the store's quarantine; every entry records the plan's verdict;
- a duplicate `messageId` within the window: dropped and counted, not logged again (the
  first copy's entries are in the log under the same ID); the drop itself is kept in
  `duplicates`, a log of its own with the inbound log's columns, for the dashboard's counts.

`IngestStats` counts all of these; `Fanout.deliveries` counts each subscription's requests by
outcome (delivered, refused, mapping_failed), for the per-mapping success rate the alerts watch.

On a durable store a call is one unit of work: every message is routed and checked first
(`WebhookService.prepare`), then the store writes the whole call — messageId claims, key
claims, events, key answers, log entries — in one transaction (`LoyaltyStore.write_batch`), and
each message settles its own outcome. A unit that fails writes nothing, and its messages then
run one by one, each a task, side by side. On the memory store nothing waits, so they run one
after another, with a turn for other requests every `SIDE_BY_SIDE` messages. One refused
message never refuses another: each keeps its own outcome and log entry.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import Any

from destination.definition.model import Definition
from destination.definition.subscriptions import Subscription
from destination.delivery.pipeline import Outcome, Pipeline
from destination.errors import DestinationError
from receiver.core import test_runs
from receiver.core.calls import InProcessCall
from receiver.core.idempotency import HEADER
from receiver.core.service import WebhookService
from receiver.errors import error_body
from receiver.ingest.dedup import MessageDeduplicator
from receiver.ingest.integrations import destination_enabled
from receiver.ingest.outcomes import (
    DESTINATION_DISABLED,
    INTERNAL_ERROR,
    MAPPING_FAILED,
    NO_TRIGGER_MATCHED,
    TRIGGER_FAILED,
    IngestStats,
    MessageReport,
    UnitPlan,
    carried_id,
    customer_mapping,
    destination_settings,
    duplicate_entry,
    ignored,
)
from receiver.ingest.plan_gate import PlanCheck, PlanGate, blocked_answer, plan_record, quarantined
from receiver.ingest.recent import RecentFeed
from receiver.ingest.versions import MappingVersions
from receiver.logs.sources import tracking_source
from receiver.logs.stored import StoredLog
from receiver.store.contract import BatchWindows, MessageResult, NewLogEntry, StoreUnavailable
from receiver.store.entries import LogEntry
from receiver.web.body import dotted

logger = logging.getLogger(__name__)
IDEMPOTENCY_HEADER = HEADER.lower()
SIDE_BY_SIDE = 8
"""Messages of one call run between two turns for other requests on the memory store (see
`Fanout.process_all`): about 0.6 ms of the loop, under 5 ms even in asyncio's debug mode."""


class Fanout:
    """The compiled subscriptions, the deduplicator and the counters of one app."""

    def __init__(
        self,
        service: WebhookService,
        subscriptions: Iterable[Subscription],
        *,
        definition: Definition,
        recent: RecentFeed | None = None,
        versions: MappingVersions | None = None,
        gate: PlanGate | None = None,
    ) -> None:
        config = service.config
        self.service = service
        self.destination = definition.name
        self._definition = definition
        self.dedup = MessageDeduplicator(service.store, config.dedup_window_seconds)
        self.stats = IngestStats()
        self.deliveries: Counter[tuple[str, str]] = Counter()
        """Requests by (subscription name, outcome): names come from the mappings, so the labels stay bounded."""
        self.duplicates = StoredLog(service.store, "duplicate")
        self.recent = recent if recent is not None else RecentFeed()
        """Accepted messages for the Mappings page's "Load event from source" (the app gives the store's)."""
        self._customer_field = definition.field_for("customer")
        self.versions = versions if versions is not None else MappingVersions()
        """Each subscription's mapping version, for the lineage of the events it produces."""
        self.gate = gate if gate is not None else PlanGate(None)
        """The tracking plan every message is checked against first (`receiver.ingest.plan_gate`)."""
        self.use(subscriptions)

    def use(self, subscriptions: Iterable[Subscription]) -> None:
        """Run these subscriptions from the next message on (mappings saved on the Mappings page)."""
        pipeline = Pipeline(
            self._definition, subscriptions, destination_settings(self._definition, self.service.config)
        )
        self._customers = {
            id(route.subscription): customer_mapping(route.subscription, self._customer_field)
            for route in pipeline.routes
        }
        # The schema each route's payload was validated against, so the webhook core need not repeat it.
        self._schemas = {id(route.subscription): route.action.validator.schema for route in pipeline.routes}
        self.versions.use(route.subscription for route in pipeline.routes)
        self.pipeline = pipeline

    @property
    def subscriptions(self) -> list[Subscription]:
        """The subscriptions this ingest runs: the enabled ones."""
        return [route.subscription for route in self.pipeline.routes]

    async def process_all(self, messages: Sequence[dict[str, Any]]) -> list[MessageReport]:
        """A call's messages in order (see the module's docstring); reports in that order.

        On a store that groups writes the whole call is one unit of work (`_as_unit`), one
        transaction whatever its size. Elsewhere (memory) nothing waits, so the messages run one
        after another in the caller's task (a task each would cost more than the work), with a
        turn for other requests every `SIDE_BY_SIDE`.
        """
        reports: list[MessageReport] = []
        if self.service.store.groups_writes:
            return await self._as_unit(messages)
        for start in range(0, len(messages), SIDE_BY_SIDE):
            # Nothing waits on this store: one after another, no task per message, a turn for others
            # before each chunk (the first follows the call's parsing, which took a turn of its own).
            await asyncio.sleep(0)
            for message in messages[start : start + SIDE_BY_SIDE]:
                reports.append(await self.process(message))
        return reports

    async def _as_unit(self, messages: Sequence[dict[str, Any]]) -> list[MessageReport]:
        """The call as one unit of work (`LoyaltyStore.write_batch`): each message routed and checked here,
        then the store writes every claim, event, answer and entry at once; the results settled in order."""
        plans = [await self._plan(message) for message in messages]
        service = self.service
        windows = BatchWindows(self.dedup.window, service.idempotency.ttl, service.idempotency.lease)
        try:
            results = await service.store.write_batch([plan.unit for plan in plans], windows)
        except Exception as error:
            # Nothing of the unit was written (one transaction): each message runs on its own instead,
            # where a database that is down gives each its 503 entry and the call its 503.
            logger.warning("a call's unit of work failed (%s); its messages run one by one", type(error).__name__)
            return list(await asyncio.gather(*(self.process(message) for message in messages)))
        return [await self._settle(plan, result) for plan, result in zip(plans, results, strict=True)]

    async def _plan(self, message: dict[str, Any]) -> UnitPlan:
        """`process`'s routing, without its writes: what the message's requests are and what each will log."""
        verdict, message = self.gate.check(message, count=False)
        plan = UnitPlan(message, checked=verdict)
        note = plan.note
        if verdict is not None and verdict.blocked:
            plan.kind = "blocked"
            note(self.service.note_entry(**self._noted(message, 200, blocked_answer(verdict), None, None)))
            return plan.done(partial(self._duplicate_entry, message))
        if not destination_enabled(message.get("integrations"), self.destination):
            plan.kind = "filtered"
            reason = f"The message's 'integrations' turn off the {self.destination} destination."
            note(
                self.service.note_entry(**self._noted(message, 200, ignored(DESTINATION_DISABLED, reason), None, None))
            )
            return plan.done(partial(self._duplicate_entry, message))
        try:
            outcomes = self.pipeline.run(message)
        except Exception as exc:
            if not isinstance(exc, DestinationError):
                logger.exception("routing message %s failed unexpectedly", message["messageId"])
            code, text = (
                (TRIGGER_FAILED, f"A subscription's trigger cannot be evaluated: {exc.message}")
                if isinstance(exc, DestinationError)
                else (INTERNAL_ERROR, "The receiver failed to route this message.")
            )
            plan.kind = "failed"
            status = 400 if code != INTERNAL_ERROR else 500
            note(self.service.note_entry(**self._noted(message, status, error_body(code, text), (code, text), None)))
            return plan.done(partial(self._duplicate_entry, message))
        if not outcomes:
            plan.kind = "unmatched"
            reason = f"No enabled subscription's trigger matches this {message['type']} call."
            note(self.service.note_entry(**self._noted(message, 200, ignored(NO_TRIGGER_MATCHED, reason), None, None)))
        for outcome in outcomes:
            version = await self._version(outcome.subscription)
            if outcome.request is None:
                plan.mapping_failed += 1
                note(self.service.note_entry(**self._mapping_failed(message, outcome, version)))
                continue
            call = self._call(message, outcome, version)
            plan.requests.append(await self.service.prepare(call))
            plan.calls.append(call)
        return plan.done(partial(self._duplicate_entry, message))

    async def _settle(self, plan: UnitPlan, result: MessageResult) -> MessageReport:
        """Count, feed and report one message of a unit; a request whose key another one held runs now, alone."""
        message_id = plan.message["messageId"]
        if result.duplicate:
            self.stats.duplicates += 1
            return MessageReport(message_id, duplicate=True)
        self.stats.accepted += 1
        self.recent.append(plan.message)
        if plan.kind != "routed":
            setattr(self.stats, plan.kind, getattr(self.stats, plan.kind) + 1)
        self.gate.count(plan.checked)
        if plan.checked is not None and plan.checked.blocked:
            await self._quarantine(plan.message, plan.checked)
        self.stats.mapping_failed += plan.mapping_failed
        entries: list[LogEntry] = []
        for call, outcome, entry in zip(plan.calls, result.outcomes, result.entries, strict=True):
            if outcome.deferred and call is not None:
                delivery = await self.service.deliver(call)
                entry = delivery.entry
            elif call is not None and entry is not None:
                self.service.settled(entry, outcome)
            if entry is None:
                raise RuntimeError("an in-process delivery is always logged")
            if call is not None:
                if entry.status < 400:
                    self.stats.delivered += 1
                else:
                    self.stats.refused += 1
            entries.append(entry)
        return MessageReport(message_id, entries=tuple(entries))

    async def process(
        self, message: dict[str, Any], *, pipeline: Pipeline | None = None, replay: bool = False
    ) -> MessageReport:
        """Deduplicate, check against the plan, route and deliver one message that the Tracking API accepted.

        `pipeline` replaces the enabled subscriptions (the event tester's one, down this same path); `replay`
        is a message from the quarantine (`receiver.ingest.replay`), seen before: not deduplicated or counted.
        """
        message_id = message["messageId"]
        if not replay and not await self.dedup.first_time(message_id):
            self.stats.duplicates += 1
            logger.debug("message %s is a duplicate; dropped", message_id)
            await self._duplicate(message)
            return MessageReport(message_id, duplicate=True)
        if not replay:
            self.stats.accepted += 1
            self.recent.append(message)
        if pipeline is None:  # the tester's chosen subscription runs unchecked
            verdict, message = self.gate.check(message)
            if verdict is not None and verdict.blocked:
                self.stats.blocked += 1
                await self._quarantine(message, verdict)
                return await self._ignored(message, blocked_answer(verdict))
        if not destination_enabled(message.get("integrations"), self.destination):
            self.stats.filtered += 1
            reason = f"The message's 'integrations' turn off the {self.destination} destination."
            return await self._ignored(message, ignored(DESTINATION_DISABLED, reason))
        try:
            outcomes = (pipeline or self.pipeline).run(message)
        except DestinationError as exc:
            self.stats.failed += 1
            return await self._failed(
                message, TRIGGER_FAILED, f"A subscription's trigger cannot be evaluated: {exc.message}"
            )
        except Exception:
            logger.exception("routing message %s failed unexpectedly", message_id)
            self.stats.failed += 1
            return await self._failed(message, INTERNAL_ERROR, "The receiver failed to route this message.")
        if not outcomes:
            self.stats.unmatched += 1
            reason = f"No enabled subscription's trigger matches this {message['type']} call."
            return await self._ignored(message, ignored(NO_TRIGGER_MATCHED, reason))
        if len(outcomes) == 1 or not self.service.store.groups_writes:
            entries = [await self._deliver(message, outcome) for outcome in outcomes]
        else:  # all of a message's requests in one step, so that it keeps pace with the call's other messages
            entries = await asyncio.gather(*(self._deliver(message, outcome) for outcome in outcomes))
        report = MessageReport(message_id, entries=tuple(entries))
        if report.unfinished is not None:
            # Not lost: the messageId is released, and the call answers 503 so the library sends it again;
            # the requests that were applied replay their stored answers then (their Idempotency-Keys).
            await self.dedup.forget(message_id)
        return report

    async def _deliver(self, message: Mapping[str, Any], outcome: Outcome) -> LogEntry:
        version = await self._version(outcome.subscription)
        if outcome.request is None:
            self.stats.mapping_failed += 1
            self.deliveries[outcome.subscription.name, "mapping_failed"] += 1
            return await self.service.note(**self._mapping_failed(message, outcome, version))
        delivery = await self.service.deliver(self._call(message, outcome, version))
        if delivery.accepted:
            self.stats.delivered += 1
        else:
            self.stats.refused += 1
        self.deliveries[outcome.subscription.name, "delivered" if delivery.accepted else "refused"] += 1
        if delivery.entry is None:
            raise RuntimeError("an in-process delivery is always logged")
        return delivery.entry

    async def _version(self, subscription: Subscription) -> str:
        """Recorded in the store before an entry or event names it; known (no await) once it is."""
        return self.versions.known(subscription) or await self.versions.digest(subscription)

    def _mapping_failed(self, message: Mapping[str, Any], outcome: Outcome, version: str) -> dict[str, Any]:
        """The entry of a subscription that matched but could not build its request."""
        text = f"{outcome.subscription.name}: {outcome.error}"
        body = error_body(MAPPING_FAILED, text, dotted(outcome.field or ""))
        noted = self._noted(message, 400, body, (MAPPING_FAILED, text), outcome)
        return {**noted, "made_by": (outcome.subscription.name, version)}

    def _call(self, message: Mapping[str, Any], outcome: Outcome, version: str) -> InProcessCall:
        """The webhook request a subscription's outcome makes (it has a request), made by this mapping version."""
        assert outcome.request is not None
        made_by = outcome.subscription.name, version
        headers = {name.lower(): value for name, value in outcome.request.headers.items()}
        return InProcessCall(
            outcome.request.json,
            message_id=message["messageId"],
            idempotency_key=headers.get(IDEMPOTENCY_HEADER),
            source=tracking_source(message),
            validated_with=self._schemas.get(id(outcome.subscription)),
            made_by=made_by,
            test_run=test_runs.of_message(message),
            plan_check=plan_record(message),
        )

    async def _duplicate(self, message: Mapping[str, Any]) -> None:
        await self.duplicates.add(self._duplicate_entry(message))

    def _duplicate_entry(self, message: Mapping[str, Any]) -> NewLogEntry:
        return duplicate_entry(message, self.service.redact.text)

    async def _ignored(self, message: Mapping[str, Any], answer: dict[str, Any]) -> MessageReport:
        entry = await self.service.note(**self._noted(message, 200, answer, None, None))
        return MessageReport(message["messageId"], entries=(entry,))

    async def _quarantine(self, message: Mapping[str, Any], verdict: PlanCheck) -> None:
        """Keep a blocked message for replay; one too large for the bounds, or a store down, loses only the copy."""
        try:
            kept = await self.service.store.quarantine_put(quarantined(message, verdict, self.service.redact))
        except StoreUnavailable:  # the message's entry says it was blocked already: the call is not failed for it
            kept = None
        if kept is None:
            logger.warning("blocked message %s could not be kept in the quarantine", message["messageId"])

    async def _failed(self, message: Mapping[str, Any], code: str, text: str) -> MessageReport:
        status = 400 if code != INTERNAL_ERROR else 500
        entry = await self.service.note(**self._noted(message, status, error_body(code, text), (code, text), None))
        return MessageReport(message["messageId"], entries=(entry,))

    def _noted(
        self,
        message: Mapping[str, Any],
        status: int,
        response: dict[str, Any],
        error: tuple[str, str] | None,
        outcome: Outcome | None,
    ) -> dict[str, Any]:
        return {
            "identifier": message["messageId"],
            "customer_id": (self._customer(outcome.subscription, message) if outcome else None) or carried_id(message),
            "event_type": message["type"],
            "status": status,
            "response": response,
            "request": message,
            "error": error,
            "source": tracking_source(message),
            "test_run": test_runs.of_message(message),
            "plan_check": plan_record(message),
        }

    def _customer(self, subscription: Subscription, message: Mapping[str, Any]) -> str | None:
        key = id(subscription)
        # A subscription of another pipeline (the tester's) is compiled on the spot, not cached.
        known = key in self._customers
        compiled = self._customers[key] if known else customer_mapping(subscription, self._customer_field)
        if compiled is None:
            return None
        try:
            mapped = compiled(message)
        except DestinationError:
            return None
        value = mapped.get(self._customer_field) if isinstance(mapped, dict) else None
        return value if isinstance(value, str) and value else None
