"""The Python type generator against what Segment's `generate:types` made for the same fields.

tests/fixtures/segment_typegen.json holds field specs (every field type with and without
`multiple`, `allowNull`, `required`, defaults of every JSON type, choices, nested objects with
and without `additionalProperties`, awkward descriptions and keys, random combinations) and
the file Segment's generator wrote for each. Ours must be the same bytes, or refuse the field
(`UnsupportedField`) — never a different file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from destination.export.typegen import generated_types
from destination.export.typeschema import UnsupportedField

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "segment_typegen.json"
CASES: list[dict[str, Any]] = json.loads(FIXTURE.read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("case", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_same_bytes_as_segments_generator_or_refused(case: dict[str, Any]) -> None:
    try:
        ours = generated_types(case["name"], case["fields"])
    except UnsupportedField:
        return
    assert ours == case["expected"]


def test_almost_every_recorded_shape_is_supported() -> None:
    refused = []
    for case in CASES:
        try:
            generated_types(case["name"], case["fields"])
        except UnsupportedField as exc:
            refused.append(str(exc))
    assert len(refused) <= len(CASES) // 20, refused
    assert all("intersection with an object" in r or "allows null" in r for r in refused), refused


def test_a_field_segment_would_type_unexpectedly_is_refused_not_guessed() -> None:
    nullable_object = {
        "o": {"label": "O", "type": "object", "allowNull": True, "properties": {"a": {"label": "A", "type": "string"}}}
    }
    with pytest.raises(UnsupportedField, match="allows null"):
        generated_types("Payload", nullable_object)
    conditional = {
        "a": {
            "label": "A",
            "type": "string",
            "required": {"conditions": [{"fieldKey": "b", "operator": "is", "value": "x"}]},
        }
    }
    with pytest.raises(UnsupportedField, match="conditionally required"):
        generated_types("Payload", conditional)
