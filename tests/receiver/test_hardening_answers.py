"""Issue 13's 5xx reproductions and bounds on what a caller can store, through a real receiver."""

from __future__ import annotations

import socket
import time

import pytest
from served import on_every_store

from receiver.config import ReceiverConfig

pytest_generate_tests = on_every_store

WEBHOOK = "/v1/webhook/segment"
HUGE = "9" * 4300


@pytest.mark.parametrize("path", ["/v1/logs", "/v1/outbound-logs"])
@pytest.mark.parametrize("param", ["since", "until"])
def test_a_time_without_a_zone_filters_as_utc_instead_of_failing(receiver_server, path, param):
    key = receiver_server.api_key
    with receiver_server.client() as client:
        client.post(WEBHOOK, json={"customer": "a", "action": "opt_in", "api_key": key})
        response = client.get(path, params={param: "2020-01-01T00:00:00"}, headers=receiver_server.auth)
    assert response.status_code == 200, response.text
    expected = 1 if (param == "since" and path == "/v1/logs") else 0
    assert len(response.json()["items"]) == expected


def test_a_nul_character_is_refused_by_name_on_every_store_and_stores_nothing(receiver_server):
    """PostgreSQL cannot keep U+0000 in text or jsonb: every store refuses it alike (400, the field's path)."""
    key = receiver_server.api_key
    bodies = {
        "customer": {"customer": "c\u0000", "action": "point_add", "data": {"points": 1}, "api_key": key},
        "data.reason": {
            "customer": "c1",
            "action": "point_add",
            "data": {"points": 1, "reason": "a\u0000"},
            "api_key": key,
        },
    }
    with receiver_server.client() as client:
        for field, body in bodies.items():
            answer = client.post(WEBHOOK, json=body)
            assert answer.status_code == 400 and answer.json()["error"]["field"] == field, answer.text
            assert answer.json()["error"]["code"] == "INVALID_JSON" and "NUL" in answer.json()["error"]["message"]
        assert client.get("/v1/customers/c1", headers=receiver_server.auth).status_code == 404
        assert receiver_server.writes() == 0
        logged = client.get("/v1/logs", headers=receiver_server.auth, params={"status": 400}).json()["items"]
    assert len(logged) == 2, "the refusals are in the log, their bodies storable"


def test_a_balance_cannot_grow_past_the_limit_and_the_customer_page_still_renders(start_receiver):
    receiver = start_receiver(limits={"max_balance": 100, "max_points": 80})
    key = receiver.api_key
    with receiver.client() as client:

        def add(points):
            body = {"customer": "c1", "action": "point_add", "data": {"points": points}, "api_key": key}
            return client.post(WEBHOOK, json=body)

        huge = client.post(
            WEBHOOK,
            content=f'{{"customer": "c1", "action": "point_add", "data": {{"points": {HUGE}}}, "api_key": "{key}"}}',
            headers={"Content-Type": "application/json"},
        )
        assert huge.status_code == 422 and huge.json()["error"] == {
            "code": "POINTS_TOO_LARGE",
            "message": "Points must be at most 80 per event.",
            "field": "data.points",
        }
        assert add(80).status_code == 202
        over = add(21)
        assert over.status_code == 422 and over.json()["error"]["code"] == "POINTS_TOO_LARGE"
        assert add(20).status_code == 202
        assert client.get("/v1/customers/c1", headers=receiver.auth).json()["balances"] == {"default": 100}
        client.post("/login", data={"api_key": key, "next": "/customers/c1"}, follow_redirects=False)
        page = client.get("/customers/c1")
    assert page.status_code == 200 and "100" in page.text


def test_huge_points_through_the_tracking_api_are_refused_too(start_receiver, write_mappings):
    receiver = start_receiver(mappings_dir=write_mappings({}, shipped=True))
    with receiver.client(auth=(receiver.write_key, "")) as client:
        for _ in range(2):
            answer = client.post(
                "/v1/track",
                content=f'{{"userId": "t1", "event": "Points Earned", "properties": {{"points": {HUGE}}}}}',
                headers={"Content-Type": "application/json"},
            )
            assert answer.status_code == 200
    with receiver.client() as client:
        customer = client.get("/v1/customers/t1", headers=receiver.auth)
        logs = client.get("/v1/logs", params={"customer_id": "t1"}, headers=receiver.auth)
        assert logs.status_code == 200, logs.text
        logs = logs.json()["items"]
    assert customer.status_code == 404  # never credited
    assert logs and {entry["error_code"] for entry in logs} == {"POINTS_TOO_LARGE"}


@pytest.mark.parametrize("number", ["1e400", "-1e400"])
def test_a_number_no_float_can_hold_is_refused_with_422(receiver_server, number):
    key = receiver_server.api_key
    body = f'{{"customer": "c2", "action": "custom", "data": {{"amount": {number}}}, "api_key": "{key}"}}'
    with receiver_server.client() as client:
        answer = client.post(WEBHOOK, content=body, headers={"Content-Type": "application/json"})
        track = client.post(
            "/v1/track",
            content=f'{{"userId": "c2", "event": "X", "properties": {{"v": {number}}}}}',
            headers={"Content-Type": "application/json"},
            auth=(receiver_server.write_key, ""),
        )
    assert answer.status_code == 422
    assert answer.json()["error"] == {
        "code": "NUMBER_OUT_OF_RANGE",
        "message": "A number is too large to be stored (not a finite number).",
        "field": "data.amount",
    }
    assert track.status_code == 422 and track.json()["code"] == "NUMBER_OUT_OF_RANGE"


def test_a_body_cut_short_is_a_400_not_a_500(receiver_server):
    port = int(receiver_server.base_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(
            f'POST {WEBHOOK} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{"a":'.encode()
        )
        sock.shutdown(socket.SHUT_WR)
        sock.recv(100)
    deadline = time.monotonic() + 5
    with receiver_server.client() as client:
        while time.monotonic() < deadline:
            items = client.get("/v1/logs", headers=receiver_server.auth).json()["items"]
            if items:
                break
            time.sleep(0.05)
    assert [(entry["status"], entry["error_code"]) for entry in items] == [(400, "INCOMPLETE_BODY")]
    assert items[0]["request"] is None
    assert not any("Traceback" in line or "INTERNAL_ERROR" in line for line in receiver_server.log_lines)


@pytest.mark.parametrize("field", ["api_key", "write_key"])
def test_short_keys_are_refused_at_start(field):
    with pytest.raises(ValueError, match="at least 16 characters"):
        ReceiverConfig.model_validate({field: "k" * 15})
    assert ReceiverConfig.model_validate({field: "k" * 16})


def test_answers_with_data_are_not_cached_and_the_tracking_api_declares_its_bodies(receiver_server):
    with receiver_server.client() as client:
        customer = client.get("/v1/customers/nobody", headers=receiver_server.auth)
        logs = client.get("/v1/logs", headers=receiver_server.auth)
        webhook = client.post(WEBHOOK, json={})
        asset = client.get("/static/app.css")
        spec = client.get("/openapi.json").json()
    assert {r.headers.get("cache-control") for r in (customer, logs, webhook)} == {"no-store"}
    assert asset.headers.get("cache-control") != "no-store"
    for path, required in (("/v1/track", "event"), ("/v1/identify", None), ("/v1/batch", "batch")):
        schema = spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert schema["type"] == "object"
        if required:
            assert required in schema["required"]


def test_the_readme_first_command_uses_keys_that_pass_and_serve_generates_one():
    import re
    import subprocess
    import sys

    from destination.definition.model import PROJECT_ROOT

    first = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8").split("```bash\n", 1)[1].split("\n", 1)[0]
    keys = dict(re.findall(r"ANTAVO_(API_KEY|WRITE_KEY)=(\S+)", first))
    assert set(keys) == {"API_KEY", "WRITE_KEY"}
    assert ReceiverConfig.model_validate({"api_key": keys["API_KEY"], "write_key": keys["WRITE_KEY"]})
    code = "import typer; from antavo_actions.cli.serve import serve; typer.run(serve)"
    printed = [
        subprocess.run([sys.executable, "-c", code, "--generate-key"], capture_output=True, text=True, timeout=60)
        for _ in range(2)
    ]
    generated = [result.stdout.strip() for result in printed]
    assert all(result.returncode == 0 for result in printed) and generated[0] != generated[1]
    assert ReceiverConfig.model_validate({"api_key": generated[0]}).has_api_key
