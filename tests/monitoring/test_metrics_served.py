"""Every series the alert rules and the Grafana dashboard read is served by a real receiver's `/metrics`.

A receiver on loopback (uvicorn, metrics on, outbound sync to a stub Segment) takes webhook requests
and Tracking-API messages of every kind (applied, refused, mapping failed, duplicate, breaking the tracking plan); then one
scrape must serve each metric the rules and the dashboard name, with each label they match on or
group by, and each label value they match exactly — except values that only an outage produces,
which are held against the code that writes them.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from alerting import (
    PROMETHEUS_OWN,
    TARGET_LABELS,
    alert_rules,
    by_labels,
    dashboard,
    dashboard_queries,
    sample_values,
    selectors,
    served_series,
)

from receiver.store.contract import StoreUnavailable

LIBRARY = "analytics-python"
PLAN = Path(__file__).resolve().parents[2] / "tracking_plan.yaml"
"""The shipped plan: `Points Earned` with points "many" breaks it (omit policy), so the violations are served."""
LAST_EVENT = "antavo_receiver_inbound_last_event_timestamp_seconds"
ONLY_IN_AN_OUTAGE = {("status", "503"), ("code", "STORE_UNAVAILABLE")}
"""Label values a healthy receiver never serves; checked against `StoreUnavailable` instead."""


def _track(event: str, properties: dict[str, Any], message_id: str | None = None) -> dict[str, Any]:
    return {
        "type": "track",
        "event": event,
        "userId": "metrics-user",
        "properties": properties,
        "messageId": message_id or str(uuid.uuid4()),
        "context": {"library": {"name": LIBRARY, "version": "2.3.0"}},
        "timestamp": "2026-01-01T00:00:00Z",
    }


def _traffic(receiver: Any) -> None:
    """Applied, refused, mapping-failed and duplicate events, through the webhook and the Tracking API."""
    webhook = {"customer": "metrics-user", "action": "point_add", "account": "", "api_key": receiver.api_key}
    earned = _track("Points Earned", {"points": 5, "source": "quiz", "reason": "won"}, "metrics-dup")
    with receiver.client() as client:
        assert client.post("/v1/webhook/segment", json={**webhook, "data": {"points": 3}}).status_code == 202
        assert client.post("/v1/webhook/segment", json={**webhook, "data": {"points": -1}}).status_code == 422
        unnamed = {**_track("Points Earned", {"points": 1}), "userId": None, "anonymousId": "anon-1"}
        batch = [earned, earned, _track("Points Earned", {"points": "many"}), unnamed]
        answer = client.post("/v1/batch", json={"batch": batch}, auth=(receiver.write_key, ""))
        assert answer.status_code == 200, answer.text


def _scrape(receiver: Any) -> str:
    answer = httpx.get(f"{receiver.base_url}/metrics", headers=receiver.auth, timeout=10)
    assert answer.status_code == 200, "\n".join(receiver.log_lines)
    return answer.text


def _named() -> list[tuple[str, str]]:
    """(where, PromQL) of every rule and every dashboard query."""
    rules = [(f"alert {rule['alert']}", rule["expr"]) for rule in alert_rules()]
    return rules + [(f"panel {title!r}", expr) for title, expr in dashboard_queries()]


@pytest.fixture
def scraped(start_receiver: Any, segment_stub: Any) -> str:
    """One scrape of a receiver that took every kind of traffic and delivered one message to Segment."""
    outbound = {"write_key": "wk-metrics-0123", "base_url": segment_stub.url, "events": ["point_add"]}
    receiver = start_receiver(metrics=True, tracking_plan=str(PLAN), outbound={**outbound, "backoff_seconds": 0.01})
    _traffic(receiver)
    segment_stub.wait_for(1)
    deadline = time.monotonic() + 10
    while True:  # the outbox counts a delivery just after Segment answers it
        text = _scrape(receiver)
        outbound_counts = sample_values(text, "antavo_receiver_outbound_messages_total")
        if (dict(outcome="delivered"), 1.0) in outbound_counts or time.monotonic() > deadline:
            return text
        time.sleep(0.05)


def test_every_metric_label_and_value_the_rules_and_dashboard_name_is_served(scraped):
    series = served_series(scraped)
    problems = []
    for where, expr in _named():
        found = selectors(expr)
        assert found, f"{where}: names no metric"
        labels_seen: set[str] = set()
        for selector in found:
            if selector.metric in PROMETHEUS_OWN:
                continue
            served = series.get(selector.metric)
            if not served:
                problems.append(f"{where}: {selector.metric} is not served")
                continue
            labels_seen |= {label for labels in served for label in labels}
            for label, op, value in selector.matchers:
                if label in TARGET_LABELS:
                    continue
                if not any(label in labels for labels in served):
                    problems.append(f"{where}: {selector.metric} has no label {label}")
                elif op == "=" and (label, value) not in ONLY_IN_AN_OUTAGE:
                    if not any(labels.get(label) == value for labels in served):
                        problems.append(f"{where}: {selector.metric} never has {label}={value!r}")
        missing = by_labels(expr) - labels_seen
        if labels_seen and missing:
            problems.append(f"{where}: groups by {sorted(missing)}, which its metrics do not carry")
    assert not problems, "\n".join(problems)


def test_the_outage_values_are_the_ones_the_store_answers_with():
    refusal = StoreUnavailable()
    assert {("status", str(refusal.status)), ("code", refusal.code)} == ONLY_IN_AN_OUTAGE


def test_the_traffic_reached_the_series_the_alerts_divide(scraped):
    """The per-mapping and freshness series carry what happened, not just their names."""
    deliveries = sample_values(scraped, "antavo_receiver_subscription_deliveries_total")
    subscription = "Points Earned → point_add"
    assert sorted(deliveries, key=str) == sorted(
        [
            ({"subscription": subscription, "outcome": outcome}, 1.0)
            for outcome in ("delivered", "refused", "mapping_failed")
        ],
        key=str,
    )
    newest = dict((labels["source"], value) for labels, value in sample_values(scraped, LAST_EVENT))
    assert set(newest) == {"webhook", f"segment:{LIBRARY}"}
    assert all(0 <= time.time() - moment < 60 for moment in newest.values())
    assert sample_values(scraped, "antavo_receiver_ingest_dedup_hits_total") == [({}, 1.0)]
    assert sample_values(scraped, "antavo_receiver_outbound_queue_depth") == [({}, 0.0)]
    violations = sample_values(scraped, "antavo_plan_violations_total")
    assert violations == [({"event": "track 'Points Earned'", "kind": "Datatype-Mismatch"}, 1.0)]


def test_the_dashboard_is_well_formed():
    """Grafana's file provisioning reads it as is: unique ids, a grid position, a datasource and a query per panel."""
    board = dashboard()
    assert board["uid"] == "antavo-receiver" and board["panels"]
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids))
    variables = {variable["name"] for variable in board["templating"]["list"]}
    assert variables == {"datasource", "job"}
    for panel in board["panels"]:
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert set(panel["gridPos"]) == {"x", "y", "w", "h"}, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert 'job=~"$job"' in target["expr"], f"{panel['title']}: not filtered by the job variable"
    titles = " ".join(panel["title"].lower() for panel in board["panels"])
    for shown in ("requests", "outcomes", "freshness", "latency", "outbound queue", "per-mapping"):
        assert shown in titles, f"no panel shows {shown}"
