"""A shipped mapping sends every value its preset sends (issue 29: profile-updates dropped three traits).

The check is behavioural and names no field: an event whose every trait and property holds a
value of its own runs through each preset and each shipped mapping of the same trigger, and
every key the preset's `data` carries must come out of the mapping's `data` too: with the same
value, or with one the mapping derives from it (points-earned's `reason` adds the source).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from destination.definition.model import load_definition
from destination.definition.subscriptions import Subscription, load_mappings, load_presets
from destination.mapping.engine import transform

DEFINITION = load_definition()
PRESETS = {preset.subscribe: preset for preset in load_presets(DEFINITION)}
SHIPPED = [m for m in load_mappings(DEFINITION) if m.subscribe in PRESETS]


def paths_read(value: Any) -> set[str]:
    """Every `@path` a mapping reads, so the event can hold a distinct value at each."""
    if isinstance(value, dict):
        found = {value["@path"]} if isinstance(value.get("@path"), str) else set()
        return found.union(*(paths_read(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(paths_read(v) for v in value))
    return set()


def event_for(*subscriptions: Subscription, values: st.DataObject) -> dict[str, Any]:
    event: dict[str, Any] = {"type": "identify", "userId": "u-1", "traits": {}, "properties": {}}
    for sub in subscriptions:
        for path in sorted(paths_read(sub.effective_mapping(DEFINITION))):
            parts = path.removeprefix("$.").split(".")
            if len(parts) == 2 and parts[0] in ("traits", "properties"):
                event[parts[0]][parts[1]] = values.draw(st.text(min_size=1, max_size=8), label=path)
    return event


def test_there_are_shipped_mappings_with_a_preset_of_their_trigger() -> None:
    assert any(m.action == "profile" for m in SHIPPED), "profile-updates.yaml is not compared with its preset"


@pytest.mark.parametrize("mapping", SHIPPED, ids=[m.name for m in SHIPPED])
@given(values=st.data())
def test_a_shipped_mapping_carries_every_value_its_preset_does(mapping: Subscription, values: st.DataObject) -> None:
    preset = PRESETS[mapping.subscribe]
    event = event_for(preset, mapping, values=values)
    preset_data = transform(preset.effective_mapping(DEFINITION), event).get("data") or {}
    shipped_data = transform(mapping.effective_mapping(DEFINITION), event).get("data") or {}
    lost = {key for key, value in preset_data.items() if value not in (None, "") and not shipped_data.get(key)}
    changed = {key for key in preset_data if key not in lost and shipped_data.get(key) != preset_data[key]}
    assert changed <= {key for key in changed if str(preset_data[key]) in str(shipped_data[key])}, changed
    assert not lost, f"{mapping.source} drops what its preset {preset.name!r} sends: {sorted(lost)}"
