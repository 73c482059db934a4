"""Sending prepared requests to Antavo: timeouts, bounded retries, and no secret in any text.

Retries cover what a retry can fix: 408, 429, 5xx, timeouts and dropped connections, under the
project's one retry policy (`retry.RetryPolicy`: full-jitter backoff, `Retry-After` in both
forms, a bound on attempts), which the receiver's outbox uses too. Every text
that leaves this module (results, logs, reprs) has the request's secret values scrubbed out.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Self

import httpx

from destination.delivery.action import REDACTED, REPLAY_HEADER, PreparedRequest
from destination.delivery.retry import RetryPolicy, parse_retry_after

__all__ = ["AntavoClient", "AsyncAntavoClient", "DeliveryResult", "RetryPolicy", "parse_retry_after", "scrub"]

log = logging.getLogger(__name__)

USER_AGENT = "antavo-actions (Segment Actions compatible)"
MAX_BODY_CHARS = 2000


@dataclass(frozen=True)
class DeliveryResult:
    """The outcome of sending one request: the last status (None if no response), and how it went."""

    status: int | None
    attempts: int
    elapsed: float
    body: str | None = None
    error: str | None = None
    delays: tuple[float, ...] = field(default=())
    replayed: bool = False  # the receiver answered a seen Idempotency-Key with its first answer

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret value replaced by a placeholder."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


_RETRYABLE_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


class _Delivery:
    """The retry loop's bookkeeping, shared by the sync and async clients."""

    def __init__(self, req: PreparedRequest, policy: RetryPolicy, rng: Callable[[], float]) -> None:
        self.req = req
        self.policy = policy
        self.rng = rng
        self.secrets = req.secret_values()
        self.started = time.monotonic()
        self.attempt = 0
        self.delays: list[float] = []

    def result(
        self, status: int | None, body: str | None, error: str | None, *, replayed: bool = False
    ) -> DeliveryResult:
        return DeliveryResult(
            status=status,
            attempts=self.attempt,
            elapsed=time.monotonic() - self.started,
            body=None if body is None else scrub(body[:MAX_BODY_CHARS], self.secrets),
            error=None if error is None else scrub(error, self.secrets),
            delays=tuple(self.delays),
            replayed=replayed,
        )

    def after_response(self, response: httpx.Response) -> tuple[DeliveryResult | None, float]:
        """(final result, 0) or (None, delay before the next attempt)."""
        status = response.status_code
        text = response.text
        if not self.policy.retryable(status) or not self.policy.may_retry(self.attempt):
            error = None if 200 <= status < 300 else f"HTTP {status} {response.reason_phrase}".rstrip()
            replayed = response.headers.get(REPLAY_HEADER, "").lower() == "true"
            return self.result(status, text, error, replayed=replayed), 0.0
        delay = self.policy.delay(self.attempt, parse_retry_after(response.headers.get("retry-after")), self.rng)
        self._log_retry(f"HTTP {status}", delay)
        return None, delay

    def after_error(self, exc: Exception) -> tuple[DeliveryResult | None, float]:
        error = f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, _RETRYABLE_ERRORS) or not self.policy.may_retry(self.attempt):
            return self.result(None, None, error), 0.0
        delay = self.policy.backoff(self.attempt, self.rng)
        self._log_retry(type(exc).__name__, delay)
        return None, delay

    def _log_retry(self, why: str, delay: float) -> None:
        self.delays.append(delay)
        log.warning(
            "%s %s: %s on attempt %d/%d, retrying in %.3fs",
            self.req.method,
            scrub(self.req.url, self.secrets),
            why,
            self.attempt,
            self.policy.attempts,
            delay,
        )


def _headers(base: Mapping[str, str], req: PreparedRequest) -> dict[str, str]:
    return {"User-Agent": USER_AGENT, **base, **req.headers}


class AntavoClient:
    """Synchronous sender around one `httpx.Client` (connection reuse); use as a context manager."""

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.retry = retry or RetryPolicy()
        self.headers = dict(headers or {})
        self._own_client = client is None
        self._client = client or httpx.Client(timeout=timeout)
        self._sleep = sleep
        self._rng = rng

    def send(self, req: PreparedRequest) -> DeliveryResult:
        delivery = _Delivery(req, self.retry, self._rng)
        headers = _headers(self.headers, req)
        while True:
            delivery.attempt += 1
            try:
                response = self._client.request(req.method, req.url, json=req.json, headers=headers)
            except httpx.HTTPError as exc:
                done, delay = delivery.after_error(exc)
            else:
                done, delay = delivery.after_response(response)
            if done is not None:
                return done
            self._sleep(delay)

    def close(self) -> None:
        if self._own_client:
            self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"AntavoClient(retry={self.retry!r})"


class AsyncAntavoClient:
    """The asynchronous twin of `AntavoClient`, around one `httpx.AsyncClient`."""

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        client: httpx.AsyncClient | None = None,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.retry = retry or RetryPolicy()
        self.headers = dict(headers or {})
        self._own_client = client is None
        self._client = client or httpx.AsyncClient(timeout=timeout)
        self._rng = rng

    async def send(self, req: PreparedRequest) -> DeliveryResult:
        delivery = _Delivery(req, self.retry, self._rng)
        headers = _headers(self.headers, req)
        while True:
            delivery.attempt += 1
            try:
                response = await self._client.request(req.method, req.url, json=req.json, headers=headers)
            except httpx.HTTPError as exc:
                done, delay = delivery.after_error(exc)
            else:
                done, delay = delivery.after_response(response)
            if done is not None:
                return done
            await asyncio.sleep(delay)

    async def aclose(self) -> None:
        if self._own_client:
            await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"AsyncAntavoClient(retry={self.retry!r})"
