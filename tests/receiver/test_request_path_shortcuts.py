"""The request path's shortcuts give what the plain code gives, on generated inputs.

orjson reading and writing bodies, the Redactor's one look at a body's JSON text, the cheap
JSON copy, and the webhook core skipping a schema check the ingest's pipeline already ran:
each is compared with the code it stands for, and where it must not apply, shown not to.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import FINITE_FLOATS, json_scalars, json_trees

from destination.definition.model import load_definition
from destination.definition.project import project_path
from destination.definition.subscriptions import load_mappings
from destination.delivery.pipeline import Pipeline
from receiver.core.checks import PayloadChecker
from receiver.core.contract import build_contract
from receiver.errors import ApiError
from receiver.jsontext import dumps_text, json_copy, loads
from receiver.security import REDACTED, Redactor
from receiver.store.entries import LogEntry
from receiver.store.memory.ring import LogRing
from receiver.web.body import MAX_DEPTH, parse_json

DEFINITION = load_definition()
CONTRACT = build_contract(DEFINITION)
SECRETS = ("s3cret-key-0123", "k", 'q"\\\n-long-secret')
KEYS = st.sampled_from(["api_key", "note", "data", "k", *SECRETS]) | st.text(max_size=6)
TEXT = (
    st.sampled_from(SECRETS)
    | st.builds(lambda a, s, b: a + s + b, st.text(max_size=3), st.sampled_from(SECRETS), st.text(max_size=3))
    | st.text()
)
BODIES = json_trees(json_scalars(floats=FINITE_FLOATS, text=TEXT), KEYS, size=4, leaves=20)


def walked(redactor: Redactor, value: Any, fields: frozenset[str]) -> Any:
    """The Redactor as it was: a full walk, a deep copy, every string through `text`."""
    if isinstance(value, dict):
        return {
            (key if key in fields else redactor.text(key)): REDACTED
            if key in fields
            else walked(redactor, item, fields)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [walked(redactor, item, fields) for item in value]
    if isinstance(value, str):
        return redactor.text(value)
    return value


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BODIES)
def test_the_redactor_masks_exactly_what_the_full_walk_masks_and_leaves_the_input_alone(body):
    redact = Redactor({"api_key"}, SECRETS)
    before = copy.deepcopy(body)
    assert redact(body) == walked(redact, body, frozenset({"api_key"}))
    assert body == before


def test_a_body_with_nothing_secret_comes_back_as_is_and_one_with_a_secret_is_copied_on_the_way_to_it():
    redact = Redactor({"api_key"}, ["s3cret-key-0123"])
    clean = {"customer": "u1", "data": {"points": 1}}
    assert redact(clean) is clean
    keyed = {"api_key": "x", "data": {"points": 1}, "note": ["a", "is s3cret-key-0123"]}
    out = redact(keyed)
    assert out == {"api_key": REDACTED, "data": {"points": 1}, "note": ["a", f"is {REDACTED}"]}
    assert out["data"] is keyed["data"], "a part with nothing to mask is shared, not copied"
    assert keyed["api_key"] == "x" and keyed["note"][1] == "is s3cret-key-0123"


@settings(max_examples=300, deadline=None)
@given(json_trees(json_scalars(floats=FINITE_FLOATS), st.text(max_size=5), size=4, leaves=25))
def test_bodies_read_and_written_by_orjson_are_what_json_reads_and_writes(value):
    raw = json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
    try:
        expected = json.loads(raw)
    except ValueError:
        return
    parsed, _ = loads(raw)
    assert parsed == expected and type(parsed) is type(expected)
    assert json.loads(dumps_text(value)) == expected
    copied = json_copy(value)
    assert copied == value


def test_what_orjson_would_read_differently_or_refuse_is_read_by_json_as_before():
    huge = 123456789012345678901234567890
    assert parse_json(json.dumps({"n": huge, "m": -huge}).encode()) == {"n": huge, "m": -huge}
    assert parse_json('"caf\u00e9"'.encode("utf-16")) == "café"
    with pytest.raises(ApiError) as infinite:
        parse_json(b'{"total": 1e400}')
    assert (infinite.value.status, infinite.value.code, infinite.value.field) == (422, "NUMBER_OUT_OF_RANGE", "total")
    with pytest.raises(ApiError) as surrogate:
        parse_json(b'{"a": "\\ud800"}')
    assert surrogate.value.code == "INVALID_JSON" and "Unicode" in surrogate.value.message
    for text in (b"NaN", b"[1,", b'{"a": Infinity}', b""):
        with pytest.raises(ApiError) as bad:
            parse_json(text)
        assert bad.value.code == "INVALID_JSON"


@pytest.mark.parametrize("depth", [MAX_DEPTH, MAX_DEPTH + 1])
def test_the_nesting_bound_holds_on_the_orjson_path(depth):
    raw = ("[" * (depth - 1) + '{"a": 1}' + "]" * (depth - 1)).encode()
    if depth <= MAX_DEPTH:
        assert parse_json(raw) is not None
    else:
        with pytest.raises(ApiError, match="nests deeper"):
            parse_json(raw)


def test_json_copy_shares_no_container_with_its_input():
    value = {"a": [1, {"b": [2.5, None, "x"]}], "c": {"d": True}}
    copied = json_copy(value)
    assert copied == value
    copied["a"][1]["b"].append(3)
    copied["c"]["e"] = 1
    assert value == {"a": [1, {"b": [2.5, None, "x"]}], "c": {"d": True}}


# --- the schema check the ingest's pipeline already ran ------------------------------------------

PIPELINE = Pipeline(DEFINITION, [s for s in load_mappings(DEFINITION) if s.enabled], {"stack": "eu1", "api_key": "k"})
EVENTS = st.fixed_dictionaries(
    {
        "type": st.just("track"),
        "event": st.sampled_from(["Order Completed", "Points Earned", "Signed Up", "Points Spent"]),
        "userId": st.text(min_size=1, max_size=8),
        "messageId": st.text(min_size=1, max_size=8),
        "properties": st.dictionaries(
            st.sampled_from(["order_id", "total", "points", "reason", "loyalty_consent", "account"]),
            json_scalars(floats=FINITE_FLOATS, text=st.text(max_size=6)),
            max_size=5,
        ),
    }
) | st.fixed_dictionaries(
    {
        "type": st.just("identify"),
        "userId": st.text(min_size=1, max_size=8),
        "traits": st.dictionaries(
            st.sampled_from(["first_name", "email", "birth_date", "phone", "tier"]),
            json_scalars(floats=FINITE_FLOATS, text=st.text(max_size=10)),
            max_size=5,
        ),
    }
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EVENTS)
def test_a_payload_the_pipeline_validated_passes_the_webhooks_own_check_unchanged(event):
    """So skipping that second check (`validated_with`) changes no outcome."""
    checker = PayloadChecker(CONTRACT)
    schemas = {id(route.subscription): route.action.validator.schema for route in PIPELINE.routes}
    for outcome in PIPELINE.run(event):
        if outcome.request is None:
            continue
        body = outcome.request.json
        action = CONTRACT.classify(body)
        validated_with = schemas[id(outcome.subscription)]
        assert checker.check(action, body) == checker.check(action, body, validated_with)


def test_the_check_is_skipped_only_for_the_actions_own_schema():
    checker = PayloadChecker(CONTRACT)
    action = CONTRACT.classify({"action": "point_add"})
    own = json.loads((project_path("schemas") / f"{action.key}.schema.json").read_text(encoding="utf-8"))
    invalid = {"customer": 5, "action": "point_add", "api_key": "k"}  # customer must be a string
    with pytest.raises(ApiError) as refused:
        checker.check(action, invalid)
    assert refused.value.code == "INVALID_PAYLOAD"
    other = next(a for a in CONTRACT.actions if a.key != action.key)
    for wrong in (other.schema, {**own, "required": ["customer"]}, None):
        with pytest.raises(ApiError):
            checker.check(action, invalid, wrong)
    # The pipeline vouches for this payload: the webhook core trusts its own schema, and only that.
    assert checker.check(action, invalid, own) == {"customer": 5, "action": "point_add"}


def test_the_rings_quick_entries_are_the_entries_the_dataclass_makes():
    ring = LogRing(10)
    entry = ring.add(
        id="m-1",
        timestamp=datetime.now(UTC),
        customer_id="c",
        event_type="track",
        status=202,
        response_time=0.001,
        error=None,
        error_code=None,
        request={"a": [1, "é"]},
        response={"status": "accepted"},
    )
    plain = LogEntry(**{field.name: getattr(entry, field.name) for field in dataclasses.fields(LogEntry)})
    assert entry == plain and repr(entry) == repr(plain) and hash(entry) == hash(plain)
    assert list(vars(entry)) == [field.name for field in dataclasses.fields(LogEntry)]
    assert entry.request == {"a": [1, "é"]} and entry.response == {"status": "accepted"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.status = 500  # type: ignore[misc]
