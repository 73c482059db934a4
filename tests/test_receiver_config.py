"""Settings (file < environment < options), their schema, and the `serve` command."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import jsonschema
import pytest
import typer
from typer.testing import CliRunner

from receiver.config import ConfigError, config_schema, load_config, read_yaml, write_config_schema
from receiver.serve import serve

ROOT = Path(__file__).resolve().parents[1]


def test_shipped_settings_file_is_valid_and_has_no_key():
    raw = read_yaml(ROOT / "receiver.yaml")
    assert "api_key" not in raw
    jsonschema.Draft202012Validator(config_schema()).validate(raw)
    config = load_config(ROOT / "receiver.yaml", environ={})
    assert config.api_key is None and config.store == "memory"


def test_schema_file_is_generated_from_the_model(tmp_path):
    on_disk = json.loads((ROOT / "schemas" / "receiver.schema.json").read_text(encoding="utf-8"))
    assert on_disk.pop("$comment")
    assert on_disk == config_schema()
    written = json.loads(write_config_schema(tmp_path / "receiver.schema.json").read_text(encoding="utf-8"))
    assert written == {"$comment": written["$comment"], **on_disk}


def test_environment_overrides_the_file_and_options_override_both(tmp_path):
    path = tmp_path / "receiver.yaml"
    path.write_text("stack: from-file\nearn_rate: 2\naccounts: [a]\n", encoding="utf-8")
    environ = {
        "ANTAVO_STACK": "from-env",
        "ANTAVO_MULTI_ACCOUNTS": "true",
        "ANTAVO_ACCOUNTS": "x, y",
        "ANTAVO_API_KEY": "k",
    }
    config = load_config(path, environ=environ, overrides={"earn_rate": 3.5, "stack": None})
    assert (config.stack, config.multi_accounts, config.accounts, config.earn_rate) == (
        "from-env",
        True,
        ["x", "y"],
        3.5,
    )
    assert config.api_key.get_secret_value() == "k"


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("multi_accounts: true\n", "accounts"),
        ("store: redis\n", "store"),
        ("max_body_bytes: 10\n", "max_body_bytes"),
        ("surprise: 1\n", "surprise"),
        ("- a list\n", "mapping"),
        ("stack: [unclosed\n", "YAML"),
    ],
)
def test_bad_settings_are_explained(tmp_path, text, fragment):
    path = tmp_path / "receiver.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert fragment in str(caught.value)


def test_a_bad_key_setting_never_echoes_the_key(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(None, environ={"ANTAVO_API_KEY": "s3cret-value", "ANTAVO_LOG_SIZE": "zero"}, use_default_file=False)
    assert "log_size" in str(caught.value) and "s3cret-value" not in str(caught.value)


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.command()(serve)
    return app


def test_serve_without_a_key_exits_2_saying_how_to_set_one(monkeypatch, tmp_path):
    monkeypatch.delenv("ANTAVO_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(_cli(), ["--port", "0"])
    assert result.exit_code == 2
    assert "ANTAVO_API_KEY" in result.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_prints_the_addresses_and_stops_on_ctrl_c(tmp_path):
    port = _free_port()
    key = "serve-test-key-9f3a"
    env = {**os.environ, "ANTAVO_API_KEY": key, "PYTHONUNBUFFERED": "1"}
    code = "import typer; from receiver.serve import serve; typer.run(serve)"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "--port", str(port), "--stack", "st9", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).json()["stack"] == "st9":
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        else:
            pytest.fail("serve did not start")
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, output
    assert f"http://127.0.0.1:{port}/v1/webhook/segment" in output
    assert f"http://127.0.0.1:{port}/docs" in output
    assert "Receiver stopped." in output
    assert key not in output
