"""The payload/settings schemas are Segment's own, and the committed copies are current."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from cases import SEGMENT

from destination.definition.model import PROJECT_ROOT, load_definition, parse_definition
from destination.definition.payload_schemas import (
    GENERATED_COMMENT,
    fields_to_json_schema,
    payload_schemas,
    render_schema,
    stale_schemas,
    strip_comment,
    write_schemas,
)
from destination.payload.validator import PayloadValidator

COMMITTED = PROJECT_ROOT / "schemas"
NAMES = ["event", "profile", "settings"]


@pytest.fixture(scope="module")
def generated() -> dict[str, dict]:
    return payload_schemas(load_definition())


@pytest.mark.parametrize("name", NAMES)
def test_generated_schema_equals_segments(generated: dict[str, dict], name: str) -> None:
    expected = json.loads((SEGMENT / f"{name}.schema.json").read_text(encoding="utf-8"))
    assert generated[name] == expected
    # Same key order too, so a diff against Segment's output stays empty.
    assert json.dumps(generated[name]) == json.dumps(expected)


def test_payload_schemas_cover_every_action_and_settings(generated: dict[str, dict]) -> None:
    assert sorted(generated) == sorted([*load_definition().actions, "settings"])


@pytest.mark.parametrize("name", NAMES)
def test_committed_schema_matches_segment_apart_from_header(name: str) -> None:
    committed = json.loads((COMMITTED / f"{name}.schema.json").read_text(encoding="utf-8"))
    assert committed["$comment"] == GENERATED_COMMENT
    expected = json.loads((SEGMENT / f"{name}.schema.json").read_text(encoding="utf-8"))
    assert strip_comment(committed) == expected


def test_committed_schemas_are_not_stale(generated: dict[str, dict]) -> None:
    mine = {name: generated[name] for name in NAMES}
    assert stale_schemas(COMMITTED, mine) == []


def test_written_files_have_header_indent_and_newline(tmp_path: Path, generated: dict[str, dict]) -> None:
    paths = write_schemas(tmp_path / "out", generated)
    assert sorted(p.name for p in paths) == sorted(f"{n}.schema.json" for n in generated)
    text = (tmp_path / "out" / "profile.schema.json").read_text(encoding="utf-8")
    assert text.endswith("}\n")
    assert text.splitlines()[1] == f'  "$comment": {json.dumps(GENERATED_COMMENT)},'
    assert "—" in text  # UTF-8, not \u escapes
    assert stale_schemas(tmp_path / "out", generated) == []


def test_stale_schemas_reports_edited_and_missing_files(tmp_path: Path, generated: dict[str, dict]) -> None:
    write_schemas(tmp_path, generated)
    (tmp_path / "event.schema.json").write_text(render_schema({"type": "object"}), encoding="utf-8")
    (tmp_path / "settings.schema.json").unlink()
    assert stale_schemas(tmp_path, generated) == ["event", "settings"]


def test_a_changed_field_changes_the_schema() -> None:
    raw = copy.deepcopy(dict(load_definition().raw))
    field = raw["actions"]["event"]["fields"]["account"]
    field["required"] = True
    field["label"] = "Account key"
    changed = payload_schemas(parse_definition(raw))["event"]
    original = payload_schemas(load_definition())["event"]
    assert changed != original
    assert changed["required"] == [*original["required"], "account"]
    assert changed["properties"]["account"]["title"] == "Account key"
    message = "The root value is missing the required field 'account'."
    with pytest.raises(Exception, match=message):
        PayloadValidator(changed).validate({"customer": "c", "action": "a"})


def test_segment_field_types_and_options() -> None:
    schema = fields_to_json_schema(
        {
            "when": {"label": "When", "type": "datetime", "allowNull": True},
            "tags": {
                "label": "Tags",
                "type": "string",
                "multiple": True,
                "choices": ["a", {"value": "b", "label": "B"}],
            },
            "n": {"label": "N", "type": "number", "minimum": 0, "maximum": 5},
            "note": {"label": "Note", "type": "text", "required": True},
            "items": {
                "label": "Items",
                "type": "object",
                "multiple": True,
                "properties": {"sku": {"label": "SKU", "type": "string", "required": True}},
            },
        }
    )
    props = schema["properties"]
    assert props["when"]["type"] == ["string", "number", "null"]
    assert props["when"]["format"] == "date-like"
    assert props["tags"] == {"title": "Tags", "type": "array", "items": {"type": "string", "enum": ["a", "b"]}}
    assert "minimum" not in props["n"] and props["n"]["maximum"] == 5  # Segment drops a 0 bound
    assert props["note"]["format"] == "text"
    assert props["items"]["items"]["required"] == ["sku"]
    assert props["items"]["items"]["additionalProperties"] is False
    assert schema["required"] == ["note"]
