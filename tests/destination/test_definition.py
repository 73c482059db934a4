"""antavo.yaml against the definition Segment publishes, field by field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cases import SEGMENT

from destination.definition.model import DEFINITION_PATH, load_definition, load_yaml, parse_definition

PUBLISHED = json.loads((SEGMENT / "definition.json").read_text(encoding="utf-8"))
DEFINITION = load_definition()


def test_top_level_matches_segment() -> None:
    published = DEFINITION.published()
    for key in ("name", "slug", "mode", "authentication"):
        assert published[key] == PUBLISHED[key], key


@pytest.mark.parametrize("action", sorted(PUBLISHED["actions"]))
def test_action_header_matches_segment(action: str) -> None:
    ours = DEFINITION.published()["actions"][action]
    theirs = PUBLISHED["actions"][action]
    assert {k: ours[k] for k in ("title", "description", "defaultSubscription")} == {
        k: theirs[k] for k in ("title", "description", "defaultSubscription")
    }
    assert list(ours["fields"]) == list(theirs["fields"])


@pytest.mark.parametrize(
    "action,field",
    [(a, f) for a, spec in sorted(PUBLISHED["actions"].items()) for f in spec["fields"]],
)
def test_field_matches_segment(action: str, field: str) -> None:
    assert DEFINITION.action(action).fields[field] == PUBLISHED["actions"][action]["fields"][field]


def test_whole_definition_equals_published() -> None:
    assert json.loads(json.dumps(DEFINITION.published())) == PUBLISHED


def test_default_mapping_comes_from_field_defaults() -> None:
    profile = DEFINITION.action("profile")
    expected = {k: v["default"] for k, v in PUBLISHED["actions"]["profile"]["fields"].items() if "default" in v}
    assert profile.default_mapping == expected
    assert profile.required_fields == [
        k for k, v in PUBLISHED["actions"]["profile"]["fields"].items() if v.get("required")
    ]


def test_an_edit_in_the_yaml_shows_in_the_definition(tmp_path: Path) -> None:
    raw = load_yaml(DEFINITION_PATH)
    raw["actions"]["event"]["fields"]["action"]["label"] = "Renamed"
    edited = parse_definition(raw)
    assert edited.action("event").fields["action"]["label"] == "Renamed"
    assert json.loads(json.dumps(edited.published())) != PUBLISHED


def test_secret_settings_and_roles() -> None:
    assert DEFINITION.secret_settings == [
        k for k, v in PUBLISHED["authentication"]["fields"].items() if v["type"] == "password"
    ]
    for role in ("customer", "account", "action", "data"):
        assert DEFINITION.field_for(role) in DEFINITION.action("event").fields
