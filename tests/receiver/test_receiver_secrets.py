"""The API key never leaves the receiver: not in answers, errors, the inbound log or server logs."""

from __future__ import annotations

import json

from served import on_every_store

from receiver.config import ReceiverConfig
from receiver.security import REDACTED, Redactor

pytest_generate_tests = on_every_store

WEBHOOK = "/v1/webhook/segment"


def test_key_appears_in_no_response_log_entry_or_server_log(receiver_server):
    key = receiver_server.api_key
    texts: list[str] = []
    requests = [
        {"customer": "u1", "action": "point_add", "data": {"points": 3}, "api_key": key},
        {"customer": "u1", "action": "point_subtract", "data": {"points": 99}, "api_key": key},
        {"customer": "u1", "action": "point_add", "data": {"points": "x"}, "api_key": key},
        {"customer": key, "action": "opt_in", "api_key": key},  # the key pasted into another field
        {"customer": "u1", "action": "custom", "data": {"note": f"key={key}", key: 1}, "api_key": key},
        {"customer": "u1", "data": {"first_name": {}}, "action": "profile", "api_key": key},
        {"customer": "u1", "action": "opt_in", "api_key": key + "x"},
        {"customer": 5, "api_key": key},
    ]
    with receiver_server.client() as client:
        for body in requests:
            response = client.post(WEBHOOK, json=body, headers={"X-Segment-Message-Id": f"m-{len(texts)}"})
            texts.append(response.text + json.dumps(dict(response.headers)))
        texts.append(client.post(WEBHOOK, json=[key]).text)
        texts.append(
            client.post(WEBHOOK, content=f'{{"api_key": "{key}"', headers={"Content-Type": "application/json"}).text
        )
        texts.append(client.post(WEBHOOK, json=requests[0], headers={"X-Segment-Message-Id": key}).text)
        texts.append(client.post(WEBHOOK, json=requests[1], headers={"X-Segment-Message-Id": key}).text)
        logs = client.get("/v1/logs", params={"limit": 500}, headers=receiver_server.auth)
        texts.append(logs.text)
        texts.append(client.get(f"/v1/customers/{REDACTED}", headers=receiver_server.auth).text)
        texts.append(client.get("/v1/customers/u1/events", headers=receiver_server.auth).text)
        texts.append(client.get("/healthz").text)
        texts.append(client.get("/openapi.json").text)
        texts.append(client.get("/v1/logs", headers={"Authorization": f"Bearer {key}x"}).text)
    entries = logs.json()["items"]
    assert len(entries) == len(requests) + 4
    assert all(
        entry["request"] is None or entry["request"].get("api_key", REDACTED) == REDACTED
        for entry in entries
        if isinstance(entry["request"], dict)
    )
    for text in texts + receiver_server.log_lines:
        assert key not in text


def test_settings_never_show_the_key():
    config = ReceiverConfig(api_key="very-secret-value")
    assert "very-secret-value" not in repr(config)
    assert "very-secret-value" not in str(config)
    assert "very-secret-value" not in config.model_dump_json()


def test_redactor_masks_fields_and_values_without_touching_the_input():
    redact = Redactor({"api_key"}, ["s3cret-key"])
    original = {"api_key": "anything", "data": {"note": "is s3cret-key", "list": ["s3cret-key", 1]}}
    assert redact(original) == {"api_key": REDACTED, "data": {"note": f"is {REDACTED}", "list": [REDACTED, 1]}}
    assert original["data"]["note"] == "is s3cret-key"


def test_a_short_key_is_masked_only_as_a_whole_value():
    redact = Redactor({"api_key"}, ["k"])
    assert redact({"api_key": "k", "kind": "k", "note": "kk"}) == {"api_key": REDACTED, "kind": REDACTED, "note": "kk"}
