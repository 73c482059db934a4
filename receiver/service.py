"""The webhook's work, start to finish: check, deduplicate, apply, answer, and log.

The route hands the raw request here and returns whatever comes back. Each request gets
exactly one inbound-log entry, whatever happens, and a refused request changes nothing else.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from .config import ReceiverConfig
from .contract import WebhookContract
from .errors import ApiError, error_body
from .idempotency import HEADER as IDEMPOTENCY_HEADER
from .idempotency import IdempotencyCache, StoredResponse, check_key, fingerprint
from .logs import InboundLog
from .loyalty import LoyaltyRules
from .security import Redactor
from .store import LoyaltyStore
from .webhook import (
    PayloadChecker,
    check_api_key,
    check_content_type,
    message_id,
    parse_json,
    read_body,
    require_object,
)

logger = logging.getLogger("receiver.webhook")
REPLAY_HEADER = "Idempotent-Replayed"
ACCEPTED = 202


@dataclass
class _Trace:
    """What the inbound log learns about a request as it is checked."""

    identifier: str | None = None
    customer_id: str | None = None
    event_type: str | None = None
    request: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class WebhookService:
    """Everything the webhook needs, built once per app."""

    def __init__(
        self,
        config: ReceiverConfig,
        contract: WebhookContract,
        store: LoyaltyStore,
        log: InboundLog,
    ) -> None:
        self.config = config
        self.contract = contract
        self.store = store
        self.log = log
        self.idempotency = IdempotencyCache(config.idempotency_ttl_seconds)
        self.rules = LoyaltyRules(config, contract)
        self.checker = PayloadChecker(contract)
        secret = config.api_key.get_secret_value() if config.api_key else ""
        self.redact = Redactor(contract.secret_fields, [secret])
        self._key = config.api_key_bytes()

    async def handle(self, request: Request) -> JSONResponse:
        started = time.perf_counter()
        received = datetime.now(UTC)
        trace = _Trace()
        try:
            status, body = await self._process(request, trace)
        except ApiError as exc:
            status, body = exc.status, exc.body()
            trace.headers.update(exc.headers)
        except Exception:
            logger.exception("webhook request failed unexpectedly")
            status, body = 500, error_body("INTERNAL_ERROR", "The receiver failed to process the request.")
        elapsed = round(time.perf_counter() - started, 6)
        error = body.get("error") if status >= 400 else None
        identifier = self.redact.text(trace.identifier) if trace.identifier else f"req_{uuid.uuid4().hex}"
        self.log.add(
            id=identifier,
            timestamp=received,
            customer_id=self.redact.text(trace.customer_id) if trace.customer_id is not None else None,
            event_type=trace.event_type,
            status=status,
            response_time=elapsed,
            error=error["message"] if error else None,
            error_code=error["code"] if error else None,
            request=trace.request,
            response=self.redact(body),
        )
        if error:
            logger.info("webhook %s refused: %s %s", identifier, status, error["code"])
        return JSONResponse(body, status_code=status, headers=trace.headers)

    async def _process(self, request: Request, trace: _Trace) -> tuple[int, dict[str, Any]]:
        check_content_type(request.headers.get("content-type"))
        raw = await read_body(request, self.config.max_body_bytes)
        parsed = parse_json(raw)
        trace.request = self.redact(parsed)
        trace.identifier = message_id(request, None)
        body = require_object(parsed)
        action = self.contract.classify(body)
        trace.identifier = message_id(request, body)
        trace.event_type = action.event_type
        customer = body.get(self.contract.customer_field)
        trace.customer_id = customer if isinstance(customer, str) else None
        check_api_key(body, self.contract.auth_field, self._key)
        key = check_key(request.headers.get(IDEMPOTENCY_HEADER))
        if key is None:
            return await self._apply(body)
        claim = await self.idempotency.begin(key, fingerprint(body))
        if isinstance(claim, StoredResponse):
            trace.headers[REPLAY_HEADER] = "true"
            return claim.status, claim.body
        try:
            try:
                status, answer = await self._apply(body)
            except ApiError as exc:
                status, answer = exc.status, exc.body()
        except BaseException:
            self.idempotency.release(claim)
            raise
        self.idempotency.complete(claim, StoredResponse(status, answer))
        return status, answer

    async def _apply(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Schema, then request rules, then the store's atomic check-and-write."""
        action = self.contract.classify(body)
        # The key is masked wherever it was mapped into the payload too: it is never stored.
        payload = self.redact(self.checker.check(action, body))
        name = payload.get(self.contract.name_field, action.extras.get(self.contract.name_field))
        verdict = self.rules.decide(action, payload, name if isinstance(name, str) else "")
        event = await self.store.apply(verdict.customer, verdict.decide)
        return ACCEPTED, {"id": event.id, "status": "accepted"}
