"""A bug in the fused fast path is noticed: logged once (the event's shape, never its values) and counted,
while the general path still gives the right answer. By-design fallbacks stay silent."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from destination.definition.model import load_definition
from destination.definition.subscriptions import load_presets
from destination.delivery.action import CompiledAction
from destination.delivery.fused import GiveUp
from destination.delivery.pipeline import Pipeline
from destination.errors import PayloadValidationError

DEFINITION = load_definition()
MAPPING = {"customer": {"@path": "$.userId"}, "action": "point_add", "data": {"points": {"@path": "$.properties.p"}}}
SECRET_LOOKING = "value-never-logged-4711"


def event(n: int) -> dict[str, Any]:
    return {"type": "track", "userId": f"{SECRET_LOOKING}-{n}", "properties": {"p": n, "note": SECRET_LOOKING}}


def broken(_event: dict[str, Any]) -> dict[str, Any]:
    raise ZeroDivisionError("a bug in the fast path")


def fast_path_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "destination.delivery.action"]


def test_a_broken_fast_path_is_logged_once_counted_and_still_right(caplog, monkeypatch):
    action = CompiledAction(DEFINITION, DEFINITION.action("event"), MAPPING)
    expected = [action.payload(event(n)) for n in range(3)]
    assert action._fused is not None and action.fast_path_failures == 0
    monkeypatch.setattr(action, "_fused", broken)
    with caplog.at_level(logging.ERROR, logger="destination.delivery.action"):
        got = [action.payload(event(n)) for n in range(3)]
    assert got == expected
    assert action.fast_path_failures == 3
    [record] = fast_path_records(caplog)
    message = record.getMessage()
    assert "ZeroDivisionError" in message
    assert "'userId': 'string'" in message and "'p': 'number'" in message, message
    assert SECRET_LOOKING not in message and "a bug in the fast path" not in message


@pytest.mark.parametrize("declined", [GiveUp(), PayloadValidationError([])])
def test_a_by_design_fallback_is_neither_logged_nor_counted(caplog, monkeypatch, declined):
    action = CompiledAction(DEFINITION, DEFINITION.action("event"), MAPPING)
    expected = action.payload(event(1))

    def declines(_event: dict[str, Any]) -> dict[str, Any]:
        raise declined

    monkeypatch.setattr(action, "_fused", declines)
    with caplog.at_level(logging.DEBUG, logger="destination.delivery.action"):
        assert action.payload(event(1)) == expected
    assert action.fast_path_failures == 0 and fast_path_records(caplog) == []


def test_the_pipeline_sums_its_routes_failures(monkeypatch):
    defaults = {a.default_subscription for a in DEFINITION.actions.values()}
    presets = [p for p in load_presets(DEFINITION) if p.subscribe in defaults]
    pipeline = Pipeline(DEFINITION, presets, {"stack": "t", "api_key": "k"})
    for route in pipeline.routes:
        monkeypatch.setattr(route.action, "_fused", broken)
    track = {"type": "track", "event": "Points Earned", "userId": "u", "properties": {"points": 5}}
    identify = {"type": "identify", "userId": "u", "traits": {"first_name": "Ada"}}
    outcomes = pipeline.run(track) + pipeline.run(identify)
    assert outcomes and all(outcome.ok for outcome in outcomes)
    assert pipeline.fast_path_failures == len(outcomes)
