"""The destination as data: `antavo.yaml` loaded once into small typed views.

Nothing here knows a field name, a default or a trigger: everything comes from the YAML,
so the YAML stays the single source of truth for the runtime, the schemas and the receiver.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

DEFINITION_PATH = Path(__file__).resolve().parent.parent / "antavo.yaml"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def load_yaml(path: Path) -> Any:
    """Plain data from a YAML file (no positions); anchors and merge keys are resolved."""
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Action:
    """One action (`event`, `profile`): its fields as Segment declares them, and its request extras.

    `segment_type` is the Segment call the action stands for (`track`, `identify`), the
    event type column of Antavo's inbound log; `date_fields` are the data fields Antavo
    stores as dates; `requires` names, per value of the event-name field, the keys each field
    must map for Antavo to accept the event.
    """

    key: str
    title: str
    description: str
    default_subscription: str
    fields: Mapping[str, dict[str, Any]]
    body: Mapping[str, Any] = field(default_factory=dict)
    segment_type: str = ""
    date_fields: tuple[str, ...] = ()
    requires: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)

    @property
    def default_mapping(self) -> dict[str, Any]:
        """The fields' default mappings, which Segment uses when a subscription gives none."""
        return {key: spec["default"] for key, spec in self.fields.items() if "default" in spec}

    @property
    def required_fields(self) -> list[str]:
        return [key for key, spec in self.fields.items() if spec.get("required")]


@dataclass(frozen=True)
class Definition:
    """The whole destination: settings, the request every action makes, and the actions."""

    raw: Mapping[str, Any]
    actions: Mapping[str, Action]

    @property
    def name(self) -> str:
        return self.raw["name"]

    @property
    def settings(self) -> Mapping[str, dict[str, Any]]:
        return self.raw["authentication"]["fields"]

    @property
    def request(self) -> Mapping[str, Any]:
        return self.raw["request"]

    def field_for(self, role: str) -> str:
        """The field key that plays `role` (customer, account, action, data) on Antavo's side."""
        return self.raw["roles"][role]

    @property
    def secret_settings(self) -> list[str]:
        """Settings Segment masks (`password`): never logged, echoed or stored in clear."""
        return [key for key, spec in self.settings.items() if spec.get("type") == "password"]

    def action(self, key: str) -> Action:
        try:
            return self.actions[key]
        except KeyError:
            known = ", ".join(self.actions)
            raise KeyError(f"unknown action {key!r}; this destination has: {known}") from None

    def published(self) -> dict[str, Any]:
        """The definition in the shape Segment publishes (`definition.json`)."""
        return {
            "name": self.raw["name"],
            "slug": self.raw["slug"],
            "mode": self.raw["mode"],
            "authentication": self.raw["authentication"],
            "actions": {
                key: {
                    "title": a.title,
                    "description": a.description,
                    "defaultSubscription": a.default_subscription,
                    "fields": a.fields,
                }
                for key, a in self.actions.items()
            },
        }


def parse_definition(raw: Mapping[str, Any]) -> Definition:
    """Build the typed view from already-loaded YAML data."""
    actions = {
        key: Action(
            key=key,
            title=spec["title"],
            description=spec["description"],
            default_subscription=spec["defaultSubscription"],
            fields=spec["fields"],
            body=spec.get("body") or {},
            segment_type=spec.get("segmentType", ""),
            date_fields=tuple(spec.get("dateFields") or ()),
            requires={
                name: {f: tuple(keys) for f, keys in (need or {}).items()}
                for name, need in (spec.get("requires") or {}).items()
            },
        )
        for key, spec in raw["actions"].items()
    }
    return Definition(raw=raw, actions=actions)


@cache
def load_definition(path: Path = DEFINITION_PATH) -> Definition:
    """The destination definition, loaded once per process."""
    return parse_definition(load_yaml(path))
