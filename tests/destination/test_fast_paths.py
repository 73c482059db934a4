"""The other hot-path shortcuts agree with the plain code they stand for, on generated inputs.

1. A trigger's generated expression agrees with the closures it falls back on.
2. `is_json_view`, the URL cache, the idempotency key, the quick constructors and
   `Pipeline.run` agree with the plain functions they stand for.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import json_scalars, json_trees

from destination.definition.model import load_definition
from destination.definition.subscriptions import load_mappings, load_presets
from destination.delivery.action import CompiledAction, PreparedRequest, idempotency_key
from destination.delivery.pipeline import Outcome, Pipeline
from destination.errors import DestinationError
from destination.fql import parser as fql
from destination.fql.evaluate import compile_closures, compile_tree
from destination.js.objects import is_json_view, json_view
from destination.js.values import UNDEFINED

DEFINITION = load_definition()
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
KEYS = st.sampled_from(["type", "event", "userId", "properties", "traits", "context", "a", "x", "y", "0", ""])
JSON = json_trees(
    json_scalars(floats=st.floats(), text=st.sampled_from(["", "track", "😀"]) | st.text(max_size=4)),
    KEYS,
    size=3,
    leaves=8,
)
EVENTS = st.dictionaries(KEYS, JSON, max_size=6)

# -- 1. triggers ------------------------------------------------------------------------------

CONDITIONS = st.sampled_from(
    [
        'type = "track"',
        'type != "track"',
        "type = 5",
        "event = null",
        'event = "Order Completed"',
        "userId exists",
        'name != ""',
        "properties.total > 5",
        'contains(event, "Or")',
        "traits.vip = true",
        'type = "😀"',
        '!match(userId, "u*")',
        "()",
        'context.x.y != "a"',
    ]
)
QUERIES = st.lists(
    st.one_of(CONDITIONS, st.lists(CONDITIONS, min_size=1, max_size=3).map(lambda c: "(" + " or ".join(c) + ")")),
    min_size=1,
    max_size=4,
).flatmap(lambda parts: st.sampled_from([" and ", " or "]).map(lambda op: op.join(parts)))
TRIGGER_EVENTS = (
    EVENTS
    | st.fixed_dictionaries(
        {"type": st.sampled_from(["track", "identify", 5, None, "😀"])},
        optional={"event": st.sampled_from(["Order Completed", "x", None]), "userId": JSON},
    )
    | JSON
)


@FAST
@given(QUERIES, TRIGGER_EVENTS)
def test_generated_trigger_agrees_with_its_closures(query: str, event: Any) -> None:
    try:
        tree = fql.parse(query).tree
    except DestinationError:
        return

    def verdict(predicate: Callable[[Any], bool]) -> Any:
        try:
            return predicate(event)
        except Exception as exc:
            return (type(exc).__name__, str(exc))

    assert verdict(compile_tree(tree)) == verdict(compile_closures(tree))


# -- 2. small shortcuts -------------------------------------------------------------------------


@FAST
@given(JSON | st.just(UNDEFINED) | st.lists(st.just(UNDEFINED) | JSON, max_size=3))
def test_is_json_view_means_json_view_changes_nothing(value: Any) -> None:
    if is_json_view(value):
        assert repr(json_view(value)) == repr(value)


def test_is_json_view_rejects_what_the_view_would_change() -> None:
    for value in (math.nan, [1, math.inf], {"a": {"b": -math.inf}}, [UNDEFINED], {"a": (1,)}):
        assert not is_json_view(value)


@FAST
@given(st.text(max_size=12), st.sampled_from(sorted(DEFINITION.actions)))
def test_idempotency_key_shortcut_is_the_function(message_id: str, action_key: str) -> None:
    action = CompiledAction(DEFINITION, DEFINITION.action(action_key), {})
    event = {"messageId": message_id}
    try:
        expected: Any = idempotency_key(event, action_key)
    except UnicodeEncodeError:
        expected = UnicodeEncodeError
    try:
        got: Any = action.idempotency_key(event)
    except UnicodeEncodeError:
        got = UnicodeEncodeError
    assert got == expected


def test_url_follows_the_settings_it_is_given() -> None:
    action = CompiledAction(DEFINITION, DEFINITION.action("event"), {})
    settings_ = {"stack": "eu1"}
    assert action.url(settings_) == "https://api.eu1.antavo.com/v1/webhook/segment"
    settings_["stack"] = "us2"
    assert action.url(settings_) == "https://api.us2.antavo.com/v1/webhook/segment"
    assert action.url({"stack": 1}) == "https://api.1.antavo.com/v1/webhook/segment"
    assert action.url({"stack": True}) == "https://api.true.antavo.com/v1/webhook/segment"
    assert action.url({}) == "https://api.undefined.antavo.com/v1/webhook/segment"
    assert action.url({"stack": "True"}) == "https://api.True.antavo.com/v1/webhook/segment"
    assert action.url({"stack": None}) == "https://api.null.antavo.com/v1/webhook/segment"


def test_quick_constructors_build_the_same_frozen_objects() -> None:
    args = ("POST", "https://x", {"a": 1}, {"K": "v"}, ("api_key",))
    quick, plain = PreparedRequest._quick(*args), PreparedRequest(*args)
    assert quick == plain and repr(quick) == repr(plain)
    with pytest.raises(dataclasses.FrozenInstanceError):
        quick.url = "other"  # type: ignore[misc]
    subscription = load_presets(DEFINITION)[0]
    assert Outcome._quick(subscription, plain, None) == Outcome(subscription, request=plain)
    assert Outcome._quick(subscription, None, "no") == Outcome(subscription, error="no")


def test_pipeline_outcomes_are_the_actions_answers() -> None:
    subscriptions = [s for s in load_mappings(DEFINITION) if s.enabled]
    pipeline = Pipeline(DEFINITION, subscriptions, {"stack": "eu1", "api_key": "k"})
    events = [
        {
            "type": "track",
            "event": "Order Completed",
            "userId": "u",
            "messageId": "m1",
            "properties": {"order_id": "o", "total": "12.5"},
        },
        {"type": "track", "event": "Signed Up", "properties": {"loyalty_consent": True}},
        {"type": "identify", "userId": 7, "traits": {"phone": 123, "tier": None}},
    ]
    for event in events:
        expected = []
        for route in pipeline.routes:
            if route.trigger.matches(event):
                try:
                    expected.append(Outcome(route.subscription, request=route.action.prepare(event, pipeline.settings)))
                except DestinationError as exc:
                    expected.append(
                        Outcome(route.subscription, error=exc.message, field=getattr(exc, "field", None) or None)
                    )
        assert pipeline.run(event) == expected and expected
