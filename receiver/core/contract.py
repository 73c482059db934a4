"""What the webhook accepts, read from the destination's definition rather than repeated here.

The destination sends, for every action, the mapped payload plus the action's `body` extras
(`"action": "profile"` for profile updates) plus the settings named in `settings_in_body`
(the API key). This module reads, from `antavo.yaml` alone, which body key carries the key,
which extras tell the actions apart, which fields play the customer / account / data /
event-name roles (`roles:`), which Segment call type each action answers (`segmentType`),
which data keys an event name needs (`requires:`),
and where each action's generated JSON Schema lives.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from destination.definition.model import Definition, load_definition
from destination.definition.project import project_path


class ContractError(Exception):
    """The definition does not describe a webhook this receiver can serve."""


@dataclass(frozen=True)
class ActionContract:
    """One action as it arrives: its key, Segment call type, distinguishing extras, and schema."""

    key: str
    event_type: str
    extras: Mapping[str, Any]
    schema: Mapping[str, Any]
    data_label: str
    data_properties: Mapping[str, str]
    date_fields: tuple[str, ...] = ()
    requires: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # event name → data keys it needs

    def matches(self, body: Mapping[str, Any]) -> bool:
        return bool(self.extras) and all(body.get(k) == v for k, v in self.extras.items())


@dataclass(frozen=True)
class WebhookContract:
    """Roles of the body's keys and the actions the webhook tells apart."""

    auth_field: str
    settings_fields: tuple[str, ...]
    secret_fields: frozenset[str]
    customer_field: str
    account_field: str
    data_field: str
    name_field: str
    actions: tuple[ActionContract, ...]

    def classify(self, body: Mapping[str, Any]) -> ActionContract:
        """The action a body belongs to: the one whose extras it carries, else the plain one."""
        for action in self.actions:
            if action.matches(body):
                return action
        return next(action for action in self.actions if not action.extras)

    def payload(self, body: Mapping[str, Any], action: ActionContract) -> dict[str, Any]:
        """The mapped payload: the body without the settings and the action's extras."""
        dropped = set(self.settings_fields) | set(action.extras)
        return {key: value for key, value in body.items() if key not in dropped}

    def action_by_type(self, event_type: str) -> ActionContract:
        for action in self.actions:
            if action.event_type == event_type:
                return action
        raise ContractError(f"the destination has no action answering Segment {event_type!r} calls")


def _role(definition: Definition, role: str) -> str:
    """The field the YAML's `roles` names for `role`; every action that uses it must declare it."""
    try:
        return definition.field_for(role)
    except KeyError:
        raise ContractError(f"antavo.yaml names no field for the {role!r} role (under `roles:`)") from None


def _only(candidates: list[str], role: str) -> str:
    if len(candidates) != 1:
        raise ContractError(f"cannot tell which field is the {role}: candidates {candidates}")
    return candidates[0]


def load_schema(key: str, schemas_dir: Path | None = None) -> dict[str, Any]:
    """An action's generated JSON Schema (`schemas/<action>.schema.json`)."""
    path = (schemas_dir or project_path("schemas")) / f"{key}.schema.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ContractError(f"cannot read {path} ({exc.strerror}); run `antavo-actions schemas`") from None


def build_contract(definition: Definition, schemas_dir: Path | None = None) -> WebhookContract:
    """Read every role from the definition (its `roles`, `body` extras and settings); fail loudly if unusable."""
    actions = list(definition.actions.values())
    settings_fields = tuple(definition.request.get("settings_in_body") or ())
    secrets = [key for key in settings_fields if key in definition.secret_settings]
    auth_field = _only(secrets, "API key setting sent in the body")
    customer, account, data, name = (_role(definition, role) for role in ("customer", "account", "data", "action"))
    contracts = tuple(
        ActionContract(
            key=a.key,
            event_type=a.segment_type or a.key,
            extras=dict(a.body),
            schema=load_schema(a.key, schemas_dir),
            data_label=a.fields[data].get("label", data),
            data_properties={
                prop: prop_spec.get("label", prop)
                for prop, prop_spec in (a.fields[data].get("properties") or {}).items()
            },
            date_fields=a.date_fields,
            requires={name: need.get(data, ()) for name, need in a.requires.items()},
        )
        for a in actions
    )
    if sum(1 for c in contracts if not c.extras) != 1:
        raise ContractError("exactly one action must send no body extras (it receives every other body)")
    return WebhookContract(
        auth_field=auth_field,
        settings_fields=settings_fields,
        secret_fields=frozenset(definition.secret_settings),
        customer_field=customer,
        account_field=account,
        data_field=data,
        name_field=name,
        actions=contracts,
    )


@cache
def default_contract() -> WebhookContract:
    """The contract of the shipped destination, built once per process."""
    return build_contract(load_definition())
