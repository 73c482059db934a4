"""Prometheus metrics of one receiver, with the official `prometheus-client`.

Each app has its own registry (several apps can live in one process, as in the tests).
Three kinds of figures:

- counted as they happen: HTTP requests by route template and status, with a latency
  histogram (a pure ASGI middleware), and webhook requests by status and error code, their
  latency and idempotent replays (a `WebhookService` listener, so the Tracking-API ingest's
  in-process deliveries count too);
- read when scraped: the ingest's counters (messages by outcome, dedup hits, each
  subscription's requests by outcome) and the
  outbound sync's (queue depth, delivered, failed, refused, retries) — monotonic counters
  the ingest and outbox already keep;
- sampled by the route just before rendering: the store's size, the outbound queue's depth
  and each source's newest inbound-log entry (async reads).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import fields
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from receiver.store.entries import LogEntry

PREFIX = "antavo_receiver"
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
UNMATCHED = "<unmatched>"
MAX_SOURCES = 20
# `*_created` series double the output and no dashboard reads them (a process-wide client setting).
disable_created_metrics()


PLAN_VIOLATIONS = "antavo_plan_violations"
"""Named as the live plan checks' issue asks (not under PREFIX): the plan is the project's, not the receiver's."""


class _StateCollector(Collector):
    """Counters the ingest and the outbox keep anyway, read at scrape time."""

    def __init__(self, state: Any) -> None:
        self._state = state

    def collect(self) -> Iterator[Metric]:
        ingest = getattr(self._state, "ingest", None)
        if ingest is not None:
            stats = ingest.fanout.stats
            family = CounterMetricFamily(
                f"{PREFIX}_ingest_messages", "Tracking-API messages by what became of them.", labels=["outcome"]
            )
            for item in fields(stats):
                family.add_metric([item.name], getattr(stats, item.name))
            yield family
            yield CounterMetricFamily(
                f"{PREFIX}_ingest_dedup_hits", "Messages dropped as duplicates of a messageId.", value=stats.duplicates
            )
            family = CounterMetricFamily(
                f"{PREFIX}_subscription_deliveries",
                "Requests each subscription (mapping) made, by outcome: delivered, refused, mapping_failed.",
                labels=["subscription", "outcome"],
            )
            for (subscription, outcome), count in sorted(ingest.fanout.deliveries.items()):
                family.add_metric([subscription, outcome], count)
            yield family
            family = CounterMetricFamily(
                PLAN_VIOLATIONS,
                "Tracking-plan violations of Tracking-API messages, by planned event (or `(unplanned)`) and kind.",
                labels=["event", "kind"],
            )
            for (event, kind), count in sorted(ingest.fanout.gate.violations.items()):
                family.add_metric([event, kind], count)
            yield family
        outbound = getattr(self._state, "outbound", None)
        outbox = outbound.outbox if outbound is not None else None
        if outbox is not None:
            family = CounterMetricFamily(
                f"{PREFIX}_outbound_messages", "Outbound messages by outcome.", labels=["outcome"]
            )
            for outcome, count in sorted(outbox.counts.items()):
                family.add_metric([outcome], count)
            yield family
            yield CounterMetricFamily(
                f"{PREFIX}_outbound_retries", "Outbound batch attempts after the first.", value=outbox.retries
            )


class ReceiverMetrics:
    """The registry and instruments of one app."""

    def __init__(self, state: Any) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.requests = Counter(
            f"{PREFIX}_http_requests",
            "HTTP requests by route and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.request_seconds = Histogram(
            f"{PREFIX}_http_request_duration_seconds",
            "HTTP request latency by route.",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.webhook = Counter(
            f"{PREFIX}_webhook_requests",
            "Webhook requests by status and error code.",
            ["status", "code"],
            registry=registry,
        )
        self.webhook_seconds = Histogram(
            f"{PREFIX}_webhook_duration_seconds",
            "Webhook processing time (HTTP and in-process deliveries).",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.replays = Counter(
            f"{PREFIX}_webhook_idempotent_replays",
            "Requests answered from the Idempotency-Key cache.",
            registry=registry,
        )
        self.store_customers = Gauge(f"{PREFIX}_store_customers", "Customers in the loyalty store.", registry=registry)
        self.log_entries = Gauge(
            f"{PREFIX}_inbound_log_entries", "Entries the inbound log holds now.", registry=registry
        )
        self.last_event = Gauge(
            f"{PREFIX}_inbound_last_event_timestamp_seconds",
            "When the newest inbound-log entry of each source was written (freshness: time() minus this).",
            ["source"],
            registry=registry,
        )
        outbound = getattr(state, "outbound", None)
        self.queue_depth = (
            Gauge(f"{PREFIX}_outbound_queue_depth", "Outbound messages queued or in flight.", registry=registry)
            if outbound is not None and outbound.outbox is not None
            else None
        )
        registry.register(_StateCollector(state))

    def set_sources(self, latest: Mapping[str, datetime]) -> None:
        """Freshness per source, read by the route before rendering; the newest `MAX_SOURCES` only
        (a source name comes from event data, and each one is a label value)."""
        self.last_event.clear()
        newest = sorted(latest.items(), key=lambda item: item[1], reverse=True)[:MAX_SOURCES]
        for source, moment in newest:
            self.last_event.labels(source).set(moment.timestamp())

    def webhook_done(self, entry: LogEntry, replayed: bool) -> None:
        """A `WebhookService` listener."""
        self.webhook.labels(str(entry.status), entry.error_code or "").inc()
        self.webhook_seconds.observe(entry.response_time)
        if replayed:
            self.replays.inc()


class MetricsMiddleware:
    """Counts every HTTP request by its route template (not its raw path: bounded label values)."""

    def __init__(self, app: ASGIApp, metrics: ReceiverMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.request_seconds.labels(route).observe(time.perf_counter() - started)


def install_metrics(app: Any) -> ReceiverMetrics | None:
    """When the settings turn metrics on: the instruments, the middleware and the webhook listener."""
    state = app.state
    if not state.config.metrics:
        state.metrics = None
        return None
    metrics = ReceiverMetrics(state)
    state.metrics = metrics
    state.service.listeners.append(metrics.webhook_done)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return metrics
