"""Every recorded `action` case gives Segment's request or error; the compiled form is reusable."""

from __future__ import annotations

from typing import Any

import pytest
from cases import load_cases

from destination.conformance.harness import create_test_event
from destination.conformance.runner import same
from destination.definition.model import load_definition
from destination.delivery.action import (
    IDEMPOTENCY_HEADER,
    CompiledAction,
    PreparedRequest,
    idempotency_key,
    prepare_request,
)
from destination.errors import (
    DestinationError,
    MappingValidationError,
    PayloadValidationError,
)

CASES = load_cases("action")
DEFINITION = load_definition()
SETTINGS = {"stack": "eu1", "api_key": "secret-key"}


def run(case: dict[str, Any]) -> dict[str, Any]:
    # The cases were recorded through Segment's test harness, which fills in a test event.
    event = create_test_event(case["event"])
    try:
        req = prepare_request(DEFINITION, case["action"], event, case["mapping"], case["settings"])
    except DestinationError as exc:
        return {"error": exc.message}
    return {"request": {"method": req.method, "url": req.url, "json": req.json}}


def test_cases_were_found() -> None:
    assert len(CASES) > 200
    assert {c["action"] for c in CASES} == set(DEFINITION.actions)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_action_case(case: dict[str, Any]) -> None:
    result = run(case)
    assert same(result, case["expect"]), f"got {result!r}"


def test_compiled_action_is_reused_across_events() -> None:
    compiled = CompiledAction(
        DEFINITION, DEFINITION.action("event"), {"customer": {"@path": "$.userId"}, "action": {"@path": "$.event"}}
    )
    first = compiled.prepare({"userId": 42, "event": "Order Completed"}, SETTINGS)
    second = compiled.prepare({"userId": "u2", "event": "Signup"}, SETTINGS)
    assert first.json == {"customer": "42", "action": "Order Completed", "api_key": "secret-key"}
    assert second.json["customer"] == "u2"
    assert first.url == "https://api.eu1.antavo.com/v1/webhook/segment"
    assert first.method == "POST"
    assert compiled.payload({"userId": "u", "event": "e"}) == {"customer": "u", "action": "e"}


def test_default_mapping_and_action_extras() -> None:
    event = {"userId": "u1", "traits": {"first_name": "Ann", "birthday": 19900101, "gender": None}}
    req = prepare_request(DEFINITION, "profile", event, None, SETTINGS)
    assert req.json == {
        "customer": "u1",
        "data": {"first_name": "Ann", "birth_date": "19900101"},
        "action": "profile",
        "api_key": "secret-key",
    }


def test_base_url_override_keeps_the_path() -> None:
    req = prepare_request(
        DEFINITION,
        "event",
        {"userId": "u", "event": "e"},
        {"customer": "x", "action": "y"},
        SETTINGS,
        base_url="http://127.0.0.1:8000/",
    )
    assert req.url == "http://127.0.0.1:8000/v1/webhook/segment"


def test_missing_setting_reads_like_a_javascript_template() -> None:
    req = prepare_request(DEFINITION, "event", {}, {"customer": "x", "action": "y"}, {"api_key": "k"})
    assert req.url == "https://api.undefined.antavo.com/v1/webhook/segment"


def test_invalid_mapping_fails_every_event_with_segments_first_message() -> None:
    compiled = CompiledAction(
        DEFINITION, DEFINITION.action("event"), {"customer": {"@path": 5}, "action": {"@bogus": 1}}
    )
    for _ in range(2):
        with pytest.raises(MappingValidationError) as info:
            compiled.prepare({"userId": "u"}, SETTINGS)
        assert info.value.message == "/customer/@path should be a string or a mapping directive but it is a number."
        assert len(info.value.errors) == 2


def test_payload_errors_carry_the_field() -> None:
    with pytest.raises(PayloadValidationError) as info:
        prepare_request(
            DEFINITION,
            "event",
            {"userId": "u"},
            {"customer": {"@path": "$.userId"}, "action": "a", "data": "x"},
            SETTINGS,
        )
    assert (info.value.message, info.value.field) == ("Event data must be an object but it was a string.", "/data")


def test_internal_segment_mapping_keys_are_ignored() -> None:
    mapping = {"customer": "c", "action": "a", "__segment_internal_sync_mode": "upsert"}
    assert prepare_request(DEFINITION, "event", {}, mapping, SETTINGS).json == {
        "customer": "c",
        "action": "a",
        "api_key": "secret-key",
    }


def test_idempotency_key_is_stable_per_event_and_action() -> None:
    event = {"messageId": "m-1", "userId": "u", "event": "e"}
    mapping = {"customer": "c", "action": "a"}
    one = prepare_request(DEFINITION, "event", event, mapping, SETTINGS)
    two = prepare_request(DEFINITION, "event", dict(event), mapping, SETTINGS)
    assert one.headers[IDEMPOTENCY_HEADER] == two.headers[IDEMPOTENCY_HEADER] == idempotency_key(event, "event")
    assert idempotency_key(event, "profile") != idempotency_key(event, "event")
    assert idempotency_key({"messageId": "m-2"}, "event") != idempotency_key(event, "event")
    scoped = CompiledAction(
        DEFINITION, load_definition().action("event"), {"customer": "c", "action": "x"}, key_scope="event:A"
    )
    assert (
        scoped.prepare(event, {"stack": "s", "api_key": "k"}).headers[IDEMPOTENCY_HEADER]
        == idempotency_key(event, "event:A")
        != idempotency_key(event, "event")
    )
    assert prepare_request(DEFINITION, "event", {}, mapping, SETTINGS).headers == {}


def test_repr_masks_secret_settings() -> None:
    req = prepare_request(DEFINITION, "event", {}, {"customer": "c", "action": "a"}, SETTINGS)
    assert isinstance(req, PreparedRequest)
    assert "secret-key" not in repr(req)
    assert req.json["api_key"] == "secret-key"
    assert req.secret_values() == ["secret-key"]
