"""A Segment-compatible HTTP Tracking API: `POST /v1/track`, `/v1/identify` and `/v1/batch`.

Point Segment's libraries (`host=`) or `curl` at the receiver and their events run through
the enabled subscriptions in `mappings/` into the receiver's own webhook, in process.

Answers, as Segment's API gives them: 200 `{"success": true}` once the call is accepted;
400 with the reason for a body over 32 KB (a single call) or 500 KB (a batch), a message over
32 KB, a body that is not JSON, or a malformed message (see `tracking`); 401 for a missing or
wrong write key, and for every call while no write key is configured. A refusal's body is
`{"success": false, "code", "message", "error": {"code", "message", "field"}}`: Segment's
libraries read the top-level `code` and `message`, the rest of the receiver reads `error`.

The write key is the HTTP Basic user name (empty password), or the body's `writeKey` when no
Authorization header is sent; it is compared in constant time and never logged or echoed.
A call's Authorization header is checked before its body is read.

Processing is synchronous: every accepted message has been deduplicated, mapped, applied or
logged before the 200 is sent, so a client (or a test) that got its answer can look at the
store and the log straight away. Segment's meaning of 200 is kept — "accepted"; what the
webhook then made of each message is in the inbound log, not in the answer — except when the
store could not take a message (503: down, or the outbound queue full): then the call answers
503 with `Retry-After`, the message's ID is released, and the library's retry applies it. A batch's
messages run side by side in order (see `fanout`), so a durable store groups their writes.
"""

from __future__ import annotations

import base64
import binascii
import logging
import zlib
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from destination.definition.model import Definition
from destination.definition.project import project_path
from destination.definition.subscriptions import Subscription
from destination.lint.loading import ProjectFilesError, checked_mapping_files, checked_mappings
from receiver.config import ReceiverConfig, env_name
from receiver.core import test_runs
from receiver.core.checks import MAX_MESSAGE_ID_LENGTH
from receiver.core.service import WebhookService
from receiver.errors import ApiError
from receiver.ids import random_id
from receiver.ingest.fanout import Fanout
from receiver.ingest.messages import (
    BATCH_LIMIT,
    EVENT_LIMIT,
    TOO_LARGE,
    WRITE_KEY_FIELD,
    TrackingError,
    parse_batch,
    parse_call,
    too_large,
)
from receiver.ingest.plan_gate import PlanGate
from receiver.ingest.recent import RecentFeed
from receiver.ingest.versions import MappingVersions
from receiver.logs.sources import tracking_source
from receiver.ratelimit import WRITE_KEY
from receiver.security import KeyGate, client_address
from receiver.store.contract import RETRY_AFTER_SECONDS
from receiver.web.body import parse_json, read_body

logger = logging.getLogger(__name__)
CHALLENGE = {"WWW-Authenticate": 'Basic realm="Segment Tracking API"'}
HOW_TO_AUTHENTICATE = "Send the write key as the HTTP Basic user name (empty password) or as 'writeKey' in the body."


class IngestSetupError(Exception):
    """The ingest's mappings cannot be loaded or compiled; the message says which and why."""


def _unauthorized(message: str, code: str = "UNAUTHORIZED") -> TrackingError:
    return TrackingError(401, code, message, headers=CHALLENGE)


def basic_user(authorization: str) -> str:
    """The user name of `Authorization: Basic base64(user:password)`; a header without a colon is all user name."""
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        raise _unauthorized(f"Only HTTP Basic authentication is supported. {HOW_TO_AUTHENTICATE}")
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise _unauthorized("The Authorization header does not hold valid Basic credentials.") from None
    return decoded.partition(":")[0]


def gunzip(raw: bytes, limit: int, what: str) -> bytes:
    """A gzip body, inflated to at most `limit` bytes (a small body cannot expand into a large one)."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        inflated = inflater.decompress(raw, limit + 1)
    except zlib.error:
        raise TrackingError(400, "INVALID_CONTENT_ENCODING", "The request body is not valid gzip.") from None
    if len(inflated) > limit:
        raise too_large(what, limit)
    if not inflater.eof:
        raise TrackingError(400, "INVALID_CONTENT_ENCODING", "The gzip request body is truncated.")
    return inflated


def _usable_id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_MESSAGE_ID_LENGTH


def load_subscriptions(config: ReceiverConfig, definition: Definition) -> list[Subscription]:
    """Every subscription in the configured mappings folder (the pipeline keeps the enabled ones).

    The files get `validate`'s checks first, so a broken one is named with its line and rule.
    """
    try:
        paths = checked_mapping_files(config.mappings_dir)
        return checked_mappings(definition, paths) if paths else []
    except ProjectFilesError as exc:
        where = config.mappings_dir or project_path("mappings")
        raise IngestSetupError(f"cannot load the ingest's mappings from {where}:\n{exc}") from None


class Ingest:
    """The Tracking API of one app: its write key, and the fan-out it feeds."""

    def __init__(
        self,
        config: ReceiverConfig,
        service: WebhookService,
        subscriptions: Iterable[Subscription],
        definition: Definition,
        *,
        recent: RecentFeed | None = None,
        versions: MappingVersions | None = None,
        gate: PlanGate | None = None,
    ) -> None:
        self.service = service
        self._key = config.write_key_bytes()
        self._gate = KeyGate(service.guard, WRITE_KEY, self._key)
        self.before: Callable[[], Awaitable[None]] | None = None
        """Run before an accepted call's messages (the Mappings page's check for a new set of mappings)."""
        try:
            self.fanout = Fanout(
                service, subscriptions, definition=definition, recent=recent, versions=versions, gate=gate
            )
        except Exception as exc:
            raise IngestSetupError(f"cannot compile the ingest's subscriptions: {exc}") from exc

    async def handle(self, request: Request, call_type: str | None) -> JSONResponse:
        """One call: `call_type` is the route's (`track`, `identify`), None for a batch."""
        received = datetime.now(UTC)
        authenticated = False
        try:
            if not self._key:
                raise _unauthorized(
                    "The Tracking API ingest has no write key configured, so it refuses every call: set "
                    f"{env_name('write_key')} (or pass `antavo-actions serve --write-key`) and restart the receiver.",
                    code="WRITE_KEY_NOT_CONFIGURED",
                )
            address = client_address(request)
            self._guard(address)
            authorization = request.headers.get("authorization")
            if authorization:
                self._check_key(basic_user(authorization), address)
                authenticated = True
            body = await self._read(request, call_type)
            if not authenticated:
                self._check_key(body.get(WRITE_KEY_FIELD) if isinstance(body, dict) else None, address)
                authenticated = True
            test_run = self._test_run(request)
            messages = (
                parse_call(body, call_type, received, test_run) if call_type else parse_batch(body, received, test_run)
            )
        except TrackingError as exc:
            return await self._refuse(exc, call_type, logged=authenticated)
        if self.before is not None:
            await self.before()
        reports = await self.fanout.process_all(messages)
        unfinished = next((report.unfinished for report in reports if report.unfinished is not None), None)
        if unfinished is not None:
            retry = TrackingError(
                503,
                unfinished.error_code or "STORE_UNAVAILABLE",
                "The receiver could not store every message of this call; send it again (the messages it did "
                "store are recognised by their messageId and not applied twice).",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
            return JSONResponse(retry.body(), status_code=503, headers=retry.headers)
        return JSONResponse({"success": True})

    @staticmethod
    def _test_run(request: Request) -> str | None:
        try:
            return test_runs.from_headers(request.headers)
        except ApiError as exc:
            raise TrackingError(exc.status, exc.code, exc.message, field=exc.field) from None

    def _guard(self, address: str) -> None:
        """429 for an address that failed too often (see `ratelimit`), before its key is even looked at."""
        try:
            self._gate.check(address)
        except ApiError as exc:
            raise TrackingError(exc.status, exc.code, exc.message, headers=exc.headers) from None

    def _check_key(self, given: Any, address: str) -> None:
        try:
            admitted = self._gate.admit(address, given)
        except ApiError as exc:
            raise TrackingError(exc.status, exc.code, exc.message, headers=exc.headers) from None
        if admitted:
            return
        if given is None or given == "":
            raise _unauthorized(f"No write key was sent. {HOW_TO_AUTHENTICATE}")
        raise _unauthorized("The write key is not valid.")

    async def _read(self, request: Request, call_type: str | None) -> Any:
        limit, what = (EVENT_LIMIT, "The request body") if call_type else (BATCH_LIMIT, "The batch")
        try:
            raw = await read_body(request, limit)
        except ApiError as exc:
            if exc.status == 413:
                raise too_large(what, limit) from None
            raise TrackingError(400, exc.code, exc.message, field=exc.field) from None
        encoding = (request.headers.get("content-encoding") or "identity").strip().lower()
        if encoding == "gzip":
            raw = gunzip(raw, limit, what)
        elif encoding != "identity":
            raise TrackingError(
                400, "UNSUPPORTED_CONTENT_ENCODING", "The request body must be sent as is or gzip-compressed."
            )
        try:
            return parse_json(raw)
        except ApiError as exc:
            # 422 (a number no float can hold) stays 422, as the webhook answers it; the rest is Segment's 400.
            raise TrackingError(422 if exc.status == 422 else 400, exc.code, exc.message, field=exc.field) from None

    async def _refuse(self, exc: TrackingError, call_type: str | None, *, logged: bool) -> JSONResponse:
        """Answer a refusal; an authenticated sender's 400 also goes to the inbound log, under the message's ID."""
        logger.info("tracking API call refused: %s %s", exc.status, exc.code)
        if logged:
            item = exc.item if isinstance(exc.item, dict) else {}
            message_id = item.get("messageId")
            user = item.get("userId")
            kind = item.get("type") if call_type is None else call_type
            # An oversized message is not kept: the log must stay small whatever is sent.
            stored = {k: v for k, v in item.items() if k != WRITE_KEY_FIELD} if exc.code != TOO_LARGE else {}
            await self.service.note(
                identifier=str(message_id) if _usable_id(message_id) else random_id("req_"),
                customer_id=user if isinstance(user, str) else None,
                event_type=kind if isinstance(kind, str) else None,
                status=exc.status,
                response=exc.body(),
                request=stored or None,
                error=(exc.code, exc.message),
                source=tracking_source(item),
            )
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers or None)
