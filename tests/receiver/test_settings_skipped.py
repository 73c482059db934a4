"""Saved settings that no longer validate are skipped, said so in the log and on the page, never a crash."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from signed_in import Browser

from receiver.config import ReceiverConfig
from receiver.live.settings import SettingsService
from receiver.store.config_state import AuditEntry
from receiver.store.memory.config_state import MemoryConfigState


def _saved(values: dict[str, Any]) -> MemoryConfigState:
    state = MemoryConfigState()
    entry = AuditEntry(datetime.now(UTC), "another version", "settings.save", "Settings: saved elsewhere")
    asyncio.run(state.save_settings(values, entry))
    return state


STALE = {"outbound": {"region": "apac", "events": ["opt_in"], "retired_setting": 3}}


def test_a_receiver_starts_with_stale_saved_settings_and_says_which_it_skipped(start_receiver):
    state = _saved(STALE)
    receiver = start_receiver(config_state=state)
    live = receiver.app.state.settings
    assert live.current.outbound.events == ["opt_in"]
    assert live.current.outbound.region == "us"
    assert set(live.skipped) == {"outbound.region", "outbound.retired_setting"}
    warnings = [line for line in receiver.log_lines if "no longer validates" in line]
    assert len(warnings) == 2 and all(" WARNING " in line for line in warnings)
    assert any("outbound.region" in line for line in warnings) and not any("apac" in line for line in warnings)

    browser = Browser(receiver.base_url, receiver.api_key)
    page = browser.get("/settings").text
    assert 'id="skipped-settings"' in page
    assert "<code>outbound.region</code>" in page and "<code>outbound.retired_setting</code>" in page
    assert 'id="outbound__region-skipped"' in page
    assert 'id="outbound__region-source">Value from: <strong>receiver.yaml' in page
    assert 'id="outbound__events-source">Value from: <strong>saved settings' in page

    answer = browser.post("/settings/customer-fields-sync", {"outbound__customer_fields": "email"})
    assert answer.status_code == 303, answer.text
    _, stored = asyncio.run(state.settings())
    assert stored == {"outbound": {"events": ["opt_in"], "customer_fields": ["email"]}}
    page = browser.get("/settings").text
    assert 'id="skipped-settings"' not in page
    assert "<code>outbound.retired_setting</code>: saved value no longer valid → removed" in page
    assert receiver.app.state.settings.skipped == {}


_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
_keys = st.sampled_from(["outbound", "stack", "multi_accounts", "accounts", "log_size", "store", "nonsense"])
_outbound_keys = st.sampled_from(["region", "events", "customer_fields", "user_id_attribute", "write_key", "old"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(_keys, _value, max_size=4),
    st.dictionaries(_outbound_keys, _value, max_size=4),
)
def test_any_saved_tree_loads_into_valid_settings(top: dict[str, Any], outbound: dict[str, Any]):
    saved = {**top, "outbound": outbound} if outbound else top
    live = SettingsService(ReceiverConfig(), _saved(saved), {})
    asyncio.run(live.load())
    assert isinstance(live.current, ReceiverConfig)
    for path in live.skipped:
        assert path.split(".")[0] in saved
    # What was kept, re-validated on its own, gives the same settings.
    again = SettingsService(ReceiverConfig(), _saved(live._saved), {})
    asyncio.run(again.load())
    assert again.skipped == {} and again.current == live.current
