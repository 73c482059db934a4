"""Settings (file < environment < options), their schema, and the `serve` command."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import jsonschema
import pytest
import typer
from typer.testing import CliRunner

from antavo_actions.cli.serve import serve
from destination.definition.model import PROJECT_ROOT
from receiver.config import ConfigError, config_schema, load_config, read_yaml, write_config_schema

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_settings_file_is_valid_and_has_no_key():
    raw = read_yaml(ROOT / "receiver.yaml")
    assert "api_key" not in raw
    jsonschema.Draft202012Validator(config_schema()).validate(raw)
    config = load_config(ROOT / "receiver.yaml", environ={})
    assert config.api_key is None and config.store.url == "memory://"


def test_schema_file_is_generated_from_the_model(tmp_path):
    on_disk = json.loads((ROOT / "schemas" / "receiver.schema.json").read_text(encoding="utf-8"))
    assert on_disk.pop("$comment")
    assert on_disk == config_schema()
    written = json.loads(write_config_schema(tmp_path / "receiver.schema.json").read_text(encoding="utf-8"))
    assert written == {"$comment": written["$comment"], **on_disk}


def test_environment_overrides_the_file_and_options_override_both(settings_file):
    path = settings_file("stack: from-file\nearn_rate: 2\naccounts: [a]\n")
    environ = {
        "ANTAVO_STACK": "from-env",
        "ANTAVO_MULTI_ACCOUNTS": "true",
        "ANTAVO_ACCOUNTS": "x, y",
        "ANTAVO_API_KEY": "k" * 16,
    }
    config = load_config(path, environ=environ, overrides={"earn_rate": 3.5, "stack": None})
    assert (config.stack, config.multi_accounts, config.accounts, config.earn_rate) == (
        "from-env",
        True,
        ["x", "y"],
        3.5,
    )
    assert config.api_key.get_secret_value() == "k" * 16


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("multi_accounts: true\n", "accounts"),
        ("store:\n  url: redis://x\n", "store.url"),
        ("max_body_bytes: 10\n", "max_body_bytes"),
        ("surprise: 1\n", "surprise"),
        ("- a list\n", "mapping"),
        ("stack: [unclosed\n", "YAML"),
    ],
)
def test_bad_settings_are_explained(config_error, text, fragment):
    assert fragment in config_error(text)


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


def test_serve_prints_the_addresses_and_stops_on_ctrl_c(serve_process):
    key = "serve-test-key-9f3a"
    serving = serve_process("--stack", "st9", "--log-level", "warning", env={"ANTAVO_API_KEY": key})
    if not serving.until(lambda url: httpx.get(f"{url}/healthz", timeout=0.5).json()["stack"] == "st9"):
        pytest.fail("serve did not start")
    output = serving.interrupt()
    assert serving.proc.returncode == 0, output
    assert f"{serving.base_url}/v1/webhook/segment" in output
    assert f"{serving.base_url}/docs" in output
    assert f"Project files:       {PROJECT_ROOT}  (the current folder)" in output  # serve says which folder
    assert "Receiver stopped." in output
    assert key not in output
