"""schemas/ as a whole: generated from the YAML, referenced by the YAML files, never drifting."""

from __future__ import annotations

import json
import re
from pathlib import Path

from jsonschema import Draft7Validator
from typer.testing import CliRunner

from antavo_actions.cli.app import build_app
from antavo_actions.schemas import all_schemas
from destination.definition.file_schemas import mapping_file_schema
from destination.definition.model import DEFINITION_PATH, load_definition, load_yaml, parse_definition
from destination.definition.payload_schemas import stale_schemas as stale_files
from destination.definition.payload_schemas import write_schemas as write_all

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"


def test_committed_schemas_equal_what_the_yaml_generates() -> None:
    generated = all_schemas(load_definition())
    assert stale_files(SCHEMAS, generated) == []
    assert sorted(p.name for p in SCHEMAS.glob("*.json")) == sorted(f"{n}.schema.json" for n in generated)


def test_every_generated_file_says_how_to_regenerate_it() -> None:
    for path in SCHEMAS.glob("*.json"):
        assert "antavo-actions schemas" in json.loads(path.read_text())["$comment"], path.name


def test_editing_a_field_without_regenerating_is_caught(tmp_path: Path) -> None:
    write_all(tmp_path, all_schemas(load_definition()))
    raw = load_yaml(DEFINITION_PATH)
    raw["actions"]["profile"]["fields"]["data"]["properties"]["email"]["description"] = "Changed"
    raw["actions"]["event"]["fields"]["loyalty_tier"] = {"label": "Tier", "description": "d", "type": "string"}
    stale = stale_files(tmp_path, all_schemas(parse_definition(raw)))
    assert {"profile", "event", "mapping", "presets"} <= set(stale)


def test_yaml_files_point_editors_at_the_schemas() -> None:
    files = [
        DEFINITION_PATH,
        ROOT / "presets.yaml",
        ROOT / "tracking_plan.yaml",
        *sorted((ROOT / "mappings").glob("*.yaml")),
    ]
    for path in files:
        first = path.read_text().splitlines()[0]
        match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
        assert match, f"{path} has no yaml-language-server line"
        target = (path.parent / match.group(1)).resolve()
        assert target.is_file() and target.parent == SCHEMAS, target
        Draft7Validator(json.loads(target.read_text())).validate(load_yaml(path))


def test_mapping_schema_offers_each_actions_fields() -> None:
    schema = mapping_file_schema(load_definition())
    by_action = {
        rule["if"]["properties"]["partnerAction"]["const"]: rule["then"]["properties"]["mapping"]["properties"]
        for rule in schema["allOf"]
    }
    for key, action in load_definition().actions.items():
        assert list(by_action[key]) == list(action.fields)


def test_schemas_command_writes_and_checks(tmp_path: Path) -> None:
    runner = CliRunner()
    app = build_app()
    assert runner.invoke(app, ["schemas", "--out", str(tmp_path)]).exit_code == 0
    assert runner.invoke(app, ["schemas", "--check", "--out", str(tmp_path)]).exit_code == 0
    (tmp_path / "event.schema.json").write_text("{}\n")
    result = runner.invoke(app, ["schemas", "--check", "--out", str(tmp_path)])
    assert result.exit_code == 1 and "event.schema.json" in result.output
