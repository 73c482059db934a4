"""The webhook contract is derived from the definition, and refuses a definition it cannot read."""

from __future__ import annotations

import copy

import pytest

from destination.definition.model import load_definition, parse_definition
from receiver.core.contract import ContractError, build_contract


def test_roles_match_what_the_destination_sends():
    contract = build_contract(load_definition())
    assert contract.auth_field == "api_key" and contract.settings_fields == ("api_key",)
    roles = (contract.customer_field, contract.account_field, contract.data_field, contract.name_field)
    assert roles == ("customer", "account", "data", "action")
    assert {a.key: a.event_type for a in contract.actions} == {"event": "track", "profile": "identify"}


def test_bodies_are_told_apart_by_the_action_extras():
    contract = build_contract(load_definition())
    assert contract.classify({"action": "profile"}).key == "profile"
    assert contract.classify({"action": "point_add"}).key == "event"
    assert contract.classify({}).key == "event"
    profile = contract.classify({"action": "profile"})
    body = {"customer": "u", "data": {}, "action": "profile", "api_key": "k"}
    assert contract.payload(body, profile) == {"customer": "u", "data": {}}


def test_roles_come_from_the_yaml_not_from_field_shapes():
    raw = copy.deepcopy(dict(load_definition().raw))
    for action in raw["actions"].values():  # a second optional string field on every action
        action["fields"]["store"] = {"label": "Store", "type": "string", "required": False}
    assert build_contract(parse_definition(raw)).account_field == raw["roles"]["account"]
    raw["roles"]["account"] = "store"
    assert build_contract(parse_definition(raw)).account_field == "store"
    del raw["roles"]["account"]
    with pytest.raises(ContractError, match="no field for the 'account' role"):
        build_contract(parse_definition(raw))


def test_missing_schemas_say_how_to_make_them(tmp_path):
    with pytest.raises(ContractError, match="antavo-actions schemas"):
        build_contract(load_definition(), schemas_dir=tmp_path)
