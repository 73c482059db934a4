"""`send` end to end: examples/ events, the shipped mappings, a real receiver on loopback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from antavo_actions.cli.app import build_app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
RUNNER = CliRunner()


def send(*args: str, input: str | None = None) -> Any:
    return RUNNER.invoke(build_app(), ["send", *args], input=input)


def customer(server: Any, customer_id: str) -> dict[str, Any]:
    response = httpx.get(f"{server.base_url}/v1/customers/{customer_id}", headers=server.auth, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_examples_become_loyalty_state(receiver_server: Any) -> None:
    result = send(
        str(EXAMPLES / "events.jsonl"),
        "--to",
        receiver_server.base_url,
        "--stack",
        "test",
        "--api-key",
        receiver_server.api_key,
    )
    assert result.exit_code == 0, result.output
    assert "0 refused" in result.output and "0 not sent" in result.output
    ada = customer(receiver_server, "cust-1001")
    assert ada["profile"]["first_name"] == "Ada"
    assert ada["profile"]["birth_date"] == "1990-12-10"
    assert ada["attributes"] == {"tier": "gold"}
    # checkout of 129.9 at earn rate 1 → 129 points, then 250 points earned
    assert list(ada["balances"].values()) == [129 + 250]  # one account: Multi-accounts is off
    assert ada["event_count"] == 3
    newcomer = customer(receiver_server, "cust-1002")
    assert newcomer["opted_in"] is True


def test_resending_the_same_events_applies_nothing_twice(receiver_server: Any) -> None:
    args = [
        str(EXAMPLES / "events.jsonl"),
        "--to",
        f"{receiver_server.base_url}/v1/webhook/segment",
        "--stack",
        "test",
        "--api-key",
        receiver_server.api_key,
    ]
    assert send(*args).exit_code == 0
    assert send(*args).exit_code == 0  # Idempotency-Key from messageId: replayed, not applied again
    assert list(customer(receiver_server, "cust-1001")["balances"].values()) == [379]


def test_json_array_on_stdin_and_refusals_are_reported(receiver_server: Any) -> None:
    events = [json.loads((EXAMPLES / "order-completed.json").read_text())]
    events.append({**events[0], "messageId": "dup-order", "properties": {**events[0]["properties"]}})
    result = send(
        "-",
        "--to",
        receiver_server.base_url,
        "--stack",
        "test",
        "--api-key",
        receiver_server.api_key,
        input=json.dumps(events),
    )
    assert result.exit_code == 1
    assert "409" in result.output and "1 accepted" in result.output and "1 refused" in result.output


def test_wrong_key_is_refused_and_never_printed(receiver_server: Any) -> None:
    result = send(
        str(EXAMPLES / "points-earned.json"),
        "--to",
        receiver_server.base_url,
        "--stack",
        "test",
        "--api-key",
        "not-the-key-123",
    )
    assert result.exit_code == 1 and "401" in result.output
    assert "not-the-key-123" not in result.output


def test_missing_settings_and_bad_input_are_usage_errors(tmp_path: Path) -> None:
    result = send(str(EXAMPLES / "points-earned.json"), "--to", "http://127.0.0.1:9")
    assert result.exit_code == 2 and "missing the required field 'stack'" in result.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type": "track"}\n{oops\n')
    result = send(str(bad), "--to", "http://127.0.0.1:9", "--stack", "s", "--api-key", "k")
    assert result.exit_code == 2 and f"{bad}:2:" in result.output
