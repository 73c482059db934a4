"""The webhook's work, start to finish: check, deduplicate, apply, answer, and log.

The route hands the raw request here and returns whatever comes back; the Tracking API
ingest hands over the destination's requests as typed `InProcessCall`s (parsed JSON, messageId,
idempotency key) through `deliver`, so both go down one path that checks, applies and logs. Each request gets
exactly one inbound-log entry, whatever happens, and a refused request changes nothing else.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from receiver.config import ReceiverConfig
from receiver.core import test_runs
from receiver.core.calls import Delivery, InProcessCall, Named, Trace
from receiver.core.checks import PayloadChecker, check_api_key, message_id
from receiver.core.contract import ActionContract, WebhookContract
from receiver.core.customer_ids import CustomerIds
from receiver.core.idempotency import REPLAY_HEADER, Idempotency, StoredResponse, check_key, fingerprint
from receiver.core.loyalty import LoyaltyRules, Verdict
from receiver.core.prepared import answer_of, refusing
from receiver.errors import ApiError, error_body
from receiver.ids import random_id
from receiver.jsontext import JsonAnswer
from receiver.logs.sources import WEBHOOK
from receiver.logs.stored import StoredLog
from receiver.ratelimit import API_KEY, AuthGuard, TokenBucket
from receiver.security import KeyGate, Redactor, client_address
from receiver.store.batch import accepted_answer
from receiver.store.contract import (
    BatchRequest,
    Decision,
    LoyaltyStore,
    NewLogEntry,
    RequestOutcome,
    StoreUnavailable,
)
from receiver.store.entries import LogEntry, unstored_entry
from receiver.store.lineage import Lineage
from receiver.web.body import check_content_type, parse_json, read_body, require_object

logger = logging.getLogger(__name__)


class WebhookService:
    """Everything the webhook needs, built once per app."""

    def __init__(
        self,
        config: ReceiverConfig,
        contract: WebhookContract,
        store: LoyaltyStore,
        log: StoredLog,
        customer_ids: CustomerIds | None = None,
    ) -> None:
        self.config = config
        self.contract = contract
        self.store = store
        self.log = log
        self.idempotency = Idempotency(store, config.idempotency_ttl_seconds)
        limits = config.limits
        self.guard = AuthGuard(limits)
        rate = limits.log_anonymous_per_second
        self._anonymous_log = TokenBucket.full(rate * 10, rate, time.monotonic())
        self.rules = LoyaltyRules(config, contract)
        self.checker = PayloadChecker(contract)
        secrets = [key.get_secret_value() for key in (config.api_key, config.write_key) if key is not None]
        self.redact = Redactor(contract.secret_fields, secrets)
        self.api_gate = KeyGate(self.guard, API_KEY, config.api_key_bytes())
        """The API key's one check, for the webhook and every page and route that asks for the key."""
        self.listeners: list[Callable[[LogEntry, bool], None]] = []
        """Told of every webhook request's log entry, and whether it was an idempotent replay (metrics)."""
        self.customer_ids = customer_ids
        """Given when the Customer ID mapping may name an external-ID attribute (see `core.customer_ids`)."""

    async def handle(self, request: Request) -> JSONResponse:
        """An HTTP request: media type, size and JSON first, then the shared path."""

        async def read() -> Any:
            check_content_type(request.headers.get("content-type"))
            return parse_json(await read_body(request, self.config.max_body_bytes))

        address = client_address(request)

        async def refused(error: ApiError) -> Any:
            raise error  # through `_run`, so the refusal is logged like any other

        try:
            test_run, parsed = test_runs.from_headers(request.headers), read()
        except ApiError as exc:
            test_run, parsed = None, refused(exc)
        done = await self._run(parsed, Named.from_headers(request.headers), WEBHOOK, address, test_run=test_run)
        return JsonAnswer(done.body, status_code=done.status, headers=done.headers)

    async def deliver(self, call: InProcessCall) -> Delivery:
        """A request made inside this process: the same checks, rules and log entry as an HTTP one."""
        named = Named(call.message_id, call.idempotency_key)
        return await self._run(
            call.body,
            named,
            call.source,
            validated_with=call.validated_with,
            made_by=call.made_by,
            test_run=call.test_run,
            plan_check=call.plan_check,
        )

    async def note(self, **what: Any) -> LogEntry:
        """An inbound-log entry for something that never became a webhook request (see `note_entry`), written."""
        return await self._log(self.note_entry(**what))

    def note_entry(
        self,
        *,
        identifier: str,
        customer_id: str | None,
        event_type: str | None,
        status: int,
        response: dict[str, Any],
        request: Any = None,
        error: tuple[str, str] | None = None,
        source: str | None = None,
        made_by: tuple[str, str] | None = None,
        test_run: str | None = None,
        plan_check: dict[str, Any] | None = None,
    ) -> NewLogEntry:
        """The entry of something that never became a webhook request (`error` is code, message)."""
        return NewLogEntry(
            id=self.redact.text(identifier),
            timestamp=datetime.now(UTC),
            customer_id=self.redact.text(customer_id) if customer_id is not None else None,
            event_type=event_type,
            status=status,
            response_time=0.0,
            error=self.redact.text(error[1]) if error else None,
            error_code=error[0] if error else None,
            request=self.redact(request),
            response=self.redact(response),
            source=source,
            subscription=made_by[0] if made_by else None,
            mapping_version=made_by[1] if made_by else None,
            test_run=test_run,
            plan_check=plan_check,
        )

    async def prepare(self, call: InProcessCall) -> BatchRequest:
        """An in-process request as one step of the store's unit of work (`LoyaltyStore.write_batch`):
        the checks and the rules' decision now, its key, event, answer and log entry in the unit.

        The same path as `deliver`, cut where the store begins: a refusal before the key stays
        outside the unit (no key claimed), a refusal of the schema or the rules becomes the
        decision's own, so a key still stores it as its answer. Call `settled` with the entry written.
        """
        started = time.perf_counter()
        received = datetime.now(UTC)
        trace = Trace(
            authenticated=True,
            source=call.source,
            validated_with=call.validated_with,
            made_by=call.made_by,
            test_run=call.test_run,
            plan_check=call.plan_check,
        )
        early: tuple[int, dict[str, Any]] | None = None
        key, fingerprinted, customer, decide = None, "", "", None
        try:
            action, body, key = self._checked(call.body, Named(call.message_id, call.idempotency_key), trace, None)
            fingerprinted = fingerprint(body) if key is not None else ""
            try:
                customer, decide = await self._decision(action, body, trace)
            except ApiError as exc:
                decide = refusing(exc)
        except ApiError as exc:
            early = exc.status, exc.body()
        except Exception:
            logger.exception("webhook request failed unexpectedly")
            early = 500, error_body("INTERNAL_ERROR", "The receiver failed to process the request.")
        lineage = self._lineage(trace) if decide is not None else None  # first: it may name the entry
        identifier = self.redact.text(trace.identifier) if trace.identifier else random_id("req_")

        def entry(outcome: RequestOutcome) -> NewLogEntry | None:
            if outcome.deferred:
                return None  # the caller runs it again through `deliver`, where the wait for the key applies
            status, answer = answer_of(outcome, early)
            error = answer.get("error") if status >= 400 else None
            return NewLogEntry(
                id=identifier,
                timestamp=received,
                customer_id=self.redact.text(trace.customer_id) if trace.customer_id is not None else None,
                internal_customer_id=trace.internal_customer_id,
                event_type=trace.event_type,
                status=status,
                response_time=round(time.perf_counter() - started, 6),
                error=error["message"] if error else None,
                error_code=error["code"] if error else None,
                request=trace.request,
                response=self.redact(answer),
                **trace.origin(),
            )

        return BatchRequest(entry, customer, decide, key, fingerprinted, lineage)

    def settled(self, entry: LogEntry, outcome: RequestOutcome) -> None:
        """What `deliver` does once a request is answered, for a prepared one the store wrote."""
        if entry.error_code is not None:
            logger.info("webhook %s refused: %s %s", entry.id, entry.status, entry.error_code)
        for listener in self.listeners:
            listener(entry, isinstance(outcome.claim, StoredResponse))

    async def _run(
        self,
        parsed: Coroutine[Any, Any, Any] | Mapping[str, Any],
        named: Named,
        source: str,
        address: str | None = None,
        validated_with: Mapping[str, Any] | None = None,
        made_by: tuple[str, str] | None = None,
        test_run: str | None = None,
        plan_check: dict[str, Any] | None = None,
    ) -> Delivery:
        """`address` is the HTTP client's (None for a request made in this process, which is trusted)."""
        started = time.perf_counter()
        received = datetime.now(UTC)
        trusted = address is None
        trace = Trace(
            authenticated=trusted,
            source=source,
            validated_with=validated_with if trusted else None,
            made_by=made_by if trusted else None,
            test_run=test_run,
            plan_check=plan_check if trusted else None,
        )
        try:
            value = await parsed if inspect.iscoroutine(parsed) else parsed  # a concrete type check: no ABC walk
            status, body = await self._process(value, named, trace, address)
        except ApiError as exc:
            status, body = exc.status, exc.body()
            trace.headers.update(exc.headers)
        except Exception:
            logger.exception("webhook request failed unexpectedly")
            status, body = 500, error_body("INTERNAL_ERROR", "The receiver failed to process the request.")
        elapsed = round(time.perf_counter() - started, 6)
        error = body.get("error") if status >= 400 else None
        identifier = self.redact.text(trace.identifier) if trace.identifier else random_id("req_")
        outcome: dict[str, Any] = {
            "timestamp": received,
            "event_type": trace.event_type,
            "status": status,
            "response_time": elapsed,
            "error": error["message"] if error else None,
            "error_code": error["code"] if error else None,
        }
        entry = await self._logged(trace, identifier, body, outcome)
        if error:
            logger.info("webhook %s refused: %s %s", identifier, status, error["code"])
        if self.listeners:
            # A refusal past the log's rate is still counted: listeners get an entry that was not stored.
            seen = entry or unstored_entry(
                id=identifier, customer_id=None, request=None, response=None, authenticated=False, **outcome
            )
            for listener in self.listeners:
                listener(seen, REPLAY_HEADER in trace.headers)
        return Delivery(status, body, trace.headers, entry)

    async def _logged(
        self, trace: Trace, identifier: str, body: dict[str, Any], outcome: dict[str, Any]
    ) -> LogEntry | None:
        """The request's one inbound-log entry, or None for an unauthenticated one past the log's rate.

        Who sent an unauthenticated request is unknown: no body, no customer the sender chose, and
        only as many as the log's rate for those allows, in its own small lane.
        """
        trusted = trace.authenticated
        if not trusted and not self._anonymous_log.take(time.monotonic()):
            return None
        customer = trace.customer_id if trusted else None
        return await self._log(
            NewLogEntry(
                id=identifier if trusted else random_id("req_"),
                customer_id=self.redact.text(customer) if customer is not None else None,
                internal_customer_id=trace.internal_customer_id if trusted else None,
                request=trace.request if trusted else None,
                response=self.redact(body),
                authenticated=trusted,
                **trace.origin(),
                **outcome,
            )
        )

    async def _process(
        self, parsed: Any, named: Named, trace: Trace, address: str | None
    ) -> tuple[int, dict[str, Any]]:
        action, body, key = self._checked(parsed, named, trace, address)
        if key is None:
            return await self._apply(action, body, trace)
        claim = await self.idempotency.begin(key, fingerprint(body))
        if isinstance(claim, StoredResponse):
            trace.headers[REPLAY_HEADER] = "true"
            return claim.status, claim.body
        try:
            return await self._apply(action, body, trace, key)
        except StoreUnavailable:
            await self.idempotency.release(claim)
            raise
        except ApiError as exc:
            status, answer = exc.status, exc.body()
        except BaseException:
            await self.idempotency.release(claim)
            raise
        await self.idempotency.finish(claim, StoredResponse(status, answer))
        return status, answer

    def _checked(
        self, parsed: Any, named: Named, trace: Trace, address: str | None
    ) -> tuple[ActionContract, dict[str, Any], str | None]:
        """The checks before the Idempotency-Key is claimed: the action, the key, and the valid key's value."""
        if trace.authenticated:
            trace.request = self.redact(parsed)
        trace.identifier = named.message_id
        body = require_object(parsed)
        action = self.contract.classify(body)
        trace.identifier = trace.message_id = named.message_id or message_id({}, body)
        trace.event_type = action.event_type
        customer = body.get(self.contract.customer_field)
        trace.customer_id = customer if isinstance(customer, str) else None
        check_api_key(body, self.contract.auth_field, self.api_gate, address)
        trace.authenticated = True
        if trace.request is None:  # an in-process request's was redacted above already
            trace.request = self.redact(parsed)
        return action, body, check_key(named.idempotency_key)

    async def _log(self, entry: NewLogEntry) -> LogEntry:
        """Write the entry; with the database down the answer still goes out (the entry is only in the process log)."""
        try:
            return await self.log.add(entry)
        except StoreUnavailable as exc:
            logger.warning("inbound log entry not stored (store unavailable): %s", exc.detail)
            return unstored_entry(**vars(entry))

    def verdict(
        self, action: ActionContract, body: dict[str, Any], validated_with: Mapping[str, Any] | None = None
    ) -> Verdict:
        """The payload's schema check and the loyalty rules' decision: all a request needs before the store."""
        # The key is masked wherever it was mapped into the payload too: it is never stored.
        payload = self.redact(self.checker.check(action, body, validated_with))
        name = payload.get(self.contract.name_field, action.extras.get(self.contract.name_field))
        return self.rules.decide(action, payload, name if isinstance(name, str) else "")

    async def _decision(self, action: ActionContract, body: dict[str, Any], trace: Trace) -> tuple[str, Decision]:
        """Schema and request rules: whom the event is for and the decision the store runs."""
        verdict = self.verdict(action, body, trace.validated_with)
        customer, decide = verdict.customer, verdict.decide
        if self.customer_ids is not None:
            resolved = await self.customer_ids.resolve(customer, decide)
            customer, decide = resolved.customer, resolved.decide
            trace.internal_customer_id = customer if resolved.external is not None else None
        return customer, decide

    def _lineage(self, trace: Trace) -> Lineage:
        """The event's origin; a request without a messageId gets its log entry's ID now, so both name one entry."""
        if trace.identifier is None:
            trace.identifier = random_id("req_")
        subscription, version = trace.made_by or (None, None)
        entry = self.redact.text(trace.identifier)
        message = trace.message_id
        if message is not None:
            message = entry if message == trace.identifier else self.redact.text(message)
        return Lineage(entry, trace.source, message, subscription, version)

    async def _apply(
        self, action: ActionContract, body: dict[str, Any], trace: Trace, idempotency_key: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Schema, then request rules, then the store's atomic check-and-write."""
        customer, decide = await self._decision(action, body, trace)
        event = await self.store.apply(customer, decide, idempotency_key=idempotency_key, lineage=self._lineage(trace))
        answer = accepted_answer(event)
        return answer.status, answer.body
