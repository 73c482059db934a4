"""`requires:` in antavo.yaml: declared once, enforced by the receiver, checked by `validate`."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from destination.definition.model import load_definition, parse_definition
from destination.lint.checks import check_file
from destination.lint.contract import contract_warnings
from receiver.config import ReceiverConfig
from receiver.core.contract import build_contract, default_contract
from receiver.core.loyalty import LoyaltyRules
from receiver.errors import ApiError

DEFINITION = load_definition()
EVENT = DEFINITION.action("event")


def test_the_definition_declares_what_antavo_needs() -> None:
    assert EVENT.requires == {
        "point_add": {"data": ("points",)},
        "point_subtract": {"data": ("points",)},
        "checkout": {"data": ("transaction_id", "total")},
    }
    contract = default_contract().action_by_type("track")
    assert contract.requires["checkout"] == ("transaction_id", "total")


def refusal(rules: LoyaltyRules, contract: Any, name: str, data: dict[str, Any]) -> ApiError:
    action = contract.action_by_type("track")
    with pytest.raises(ApiError) as caught:
        rules.decide(action, {"customer": "u1", "action": name, "data": data}, name)
    return caught.value


def test_the_receiver_reads_the_declaration(make_config: Callable[..., ReceiverConfig]) -> None:
    raw = copy.deepcopy(dict(DEFINITION.raw))
    raw["actions"]["event"]["requires"]["opt_in"] = {"data": ["source"]}
    del raw["actions"]["event"]["requires"]["checkout"]
    contract = build_contract(parse_definition(raw))
    rules = LoyaltyRules(make_config(), contract)
    err = refusal(rules, contract, "opt_in", {})
    assert (err.code, err.field, err.message) == (
        "INVALID_PAYLOAD",
        "data.source",
        "Event data is missing the required field 'source'.",
    )
    err = refusal(rules, contract, "checkout", {"total": 5})  # no longer declared: the type rule answers
    assert (err.code, err.field) == ("INVALID_TRANSACTION_ID", "data.transaction_id")
    err = refusal(rules, contract, "point_add", {"pionts": 5})
    assert (err.code, err.field) == ("INVALID_POINTS", "data.points")


def warnings(mapping: dict[str, Any]) -> list[tuple[str, list[str], str]]:
    full = {**EVENT.default_mapping, **mapping}
    return [(w.rule, w.pointer, w.message) for w in contract_warnings(DEFINITION, EVENT, mapping, full)]


def test_validate_warns_only_where_it_can_know() -> None:
    assert warnings({"action": "point_add", "data": {"points": 1}}) == []
    assert warnings({"action": {"@path": "$.event"}, "data": {}}) == []  # the name is decided per event
    assert warnings({"action": "checkout", "data": {"@path": "$.properties"}}) == []  # so are the keys
    assert warnings({"action": "custom_event"}) == []
    [(rule, pointer, message)] = warnings({"action": "point_subtract", "data": {"pionts": 1, "reason": "x"}})
    assert (rule, pointer) == ("contract-required", ["data", "pionts"]) and "did you mean 'points'" in message
    [(_, pointer, _)] = warnings({"action": "point_add"})
    assert pointer == ["action"]
    merged = {"@merge": {"direction": "right", "objects": [{"transaction_id": 1}, {"totl": 2}]}}
    [(_, pointer, message)] = warnings({"action": "checkout", "data": merged})
    assert pointer == ["data", "totl"] and "'data.total'" in message


def test_requires_must_name_declared_fields(tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parents[2] / "destination" / "antavo.yaml").read_text(encoding="utf-8")
    path = tmp_path / "antavo.yaml"
    path.write_text(text.replace("point_add: {data: [points]}", "point_add: {dta: [points]}"), encoding="utf-8")
    [problem] = check_file(path, DEFINITION)
    assert problem.rule == "unknown-field" and "'dta'" in problem.message
