"""Loyalty rules and the in-memory store, without HTTP."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Any

import pytest
from stores import apply_sync, customer_sync

from destination.definition.model import load_definition, parse_definition
from receiver.config import ReceiverConfig
from receiver.core.contract import build_contract
from receiver.core.loyalty import LoyaltyRules
from receiver.errors import ApiError
from receiver.store.contract import Change
from receiver.store.memory.store import MemoryStore


@pytest.fixture
def contract():
    return build_contract(load_definition())


@pytest.fixture
def rules_for(make_config: Callable[..., ReceiverConfig], contract) -> Callable[..., LoyaltyRules]:
    return lambda **overrides: LoyaltyRules(make_config(**overrides), contract)


def _event(contract, name: str, data: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"customer": "u1", "action": name, **extra}
    if data is not None:
        payload["data"] = data
    return payload


def run(rules: LoyaltyRules, store: MemoryStore, contract, payload: dict[str, Any], kind: str = "track"):
    action = contract.action_by_type(kind)
    name = payload.get(contract.name_field, action.extras.get(contract.name_field))
    verdict = rules.decide(action, payload, name)
    return apply_sync(store, verdict.customer, verdict.decide)


def refusal(call: Callable[[], Any]) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call()
    return caught.value


def test_point_add_and_subtract_move_the_balance(rules_for, contract):
    rules, store = rules_for(), MemoryStore()
    run(rules, store, contract, _event(contract, "point_add", {"points": 7, "reason": "welcome"}))
    event = run(rules, store, contract, _event(contract, "point_subtract", {"points": 3}))
    assert event.points == -3 and event.account == "default"
    customer = customer_sync(store, "u1")
    assert customer.balances == {"default": 4}
    assert customer.event_count == 2


@pytest.mark.parametrize("points", [0, -1, 1.5, "5", True, None, float("inf")])
def test_points_must_be_a_positive_integer(rules_for, contract, points):
    rules, store = rules_for(), MemoryStore()
    err = refusal(lambda: run(rules, store, contract, _event(contract, "point_add", {"points": points})))
    assert (err.status, err.code, err.field) == (422, "INVALID_POINTS", "data.points")
    assert customer_sync(store, "u1") is None


def test_integral_float_points_are_accepted(rules_for, contract):
    rules, store = rules_for(), MemoryStore()
    assert run(rules, store, contract, _event(contract, "point_add", {"points": 2.0})).points == 2


def test_missing_points_names_the_field(rules_for, contract):
    err = refusal(lambda: run(rules_for(), MemoryStore(), contract, _event(contract, "point_add")))
    assert err.field == "data.points" and "'points'" in err.message


def test_reason_must_be_text(rules_for, contract):
    err = refusal(
        lambda: run(rules_for(), MemoryStore(), contract, _event(contract, "point_add", {"points": 1, "reason": 5}))
    )
    assert (err.code, err.field) == ("INVALID_REASON", "data.reason")


def test_subtract_below_zero_is_refused_and_changes_nothing(rules_for, contract):
    rules, store = rules_for(), MemoryStore()
    run(rules, store, contract, _event(contract, "point_add", {"points": 2}))
    err = refusal(lambda: run(rules, store, contract, _event(contract, "point_subtract", {"points": 3})))
    assert (err.status, err.code) == (422, "INSUFFICIENT_POINTS")
    customer = customer_sync(store, "u1")
    assert customer.balances == {"default": 2} and customer.event_count == 1


def test_checkout_earns_floor_of_total_times_rate(rules_for, contract):
    rules, store = rules_for(earn_rate=1.5), MemoryStore()
    event = run(rules, store, contract, _event(contract, "checkout", {"transaction_id": "t1", "total": 99.5}))
    assert event.points == 149  # floor(149.25)
    rules_exact = rules_for(earn_rate=0.1)
    event = run(rules_exact, store, contract, _event(contract, "checkout", {"transaction_id": "t2", "total": 30}))
    assert event.points == 3  # 30 × 0.1 is exactly 3, not 2.999…


def test_checkout_transaction_ids_are_unique_per_account(rules_for, contract):
    rules, store = rules_for(), MemoryStore()
    run(rules, store, contract, _event(contract, "checkout", {"transaction_id": "t1", "total": 10}))
    other_customer = {**_event(contract, "checkout", {"transaction_id": "t1", "total": 5}), "customer": "u2"}
    err = refusal(lambda: run(rules, store, contract, other_customer))
    assert (err.status, err.code, err.field) == (409, "ERR_TX_ALREADY_EXISTS", "data.transaction_id")
    assert customer_sync(store, "u2") is None


def test_same_transaction_id_in_another_account_is_fine(rules_for, contract):
    rules, store = rules_for(multi_accounts=True, accounts=["a", "b"]), MemoryStore()
    run(rules, store, contract, _event(contract, "checkout", {"transaction_id": "t1", "total": 10}, account="a"))
    run(rules, store, contract, _event(contract, "checkout", {"transaction_id": "t1", "total": 10}, account="b"))
    assert customer_sync(store, "u1").balances == {"a": 10, "b": 10}


@pytest.mark.parametrize(
    "data, field",
    [
        ({"total": 1}, "data.transaction_id"),
        ({"transaction_id": "t"}, "data.total"),
        ({"transaction_id": "", "total": 1}, "data.transaction_id"),
        ({"transaction_id": "t", "total": -1}, "data.total"),
        ({"transaction_id": "t", "total": "12"}, "data.total"),
        ({"transaction_id": True, "total": 1}, "data.transaction_id"),
    ],
)
def test_checkout_needs_a_transaction_id_and_a_total(rules_for, contract, data, field):
    err = refusal(lambda: run(rules_for(), MemoryStore(), contract, _event(contract, "checkout", data)))
    assert err.status == 422 and err.field == field


def test_opt_in_and_out_set_membership(rules_for, contract):
    rules, store = rules_for(), MemoryStore()
    run(rules, store, contract, _event(contract, "opt_in"))
    assert customer_sync(store, "u1").opted_in is True
    run(rules, store, contract, _event(contract, "opt_out"))
    assert customer_sync(store, "u1").opted_in is False


def test_other_event_names_are_custom_events(rules_for, contract):
    rules, store = rules_for(), MemoryStore()
    event = run(rules, store, contract, _event(contract, "Order Completed", {"items": [1, 2]}))
    assert (event.action, event.points, dict(event.data)) == ("Order Completed", 0, {"items": [1, 2]})
    assert customer_sync(store, "u1").balances == {}


def test_profile_splits_named_fields_from_custom_attributes(rules_for, contract):
    rules, store = rules_for(), MemoryStore()
    named = list(contract.action_by_type("identify").data_properties)
    data = {name: f"v-{name}" for name in named if name != "birth_date"}
    data.update(birth_date="1815-12-10", tier="gold")
    run(rules, store, contract, {"customer": "u1", "account": "", "data": data}, kind="identify")
    customer = customer_sync(store, "u1")
    assert set(customer.profile) == set(named)
    assert customer.attributes == {"tier": "gold"}
    run(rules, store, contract, {"customer": "u1", "data": {"first_name": "Ada"}}, kind="identify")
    assert customer_sync(store, "u1").profile["first_name"] == "Ada"
    assert customer_sync(store, "u1").profile["last_name"] == "v-last_name"


@pytest.mark.parametrize(
    "value", ["10/12/1815", "1815-13-01", "1815-02-30", "18151210", "2024-W01-1", "", "1815-12-10T13:00:00"]
)
def test_birth_date_must_be_an_iso_date(rules_for, contract, value):
    store = MemoryStore()
    err = refusal(
        lambda: run(rules_for(), store, contract, {"customer": "u1", "data": {"birth_date": value}}, kind="identify")
    )
    assert (err.status, err.code, err.field) == (422, "INVALID_DATE", "data.birth_date")
    assert customer_sync(store, "u1") is None


@pytest.mark.parametrize(
    "value",
    ["1815-12-10", "1815-12-10T00:00:00", "1815-12-10T00:00", "1815-12-10T00:00:00.000Z", "1815-12-10T00:00:00+02:00"],
)
def test_a_date_time_at_midnight_is_stored_as_that_day(rules_for, contract, value):
    store = MemoryStore()
    run(rules_for(), store, contract, {"customer": "u1", "data": {"birth_date": value}}, kind="identify")
    assert customer_sync(store, "u1").profile == {"birth_date": "1815-12-10"}


def test_multi_accounts_requires_a_known_account(rules_for, contract):
    rules, store = rules_for(multi_accounts=True, accounts=["a"]), MemoryStore()
    for payload, code in [
        (_event(contract, "opt_in"), "ACCOUNT_REQUIRED"),
        (_event(contract, "opt_in", account=""), "ACCOUNT_REQUIRED"),
        (_event(contract, "opt_in", account="zzz"), "UNKNOWN_ACCOUNT"),
    ]:
        err = refusal(lambda payload=payload: run(rules, store, contract, payload))
        assert (err.status, err.code, err.field) == (422, code, "account")
    assert customer_sync(store, "u1") is None


def test_single_account_sends_everything_to_the_default(rules_for, contract):
    rules, store = rules_for(default_account="main"), MemoryStore()
    run(rules, store, contract, _event(contract, "point_add", {"points": 1}, account="whatever"))
    assert customer_sync(store, "u1").balances == {"main": 1}


def test_history_is_write_once(contract):
    store = MemoryStore()
    data = {"points": 1, "nested": {"x": 1}}
    event = apply_sync(store, "u1", lambda _v: Change(account="a", action="point_add", data=data, points=1))
    data["nested"]["x"] = 99
    assert event.data["nested"]["x"] == 1
    with pytest.raises(AttributeError):
        event.points = 5  # type: ignore[misc]


def test_store_apply_is_atomic_across_threads():
    store = MemoryStore()

    def subtract_one(view):
        if view.balance("a") < 1:
            raise ApiError(422, "INSUFFICIENT_POINTS", "no")
        return Change(account="a", action="point_subtract", data={}, points=-1)

    apply_sync(store, "u", lambda _v: Change(account="a", action="point_add", data={}, points=50))
    refused = []

    def worker():
        for _ in range(20):
            try:
                apply_sync(store, "u", subtract_one)
            except ApiError:
                refused.append(1)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    customer = customer_sync(store, "u")
    assert customer.balances == {"a": 0}
    assert len(refused) == 8 * 20 - 50
    assert customer.event_count == 51


def test_date_fields_come_from_the_definition(make_config):
    raw = copy.deepcopy(dict(load_definition().raw))
    profile = next(a for a in raw["actions"].values() if a.get("segmentType") == "identify")
    profile["dateFields"] = ["first_name"]
    contract = build_contract(parse_definition(raw))
    store = MemoryStore()
    rules = LoyaltyRules(make_config(), contract)
    err = refusal(lambda: run(rules, store, contract, {"customer": "u1", "data": {"first_name": "Ada"}}, "identify"))
    assert (err.code, err.field) == ("INVALID_DATE", "data.first_name")
    run(rules, store, contract, {"customer": "u1", "data": {"birth_date": "not a date"}}, kind="identify")
    assert customer_sync(store, "u1").profile == {"birth_date": "not a date"}
    profile["dateFields"] = ["anniversary"]
    with pytest.raises(ValueError, match="anniversary"):
        LoyaltyRules(make_config(), build_contract(parse_definition(raw)))
