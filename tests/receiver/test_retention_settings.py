"""The `retention` settings: their checks (naming the setting), the one rule they become
(`receiver.store.retention`), the periodic sweep with its audit pruning, and the settings page."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from signed_in import Browser

from receiver.config import load_config
from receiver.config.retention import RetentionConfig, is_source_name
from receiver.store.contract import LogFilter, NewLogEntry
from receiver.store.limits import StoreLimits
from receiver.store.memory.config_state import MemoryConfigState
from receiver.store.memory.store import MemoryStore
from receiver.store.retention import DAY, Retention, retention_of
from receiver.store.retention_task import RetentionTask, prune_audit

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    "text, fragments",
    [
        ("retention:\n  sources:\n    segmnt:analytics.js: 3\n", ["retention.sources", "'segmnt:analytics.js'"]),
        ("retention:\n  sources:\n    'segment:': 3\n", ["retention.sources", "'segment:'"]),
        ("retention:\n  sources:\n    webhook: 0\n", ["retention.sources", "sources['webhook']", "positive"]),
        ("retention:\n  kinds:\n    sessions: 3\n", ["retention.kinds", "sessions"]),
        ("retention:\n  kinds:\n    inbound: -1\n", ["retention.kinds", "kinds['inbound']"]),
        ("retention:\n  default_days: 0\n", ["retention.default_days"]),
        ("retention:\n  raw_body_days: -2\n", ["retention.raw_body_days"]),
        ("retention:\n  default_days: 400\n", ["retention", "audit_days (365)", "default_days (400)"]),
        (
            "retention:\n  audit_days: 60\n  sources:\n    segment:analytics.js: 90\n",
            ["audit_days (60)", "sources['segment:analytics.js'] (90)"],
        ),
        ("retention:\n  quarantine_days: 500\n", ["audit_days (365)", "quarantine_days (500)"]),
        ("retention:\n  surprise: 1\n", ["retention.surprise"]),
    ],
)
def test_bad_retention_settings_are_explained(config_error, text: str, fragments: list[str]) -> None:
    message = config_error(text)
    for fragment in fragments:
        assert fragment in message, message


def test_the_source_forms_are_those_the_logs_stamp() -> None:
    assert all(is_source_name(name) for name in ("webhook", "segment", "segment:analytics.js", "segment:a b"))
    assert not any(is_source_name(name) for name in ("Webhook", "segment:", "segment: x", "other:x", "x" * 3))
    assert not is_source_name("segment:" + "x" * 65)


def test_the_settings_become_seconds_with_the_older_max_age_as_a_cap(settings_file) -> None:
    path = settings_file(
        "retention:\n  default_days: 20\n  sources:\n    webhook: 3\n  kinds:\n    duplicate: 2\n"
        "  raw_body_days: 1.5\n  audit_days: 400\nstore:\n  log_max_age_seconds: 864000\n"
    )
    retention = retention_of(load_config(path, environ={}))
    assert (retention.body_seconds, retention.audit_seconds, retention.cap_seconds) == (1.5 * DAY, 400 * DAY, 10 * DAY)
    assert retention.age_limit("inbound", "webhook") == 3 * DAY
    assert retention.age_limit("inbound", "segment:analytics.js") == 10 * DAY  # 20, capped at 10
    defaults = retention_of(load_config(None, environ={}, use_default_file=False))
    assert (defaults.default_seconds, defaults.body_seconds, defaults.audit_seconds) == (30 * DAY, 7 * DAY, 365 * DAY)
    assert defaults.quarantine_seconds == 30 * DAY and defaults.quarantine_cutoff(NOW) == NOW - 30 * DAY
    assert defaults.cap_seconds is None


def test_a_source_wins_over_its_kind_which_wins_over_the_default() -> None:
    rule = Retention.from_config(RetentionConfig(default_days=5, sources={"webhook": 1}, kinds={"duplicate": 2}))
    assert rule.age_limit("duplicate", "webhook") == DAY
    assert rule.age_limit("duplicate", "segment:analytics.js") == 2 * DAY
    assert rule.age_limit("duplicate", None) == 2 * DAY
    assert rule.age_limit("inbound", "segment:analytics.js") == 5 * DAY
    assert rule.cutoff_for("inbound", "webhook", NOW) == NOW - DAY
    assert rule.cutoffs("inbound", NOW) == ({"webhook": NOW - DAY}, NOW - 5 * DAY)
    assert rule.body_cutoff(NOW) == NOW - 7 * DAY
    assert rule.audit_cutoff(NOW) == datetime.fromtimestamp(NOW - 365 * DAY, UTC)
    assert rule.is_default("inbound", "segment:x") and not rule.is_default("inbound", "webhook")
    assert not rule.is_default("duplicate", None)
    assert Retention().cutoff_for("inbound", "webhook", NOW) is None and Retention().body_cutoff(NOW) is None


class _AuditState(MemoryConfigState):
    """A configuration state with the audit trail's pruning (`ConfigState.audit_prune`, issue 27's audit work)."""

    def __init__(self) -> None:
        super().__init__()
        self.pruned: list[datetime] = []

    async def audit_prune(self, older_than: datetime) -> int:
        self.pruned.append(older_than)
        return 3


def _entry(at: float, **fields: Any) -> NewLogEntry:
    values: dict[str, Any] = {
        "id": "m-1",
        "timestamp": datetime.fromtimestamp(at, UTC),
        "customer_id": "u1",
        "event_type": "track",
        "status": 202,
        "response_time": 0.01,
        "error": None,
        "error_code": None,
        "request": {"big": "x" * 5000},
        "response": {"status": "accepted"},
        "source": "webhook",
    }
    return NewLogEntry(**{**values, **fields})


def test_the_periodic_sweep_frees_the_store_and_prunes_the_audit_trail_past_audit_days() -> None:
    retention = Retention.from_config(RetentionConfig(default_days=10, raw_body_days=2, audit_days=100))
    clock = lambda: NOW
    store = MemoryStore(StoreLimits(retention=retention, clock=clock))
    state = _AuditState()

    async def main() -> None:
        await store.log_add("inbound", [_entry(NOW - 11 * DAY, id="old"), _entry(NOW - 3 * DAY, id="kept")])
        held = store.log_bytes("inbound")
        task = RetentionTask(store, state, retention, every=0.01, clock=clock)
        task.start()
        for _ in range(200):
            if state.pruned:
                break
            await asyncio.sleep(0.01)
        await task.stop()
        assert state.pruned and state.pruned[0] == datetime.fromtimestamp(NOW - 100 * DAY, UTC)
        assert store.log_bytes("inbound") < held - 9000  # the old entry and the kept one's body are freed
        kept = (await store.log_query("inbound", LogFilter(), limit=5, cursor=None)).entries
        assert [(e.id, e.request) for e in kept] == [("kept", {"removed": "retention"})]
        assert await task.run_once() == 3
        assert await prune_audit(MemoryConfigState(), datetime.fromtimestamp(NOW, UTC)) == 0  # nothing to prune yet

    asyncio.run(main())


def test_the_settings_page_shows_the_retention_per_kind_and_per_source(start_receiver) -> None:
    receiver = start_receiver(
        retention={"default_days": 14, "sources": {"segment:analytics.js": 60}, "kinds": {"outbound": 21}}
    )
    browser = Browser(receiver.base_url, receiver.api_key)
    body = {"api_key": receiver.api_key, "customer": "u1", "action": "point_add", "data": {"points": 1}}
    assert browser.client.post(receiver.webhook_url, json=body).status_code == 202
    page = browser.get("/settings").text
    section = page[page.index('id="retention"') : page.index('id="audit"')]
    assert "<td>Inbound log</td><td>14 days (default)</td>" in section
    assert "<td>Outbound log</td><td>21 days</td>" in section
    assert "<td>Duplicates</td><td>14 days (default)</td>" in section
    assert "Source <code>webhook</code></td><td>14 days (default)</td>" in section  # seen, not configured
    assert "Source <code>segment:analytics.js</code></td><td>60 days</td>" in section
    assert "not seen yet" in section and section.count("retention-source") == 2
    assert "<td>Request and response bodies</td><td>7 days</td>" in section
    assert "<td>Blocked messages (quarantine)</td><td>30 days</td>" in section
    assert "<td>Audit trail</td><td>365 days</td>" in section


def test_the_settings_page_shows_the_older_max_age_capping_every_entry(start_receiver) -> None:
    receiver = start_receiver(store={"url": "memory://", "log_max_age_seconds": 2 * DAY})
    page = Browser(receiver.base_url, receiver.api_key).get("/settings").text
    section = page[page.index('id="retention"') : page.index('id="audit"')]
    assert "(deprecated) caps every entry at 2 days" in section
    assert "<td>Inbound log</td><td>2 days (default)</td>" in section
