"""The outbox sender: delivers the store's queued Segment messages in batches, in the background.

The queue is the store's outbox (a transactional outbox on the durable backends: a commit
and the messages it causes are written together). One asyncio task per process claims the
oldest rows (a claim is a lease: no other sender gets them meanwhile; on PostgreSQL with
`FOR UPDATE SKIP LOCKED`), POSTs them to `{base}/v1/batch` with the write key as the HTTP
Basic user, and retries a 429, a 5xx or an unreachable endpoint with exponential backoff and
jitter, a bounded number of times, renewing the lease before each attempt. A retry re-sends
the same messages, `messageId`s unchanged, so Segment's deduplication makes delivery
effectively once. Rows are removed only after Segment's 200 (or a final refusal), so rows a
crash leaves behind are sent after restart, once their lease has run out.

Every message ends in exactly one outbound-log entry: delivered, refused by Segment, given up
after retries, refused here (outbox full, too large, no userId), or — on the memory store,
which forgets them — lost at shutdown after the flush timeout. The write key is never logged.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson

from destination.delivery.retry import RetryPolicy, parse_retry_after
from destination.js.time import now_iso
from receiver.config.outbound import OutboundConfig
from receiver.logs.stored import StoredLog
from receiver.security import Redactor
from receiver.store.contract import LoyaltyStore, NewLogEntry, OutboxRow, StoreUnavailable

logger = logging.getLogger(__name__)
MAX_BACKOFF_FACTOR = 60
"""No retry waits longer than this many times `backoff_seconds`."""
RETRY_STATUSES = frozenset({429})
"""Besides any 5xx (and no answer at all): what Segment's libraries retry."""
_BATCH_OVERHEAD = len(b'{"batch":[],"sentAt":"2000-01-01T00:00:00.000Z"}') + 16
_POLL_SECONDS = 0.005
IDLE_POLL_SECONDS = 0.25
"""How often an idle sender looks for rows another process queued."""
NOT_SENT = 0
"""The outbound log's status for a message that got no HTTP answer."""


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
    """The sender of one process; `start`/`stop` run in the app's loop."""

    def __init__(
        self,
        settings: OutboundConfig,
        store: LoyaltyStore,
        log: StoredLog,
        *,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if settings.write_key is None:
            raise ValueError("the outbox needs a write key")
        key = settings.write_key.get_secret_value()
        self._settings = settings
        self._store = store
        self._log = log
        self._rng = rng or random.Random()
        self.retry = retry_policy(settings)
        self._sleep = sleep
        self._headers = {"Authorization": _basic_auth(key), "Content-Type": "application/json"}
        self._redact = Redactor((), [key])
        self._in_flight: list[OutboxRow] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None
        # A claim outlives one attempt (request plus the longest backoff); it is renewed before each retry.
        self.lease = settings.request_timeout_seconds + settings.backoff_seconds * MAX_BACKOFF_FACTOR + 1.0
        self.counts = {"delivered": 0, "failed": 0, "refused": 0}
        self.retries = 0
        """Batch attempts after the first (for `/metrics`)."""

    def reconfigure(self, settings: OutboundConfig) -> None:
        """New settings (write key, region, limits) for the next batch; queued messages stay queued."""
        if settings.write_key is None:
            raise ValueError("the outbox needs a write key")
        key = settings.write_key.get_secret_value()
        self._settings = settings
        self._headers = {"Authorization": _basic_auth(key), "Content-Type": "application/json"}
        self._redact = Redactor((), [key, *self._redact.values])
        self.lease = settings.request_timeout_seconds + settings.backoff_seconds * MAX_BACKOFF_FACTOR + 1.0

    async def pending(self) -> int:
        """Messages queued or in flight (in the whole store: every process's)."""
        return await self._store.outbox_pending()

    def signal(self) -> None:
        """Wake the sender (the store calls this after a commit that queued messages, from any thread)."""
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
        while await self._store.outbox_pending():
            if self._task is None or self._task.done() or time.monotonic() >= deadline:
                return False
            await asyncio.sleep(_POLL_SECONDS)
        return True

    async def stop(self) -> None:
        """Flush within the settings' time limit, then stop.

        On a durable store what is left stays queued for the next start; the memory store
        would forget it, so it is logged as not delivered.
        """
        try:
            flushed = await self.flush(self._settings.flush_timeout_seconds)
        except StoreUnavailable:
            flushed = False
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        unconfirmed, self._in_flight = self._in_flight, []
        try:
            await self._leftovers(unconfirmed, flushed)
        except StoreUnavailable:
            logger.warning("outbox stopped with the store unavailable; queued messages stay where they are")
        if self._client is not None:
            await self._client.aclose()
        self._task = self._client = self._wake = self._loop = None

    async def _leftovers(self, unconfirmed: list[OutboxRow], flushed: bool) -> None:
        if self._store.durable:
            await self._store.outbox_release([row.seq for row in unconfirmed])
            left = await self._store.outbox_pending()
            if left:
                logger.warning("outbox stopped with %d message(s) queued; they are sent after the next start", left)
            return
        now = datetime.now(UTC)
        for row in unconfirmed:
            reason = "The receiver stopped before Segment confirmed this message."
            await self._failed(row, now, _Outcome(NOT_SENT, None, reason, "NOT_CONFIRMED"), 0.0, 0)
        unsent = await self._store.outbox_claim(2**31, lease=self.lease)
        for row in unsent:
            reason = "The receiver stopped before this message could be sent (flush timeout)."
            await self._failed(row, now, _Outcome(NOT_SENT, None, reason, "NOT_DELIVERED"), 0.0, 0)
        await self._store.outbox_done([row.seq for row in [*unconfirmed, *unsent]])
        if not flushed and (unconfirmed or unsent):
            logger.warning("outbox stopped with %d message(s) undelivered", len(unconfirmed) + len(unsent))

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancel that lands as the
            # wake-up does (a wake from another thread during `stop`), and the sender would never stop.
            try:
                async with asyncio.timeout(IDLE_POLL_SECONDS):
                    await self._wake.wait()
            except TimeoutError:
                pass
            self._wake.clear()
            try:
                while await self._round():
                    pass
            except StoreUnavailable as exc:
                logger.warning("outbox: store unavailable (%s); retrying", exc.detail)
                await self._sleep(self._settings.backoff_seconds)

    async def _round(self) -> bool:
        """Claim, send and settle one batch; False when nothing was waiting."""
        rows = await self._store.outbox_claim(self._settings.batch_max_messages, lease=self.lease)
        if not rows:
            return False
        self._in_flight = rows
        refused = [row for row in rows if row.item.refusal is not None]
        for row in refused:
            assert row.item.refusal is not None
            code, reason = row.item.refusal
            await self._refused(row, code, reason)
        await self._store.outbox_done([row.seq for row in refused])
        sendable = [row for row in rows if row.item.refusal is None]
        while sendable:
            batch, sendable = self._split(sendable)
            try:
                await self._deliver(batch)
            except (StoreUnavailable, asyncio.CancelledError):
                raise
            except Exception:
                logger.exception("outbound delivery failed unexpectedly")
                error = _Outcome(NOT_SENT, None, "The receiver failed to send this batch.", "INTERNAL_ERROR")
                for row in batch:
                    await self._failed(row, datetime.now(UTC), error, 0.0, 0)
            await self._store.outbox_done([row.seq for row in batch])
            self._in_flight = sendable
        self._in_flight = []
        return True

    def _split(self, rows: list[OutboxRow]) -> tuple[list[OutboxRow], list[OutboxRow]]:
        """The first rows that fit in one batch's byte budget (at least one), and the rest."""
        budget = self._settings.batch_max_bytes - _BATCH_OVERHEAD
        size = 0
        for index, row in enumerate(rows):
            size += len(orjson.dumps(row.item.message)) + 1
            if index and size > budget:
                return rows[:index], rows[index:]
        return rows, []

    async def _deliver(self, batch: list[OutboxRow]) -> None:
        assert self._client is not None
        encoded = b",".join(orjson.dumps(row.item.message) for row in batch)
        head = b'{"batch":[' + encoded + b'],"sentAt":"'
        sent_at = datetime.now(UTC)
        started = time.perf_counter()
        attempts = 0
        seqs = [row.seq for row in batch]
        while True:
            attempts += 1
            if attempts > 1:
                await self._store.outbox_extend(seqs, lease=self.lease)
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
                await self._delivered(batch, sent_at, outcome, time.perf_counter() - started, attempts)
                return
            retryable = status == NOT_SENT or self.retry.retryable(status)
            last = f"HTTP {status}" if status else f"the endpoint was unreachable ({problem})"
            if retryable and self.retry.may_retry(attempts):
                logger.info("outbound batch attempt %d failed (%s); retrying", attempts, last)
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
            for row in batch:
                await self._failed(row, sent_at, outcome, elapsed, attempts)
            return

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        """The shared policy's wait: Segment's `Retry-After` (seconds or a date) when sent and short, else backoff."""
        retry_after = parse_retry_after(response.headers.get("retry-after")) if response is not None else None
        return self.retry.delay(attempt, retry_after, self._rng.random)

    # --- the outbound log ------------------------------------------------------------------

    async def _refused(self, row: OutboxRow, code: str, reason: str) -> None:
        self.counts["refused"] += 1
        logger.warning("outbound message %s refused: %s", row.item.message_id, code)
        await self._record(row, datetime.now(UTC), _Outcome(NOT_SENT, None, reason, code), 0.0, attempts=0)

    async def _delivered(
        self, batch: list[OutboxRow], when: datetime, outcome: _Outcome, elapsed: float, attempts: int
    ) -> None:
        self.counts["delivered"] += len(batch)
        for row in batch:
            await self._record(row, when, outcome, elapsed, attempts)

    async def _failed(self, row: OutboxRow, when: datetime, outcome: _Outcome, elapsed: float, attempts: int) -> None:
        self.counts["failed"] += 1
        logger.warning("outbound message %s not delivered: %s", row.item.message_id, outcome.code)
        await self._record(row, when, outcome, elapsed, attempts)

    async def _record(self, row: OutboxRow, when: datetime, outcome: _Outcome, elapsed: float, attempts: int) -> None:
        item = row.item
        await self._log.add(
            NewLogEntry(
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
        )
