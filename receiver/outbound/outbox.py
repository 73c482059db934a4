"""The outbox: a bounded queue of Segment messages, delivered in batches by a background task.

The webhook only ever appends to the queue (from the store observer, under the store's lock),
so delivery never slows its answer. One asyncio task drains the queue: it takes whatever is
waiting, up to the batch limits (messages and bytes), POSTs it to `{base}/v1/batch` with the
write key as the HTTP Basic user, and retries a 429, a 5xx or an unreachable endpoint under the
project's one retry policy (`destination.delivery.retry`: full-jitter backoff, `Retry-After`
as seconds or a date, `max_retries` retries). A retry re-sends the same
messages, `messageId`s unchanged, so Segment's deduplication makes delivery effectively
once. One batch is in flight at a time, so messages leave in the order they were committed.

Every message ends in exactly one outbound-log entry: delivered, refused by Segment, given up
after retries, refused here (outbox full, too large, no userId), or lost at shutdown after
the flush timeout. Nothing is dropped silently. The write key is never logged.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson

from destination.delivery.retry import RetryPolicy, parse_retry_after
from destination.js.time import now_iso
from receiver.config.outbound import MAX_MESSAGE_BYTES, OutboundConfig
from receiver.logs.outbound import OutboundLog
from receiver.security import Redactor

logger = logging.getLogger("receiver.outbound.messages")
MAX_BACKOFF_FACTOR = 60
"""No retry waits longer than this many times `backoff_seconds`."""
RETRY_STATUSES = frozenset({429})
"""Besides any 5xx (and no answer at all): what Segment's libraries retry."""
_BATCH_OVERHEAD = len(b'{"batch":[],"sentAt":"2000-01-01T00:00:00.000Z"}') + 16
_POLL_SECONDS = 0.005
NOT_SENT = 0
"""The outbound log's status for a message that got no HTTP answer."""


@dataclass(frozen=True)
class _Item:
    message: dict[str, Any]
    encoded: bytes
    customer_id: str | None

    @property
    def message_id(self) -> str:
        return str(self.message.get("messageId", ""))

    @property
    def event_type(self) -> str | None:
        kind = self.message.get("type")
        return kind if isinstance(kind, str) else None


@dataclass(frozen=True)
class _Outcome:
    status: int
    answer: Any
    error: str | None
    code: str | None


def _basic_auth(write_key: str) -> str:
    return "Basic " + base64.b64encode(f"{write_key}:".encode()).decode("ascii")


def _answer(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:2000]


def retry_policy(settings: OutboundConfig) -> RetryPolicy:
    """The project's retry policy with the outbound settings: `max_retries` retries after the first try,
    waits from `backoff_seconds` up to `MAX_BACKOFF_FACTOR` times it, and no longer `Retry-After`."""
    ceiling = settings.backoff_seconds * MAX_BACKOFF_FACTOR
    return RetryPolicy(
        attempts=settings.max_retries + 1,
        base=settings.backoff_seconds,
        cap=ceiling,
        retry_after_max=ceiling,
        statuses=RETRY_STATUSES,
    )


class Outbox:
    """A bounded, thread-safe queue and the task that delivers it; `start`/`stop` run in the app's loop."""

    def __init__(
        self,
        settings: OutboundConfig,
        log: OutboundLog,
        *,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if settings.write_key is None:
            raise ValueError("the outbox needs a write key")
        key = settings.write_key.get_secret_value()
        self._settings = settings
        self._log = log
        self._rng = rng or random.Random()
        self.retry = retry_policy(settings)
        self._sleep = sleep
        self._headers = {"Authorization": _basic_auth(key), "Content-Type": "application/json"}
        self._redact = Redactor((), [key])
        self._queue: deque[_Item] = deque()
        self._lock = threading.Lock()
        self._in_flight: list[_Item] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None
        self.counts = {"delivered": 0, "failed": 0, "refused": 0}
        self.retries = 0
        """Batch attempts after the first (for `/metrics`)."""

    def reconfigure(self, settings: OutboundConfig) -> None:
        """New settings (write key, region, limits) for the next batch; queued messages stay queued."""
        if settings.write_key is None:
            raise ValueError("the outbox needs a write key")
        key = settings.write_key.get_secret_value()
        with self._lock:
            self._settings = settings
            self._headers = {"Authorization": _basic_auth(key), "Content-Type": "application/json"}
            self._redact = Redactor((), [key, *self._redact.values])

    @property
    def pending(self) -> int:
        """Messages queued or in flight."""
        with self._lock:
            return len(self._queue) + len(self._in_flight)

    # --- the producer side: called by the store observer, from any thread -----------------

    def offer(self, message: dict[str, Any], *, customer_id: str | None) -> bool:
        """Queue a message; when it is too large or the outbox is full, log the refusal and return False."""
        encoded = orjson.dumps(message)
        item = _Item(message, encoded, customer_id)
        if len(encoded) > MAX_MESSAGE_BYTES:
            self._refused(item, "MESSAGE_TOO_LARGE", f"The message is larger than {MAX_MESSAGE_BYTES} bytes.")
            return False
        with self._lock:
            full = len(self._queue) >= self._settings.queue_size
            if not full:
                self._queue.append(item)
        if full:
            size = self._settings.queue_size
            self._refused(item, "OUTBOX_FULL", f"The outbox is full ({size} messages); the message was not queued.")
            return False
        self._signal()
        return True

    def refuse(self, message: dict[str, Any], *, customer_id: str | None, code: str, reason: str) -> None:
        """Log a message that will not be sent, with the reason."""
        self._refused(_Item(message, b"", customer_id), code, reason)

    def _count(self, outcome: str, n: int = 1) -> None:
        with self._lock:
            self.counts[outcome] += n

    def _refused(self, item: _Item, code: str, reason: str) -> None:
        self._count("refused")
        logger.warning("outbound message %s refused: %s", item.message_id, code)
        self._record(item, datetime.now(UTC), _Outcome(NOT_SENT, None, reason, code), 0.0, attempts=0)

    def _signal(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is None or wake is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            wake.set()
        else:
            loop.call_soon_threadsafe(wake.set)

    # --- the consumer side: the background task -------------------------------------------

    async def start(self) -> None:
        if self._task is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._client = httpx.AsyncClient(timeout=self._settings.request_timeout_seconds, headers=self._headers)
        self._task = asyncio.create_task(self._run(), name="antavo-outbox")
        self._wake.set()

    async def flush(self, timeout: float) -> bool:
        """Wait (at most `timeout` seconds) until nothing is queued or in flight; True if so."""
        deadline = time.monotonic() + timeout
        while self.pending:
            if self._task is None or self._task.done() or time.monotonic() >= deadline:
                return False
            await asyncio.sleep(_POLL_SECONDS)
        return True

    async def stop(self) -> None:
        """Flush within the settings' time limit, then stop; whatever is left is logged as not delivered."""
        flushed = await self.flush(self._settings.flush_timeout_seconds)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        with self._lock:
            unconfirmed, self._in_flight = self._in_flight, []
            unsent = list(self._queue)
            self._queue.clear()
        now = datetime.now(UTC)
        for item in unconfirmed:
            reason = "The receiver stopped before Segment confirmed this message."
            self._failed(item, now, _Outcome(NOT_SENT, None, reason, "NOT_CONFIRMED"), 0.0, 0)
        for item in unsent:
            reason = "The receiver stopped before this message could be sent (flush timeout)."
            self._failed(item, now, _Outcome(NOT_SENT, None, reason, "NOT_DELIVERED"), 0.0, 0)
        if not flushed and (unconfirmed or unsent):
            logger.warning("outbox stopped with %d message(s) undelivered", len(unconfirmed) + len(unsent))
        if self._client is not None:
            await self._client.aclose()
        self._task = self._client = self._wake = self._loop = None

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            while batch := self._take():
                try:
                    await self._deliver(batch)
                except Exception:
                    logger.exception("outbound delivery failed unexpectedly")
                    now = datetime.now(UTC)
                    error = _Outcome(NOT_SENT, None, "The receiver failed to send this batch.", "INTERNAL_ERROR")
                    for item in batch:
                        self._failed(item, now, error, 0.0, 0)
                # Not in a `finally`: when cancelled mid-batch, `stop` must still see it in flight.
                with self._lock:
                    self._in_flight = []

    def _take(self) -> list[_Item]:
        """The oldest messages that fit in one batch (at least one, if any is queued)."""
        limit, budget = self._settings.batch_max_messages, self._settings.batch_max_bytes - _BATCH_OVERHEAD
        batch: list[_Item] = []
        size = 0
        with self._lock:
            while self._queue and len(batch) < limit:
                cost = len(self._queue[0].encoded) + 1
                if batch and size + cost > budget:
                    break
                batch.append(self._queue.popleft())
                size += cost
            self._in_flight = batch
        return batch

    async def _deliver(self, batch: list[_Item]) -> None:
        assert self._client is not None
        head = b'{"batch":[' + b",".join(item.encoded for item in batch) + b'],"sentAt":"'
        sent_at = datetime.now(UTC)
        started = time.perf_counter()
        attempts = 0
        while True:
            attempts += 1
            response: httpx.Response | None = None
            problem = ""
            try:
                response = await self._client.post(
                    self._settings.endpoint, content=head + now_iso().encode() + b'"}', headers=self._headers
                )
                status = response.status_code
            except httpx.TransportError as exc:
                status, problem = NOT_SENT, type(exc).__name__
            if 200 <= status < 300:
                outcome = _Outcome(status, _answer(response) if response is not None else None, None, None)
                self._delivered(batch, sent_at, outcome, time.perf_counter() - started, attempts)
                return
            retryable = status == NOT_SENT or self.retry.retryable(status)
            last = f"HTTP {status}" if status else f"the endpoint was unreachable ({problem})"
            if retryable and self.retry.may_retry(attempts):
                logger.info("outbound batch attempt %d failed (%s); retrying", attempts, last)
                with self._lock:
                    self.retries += 1
                await self._sleep(self._delay(attempts, response))
                continue
            answer = _answer(response) if response is not None else None
            if retryable:
                reason, code = f"Gave up after {attempts} attempts; the last: {last}.", "RETRIES_EXHAUSTED"
            else:
                reason, code = f"Segment refused the batch ({last}); not retried.", "REJECTED"
            outcome = _Outcome(status, answer, reason, code)
            elapsed = time.perf_counter() - started
            for item in batch:
                self._failed(item, sent_at, outcome, elapsed, attempts)
            return

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        """The shared policy's wait: Segment's `Retry-After` (seconds or a date) when sent and short, else backoff."""
        retry_after = parse_retry_after(response.headers.get("retry-after")) if response is not None else None
        return self.retry.delay(attempt, retry_after, self._rng.random)

    # --- the outbound log ------------------------------------------------------------------

    def _delivered(self, batch: list[_Item], when: datetime, outcome: _Outcome, elapsed: float, attempts: int) -> None:
        self._count("delivered", len(batch))
        for item in batch:
            self._record(item, when, outcome, elapsed, attempts)

    def _failed(self, item: _Item, when: datetime, outcome: _Outcome, elapsed: float, attempts: int) -> None:
        self._count("failed")
        logger.warning("outbound message %s not delivered: %s", item.message_id, outcome.code)
        self._record(item, when, outcome, elapsed, attempts)

    def _record(self, item: _Item, when: datetime, outcome: _Outcome, elapsed: float, attempts: int) -> None:
        self._log.add(
            id=item.message_id,
            timestamp=when,
            customer_id=item.customer_id,
            event_type=item.event_type,
            status=outcome.status,
            response_time=round(elapsed, 6),
            error=outcome.error,
            error_code=outcome.code,
            request=self._redact(item.message),
            response=self._redact({"attempts": attempts, "body": outcome.answer}),
        )
