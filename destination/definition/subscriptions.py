"""Subscriptions: a trigger, an action and a mapping — from presets or from `mappings/` files.

Segment runs every enabled subscription whose trigger matches an event. A preset's or mapping
file's `mapping` starts from the action fields' default mappings (as Segment's UI pre-fills
them) and the keys it writes are added or replace them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from destination.definition.model import Action, Definition, load_yaml
from destination.definition.project import project_path


@dataclass(frozen=True)
class Subscription:
    name: str
    subscribe: str
    action: str
    mapping: Mapping[str, Any]
    enabled: bool = True
    multi_accounts: bool = False
    source: str = ""
    written: Mapping[str, Any] = field(default_factory=dict)

    def effective_mapping(self, definition: Definition) -> dict[str, Any]:
        return effective_mapping(definition.action(self.action), self.written)


def effective_mapping(action: Action, written: Mapping[str, Any] | None) -> dict[str, Any]:
    """The mapping Segment would store: the fields' defaults overlaid with what was written."""
    return {**action.default_mapping, **(written or {})}


def subscription_from(data: Mapping[str, Any], definition: Definition, source: str = "") -> Subscription:
    """Build a subscription from a preset entry or a mapping file's data (already shape-checked)."""
    written = data.get("mapping") or {}
    action = definition.action(data["partnerAction"])
    return Subscription(
        name=data["name"],
        subscribe=data["subscribe"],
        action=action.key,
        mapping=effective_mapping(action, written),
        enabled=bool(data.get("enabled", True)),
        multi_accounts=bool(data.get("multi_accounts", False)),
        source=source,
        written=written,
    )


def mapping_files(directory: Path | None = None) -> list[Path]:
    """The YAML files of a mappings folder, in a stable order."""
    folder = directory or project_path("mappings")
    return sorted(p for p in folder.iterdir() if p.suffix in {".yaml", ".yml"} and p.is_file())


def load_mappings(definition: Definition, paths: Iterable[Path] | None = None) -> list[Subscription]:
    """The subscriptions in `mappings/` (or the given files), enabled or not."""
    return [subscription_from(load_yaml(p), definition, str(p)) for p in (paths or mapping_files())]


def load_presets(definition: Definition, path: Path | None = None) -> list[Subscription]:
    """The presets in `presets.yaml`."""
    file = path or project_path("presets.yaml")
    return [subscription_from(p, definition, str(file)) for p in load_yaml(file)["presets"]]
