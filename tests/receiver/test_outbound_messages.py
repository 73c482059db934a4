"""What the outbound sync sends: message shapes, the store observer, the integrations rules, the settings."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st
from stores import apply_sync, customer_sync

from destination.definition.model import load_definition
from destination.js.time import iso_string
from receiver.config import ConfigError, config_schema, load_config
from receiver.config.outbound import OutboundConfig
from receiver.core.contract import build_contract
from receiver.core.loyalty import LoyaltyRules
from receiver.ingest.integrations import destination_enabled, effective_integrations
from receiver.outbound.messages import IDENTIFY, TRACK, MessageBuilder, Outgoing, Unsendable, source_integrations
from receiver.store.contract import Change, CustomerSnapshot, OutboxItem, StoredEvent
from receiver.store.limits import StoreLimits
from receiver.store.memory.store import MemoryStore

ROOT = Path(__file__).resolve().parents[2]
WHEN = datetime(2024, 11, 26, 15, 15, 49, 250_000, tzinfo=UTC)
INTEGRATIONS = source_integrations(load_definition())


def settings(**overrides: Any) -> OutboundConfig:
    return OutboundConfig.model_validate({"write_key": "wk-test", **overrides})


class Recorder:
    """An outbox source that keeps what it was told (and queues nothing)."""

    def __init__(self) -> None:
        self.calls: list[tuple[CustomerSnapshot, StoredEvent, dict[str, Any]]] = []

    def items(self, customer: CustomerSnapshot, event: StoredEvent, changed: Mapping[str, Any]) -> list[OutboxItem]:
        self.calls.append((customer, event, dict(changed)))
        return []


def commit(store: MemoryStore, customer: str, change: Change) -> StoredEvent:
    return apply_sync(store, customer, lambda _view: change)


def profile_change(data: dict[str, Any]) -> Change:
    """A profile update split the way the rules split it (named fields vs custom attributes)."""
    named = build_contract(load_definition()).action_by_type("identify").data_properties
    profile = {k: v for k, v in data.items() if k in named}
    attributes = {k: v for k, v in data.items() if k not in named}
    return Change(account="acc", action="profile", data=data, profile=profile, attributes=attributes)


# --- the store observer ----------------------------------------------------------------------


def test_the_observer_hears_each_commit_with_what_changed():
    store, seen = MemoryStore(StoreLimits(clock=WHEN.timestamp)), Recorder()
    store.set_outbox_source(seen)
    commit(store, "u1", profile_change({"first_name": "Ada", "tier": "gold"}))
    commit(store, "u1", profile_change({"first_name": "Ada", "tier": "silver", "color": "red"}))
    commit(store, "u1", Change(account="acc", action="point_add", data={"points": 5}, points=5))
    assert [changed for _, _, changed in seen.calls] == [
        {"first_name": "Ada", "tier": "gold"},
        {"tier": "silver", "color": "red"},
        {},
    ]
    customer, event, _ = seen.calls[-1]
    assert customer.balances == {"acc": 5} and customer.attributes["tier"] == "silver"
    assert event.action == "point_add" and event.customer == "u1"


def test_a_failing_outbox_source_leaves_the_store_unchanged():
    """The source runs inside the commit (the transactional outbox): its failure writes nothing."""

    class Broken:
        def items(self, *_: Any) -> list[OutboxItem]:
            raise RuntimeError("source bug")

    store = MemoryStore()
    store.set_outbox_source(Broken())
    with pytest.raises(RuntimeError):
        commit(store, "u1", Change(account="acc", action="opt_in", data={}, opted_in=True))
    assert customer_sync(store, "u1") is None and asyncio.run(store.event_count()) == 0


def test_the_observer_gets_copies_it_cannot_use_to_change_the_store():
    store, seen = MemoryStore(), Recorder()
    store.set_outbox_source(seen)
    commit(store, "u1", profile_change({"prefs": {"color": "red"}}))
    customer, _, changed = seen.calls[0]
    customer.attributes["prefs"]["color"] = "blue"
    changed["prefs"]["color"] = "green"
    assert customer_sync(store, "u1").attributes == {"prefs": {"color": "red"}}


# --- message shapes ----------------------------------------------------------------------------


def build(builder: MessageBuilder, store: MemoryStore, customer: str, change: Change) -> list[Outgoing | Unsendable]:
    seen = Recorder()
    store.set_outbox_source(seen)
    commit(store, customer, change)
    return builder.build(*seen.calls[-1])


def test_a_synced_point_event_becomes_a_track_shaped_like_antavos_source():
    builder = MessageBuilder(settings(events=["point_add"]), INTEGRATIONS)
    [out] = build(
        builder,
        MemoryStore(StoreLimits(clock=WHEN.timestamp)),
        "u1",
        Change("acc", "point_add", {"points": 5000}, 5000),
    )
    assert isinstance(out, Outgoing) and out.customer_id == "u1"
    message = out.message
    assert message["type"] == TRACK and message["event"] == "point_add"
    assert message["properties"] == {"points": 5000}
    assert message["userId"] == "u1" and message["timestamp"] == "2024-11-26T15:15:49.250Z"
    assert message["messageId"].endswith("-track") and len(message["messageId"]) > 10
    name = load_definition().name
    assert message["integrations"] == {
        name: False,
        "Salesforce (Actions)": False,
        "Salesforce Marketing Cloud (Actions)": False,
    }
    assert not destination_enabled(message["integrations"], name)


def test_points_are_added_when_the_data_does_not_carry_them():
    builder = MessageBuilder(settings(events=["checkout", "opt_in"]), INTEGRATIONS)
    store = MemoryStore()
    [checkout] = build(builder, store, "u1", Change("acc", "checkout", {"transaction_id": "t1", "total": 42}, 42))
    assert checkout.message["properties"] == {"transaction_id": "t1", "total": 42, "points": 42}
    [opt_in] = build(builder, store, "u1", Change("acc", "opt_in", {}, opted_in=True))
    assert opt_in.message["properties"] == {}


def test_an_event_outside_event_sync_sends_nothing():
    builder = MessageBuilder(settings(events=["point_add"], customer_fields=["first_name"]), INTEGRATIONS)
    assert build(builder, MemoryStore(), "u1", Change("acc", "point_subtract", {"points": 1}, -1)) == []


def test_identify_carries_only_the_synced_fields_that_changed():
    builder = MessageBuilder(settings(customer_fields=["first_name", "tier"]), INTEGRATIONS)
    store = MemoryStore()
    [first] = build(builder, store, "u1", profile_change({"first_name": "Ada", "last_name": "L", "tier": "gold"}))
    assert first.message["type"] == IDENTIFY
    assert first.message["traits"] == {"first_name": "Ada", "tier": "gold"}
    assert first.message["messageId"].endswith("-identify") and "properties" not in first.message
    [second] = build(builder, store, "u1", profile_change({"first_name": "Ada", "last_name": "X", "tier": "red"}))
    assert second.message["traits"] == {"tier": "red"}
    assert build(builder, store, "u1", profile_change({"last_name": "Y", "first_name": "Ada"})) == []


def test_a_profile_event_in_event_sync_sends_both_calls_with_distinct_ids():
    builder = MessageBuilder(settings(events=["profile"], customer_fields=["first_name"]), INTEGRATIONS)
    outs = build(builder, MemoryStore(), "u1", profile_change({"first_name": "Ada"}))
    assert [o.message["type"] for o in outs] == [TRACK, IDENTIFY]
    assert len({o.message["messageId"] for o in outs}) == 2


def test_customer_id_mapping_uses_the_chosen_attribute():
    builder = MessageBuilder(settings(events=["point_add"], user_id_attribute="external_id"), INTEGRATIONS)
    store = MemoryStore()
    [missing] = build(builder, store, "u1", Change("acc", "point_add", {"points": 1}, 1))
    assert isinstance(missing, Unsendable) and missing.code == "NO_USER_ID"
    assert "userId" not in missing.message and "external_id" in missing.reason
    commit(store, "u1", profile_change({"external_id": 12345}))
    [mapped] = build(builder, store, "u1", Change("acc", "point_add", {"points": 1}, 1))
    assert isinstance(mapped, Outgoing) and mapped.message["userId"] == "12345" and mapped.customer_id == "u1"


def test_a_named_profile_field_can_be_the_external_id():
    builder = MessageBuilder(settings(customer_fields=["email"], user_id_attribute="email"), INTEGRATIONS)
    [out] = build(builder, MemoryStore(), "u1", profile_change({"email": "ada@example.com"}))
    assert out.message["userId"] == "ada@example.com"


def test_the_rules_profile_split_feeds_the_observer_the_same_names():
    """The real rules (not the test's split) decide what counts as a changed attribute."""
    config = load_config(None, environ={}, use_default_file=False)
    rules, contract = LoyaltyRules(config, build_contract(load_definition())), build_contract(load_definition())
    store, seen = MemoryStore(), Recorder()
    store.set_outbox_source(seen)
    verdict = rules.decide(
        contract.action_by_type("identify"),
        {contract.customer_field: "u1", contract.data_field: {"first_name": "Ada", "shoe": 42}},
        "profile",
    )
    apply_sync(store, verdict.customer, verdict.decide)
    assert seen.calls[0][2] == {"first_name": "Ada", "shoe": 42}


@given(st.datetimes(timezones=st.just(UTC)))
def test_segment_time_round_trips_to_the_millisecond(moment):
    text = iso_string(moment)
    assert text.endswith("Z") and len(text) == 24
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert parsed == moment.replace(microsecond=moment.microsecond // 1000 * 1000)


# --- the integrations object -------------------------------------------------------------------

names = st.sampled_from(["Antavo (Actions)", "antavo (actions)", "Mixpanel", "All", "Webhooks"])
flags = st.one_of(st.booleans(), st.none(), st.just({"opt": 1}), st.just("no"))


def test_integrations_rules_follow_segment():
    antavo = "Antavo (Actions)"
    assert destination_enabled(None, antavo) and destination_enabled({}, antavo)
    assert not destination_enabled({antavo: False}, antavo)
    assert not destination_enabled({"All": False}, antavo)
    assert destination_enabled({"All": False, antavo: True}, antavo)
    assert destination_enabled({"All": False, antavo: {"option": 1}}, antavo)
    assert not destination_enabled({"All": True, antavo: False}, antavo)
    assert destination_enabled({"antavo (actions)": False}, antavo), "names are case-sensitive"
    assert destination_enabled("All", antavo) and destination_enabled([], antavo)


@given(st.dictionaries(names, flags), names)
def test_an_explicit_entry_wins_over_all(integrations, name):
    enabled = destination_enabled(integrations, name)
    if name in integrations:
        assert enabled == (integrations[name] is not False)
    else:
        assert enabled == (integrations.get("All", True) is not False)


@given(st.dictionaries(names, flags), st.dictionaries(names, flags), names)
def test_a_message_entry_overrides_its_batch(batch_level, message_level, name):
    merged = effective_integrations(batch_level, message_level)
    if name in message_level:
        assert merged[name] is message_level[name]
    elif name in batch_level:
        assert merged[name] is batch_level[name]
    assert effective_integrations(None, "x") == {}


# --- the settings ------------------------------------------------------------------------------


def test_outbound_is_off_until_a_write_key_is_set_and_regions_pick_the_host():
    assert not OutboundConfig().enabled and not OutboundConfig(write_key="").enabled
    assert settings().endpoint == "https://api.segment.io/v1/batch"
    assert settings(region="eu").endpoint == "https://events.eu1.segmentapis.com/v1/batch"
    assert settings(region="eu", base_url="http://127.0.0.1:9/").endpoint == "http://127.0.0.1:9/v1/batch"


def test_outbound_settings_come_from_the_file_and_the_environment(settings_file):
    path = settings_file("outbound:\n  region: eu\n  events: [a]\n  queue_size: 7\n")
    environ = {"ANTAVO_OUTBOUND_WRITE_KEY": "wk-secret", "ANTAVO_OUTBOUND_EVENTS": "point_add, opt_in"}
    config = load_config(path, environ=environ)
    out = config.outbound
    assert (out.region, out.events, out.queue_size) == ("eu", ["point_add", "opt_in"], 7)
    assert out.enabled and out.write_key.get_secret_value() == "wk-secret"
    assert "wk-secret" not in repr(config)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("outbound:\n  region: asia\n", "outbound.region"),
        ("outbound:\n  batch_max_messages: 101\n", "outbound.batch_max_messages"),
        ("outbound:\n  batch_max_bytes: 600000\n", "outbound.batch_max_bytes"),
        ("outbound:\n  events: [a, a]\n", "twice"),
        ("outbound:\n  base_url: ftp://x\n", "outbound.base_url"),
        ("outbound:\n  surprise: 1\n", "outbound.surprise"),
    ],
)
def test_bad_outbound_settings_are_explained(config_error, text, fragment):
    assert fragment in config_error(text)


def test_a_bad_write_key_setting_never_echoes_it():
    environ = {"ANTAVO_OUTBOUND_WRITE_KEY": "wk-do-not-echo", "ANTAVO_OUTBOUND_QUEUE_SIZE": "zero"}
    with pytest.raises(ConfigError) as caught:
        load_config(None, environ=environ, use_default_file=False)
    assert "queue_size" in str(caught.value) and "wk-do-not-echo" not in str(caught.value)


def test_the_shipped_file_documents_the_outbound_section_without_a_key():
    on_disk = json.loads((ROOT / "schemas" / "receiver.schema.json").read_text(encoding="utf-8"))
    assert "outbound" in on_disk["properties"]
    config = load_config(ROOT / "receiver.yaml", environ={})
    assert not config.outbound.enabled and config.outbound.events
    jsonschema.Draft202012Validator(config_schema()).validate({"outbound": {"events": ["x"], "region": "eu"}})
