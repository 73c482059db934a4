"""The Mappings page's setup form, to and from the mapping-file format.

The trigger builder writes Segment FQL (`type = "track" and event = "Order Completed"`) from
condition rows, and reads it back when it was written that way; anything else stays in the
raw FQL box. Field values use a short notation: `$.properties.points` is `{"@path": …}`, a
JSON object is a directive as written (`{"@template": "…"}`), anything else a literal text.
The YAML is produced with ruamel.yaml's round-trip mode on top of the previous text, so the
comments and the order of an existing file are kept.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from destination.definition.model import Action, Definition
from receiver.routes.page_kit import first

CONDITION_FIELDS: dict[str, str] = {
    "type": "Event Type",
    "event": "Event Name",
    "properties": "Event Property",
    "traits": "User Trait",
    "userId": "User ID",
}
NAMED = ("properties", "traits")
"""Condition fields that take a name (the property or trait)."""
OPERATORS: dict[str, str] = {"is": "is", "is_not": "is not", "contains": "contains", "exists": "exists"}
EVENT_TYPES = ("track", "identify", "page", "screen", "group", "alias")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PATH = r"(type|event|userId|(?:properties|traits)\.[A-Za-z_][A-Za-z0-9_]*)"
_VALUE = r'"([^"\\\n]*)"'
_CONDITION = [
    (re.compile(rf"{_PATH} = {_VALUE}"), "is"),
    (re.compile(rf"{_PATH} != {_VALUE}"), "is_not"),
    (re.compile(rf"contains\({_PATH}, {_VALUE}\)"), "contains"),
    (re.compile(rf"{_PATH} exists"), "exists"),
]
DEFAULT_CONDITION = ("type", "", "is", "track")
"""Segment's setup page starts with "Event Type is Track"."""
SCHEMA_LINE = "# yaml-language-server: $schema=../schemas/mapping.schema.json\n"


class FormProblem(Exception):
    """A form value that cannot become a mapping; `field` is the form field to show it at."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class Condition:
    field: str = "type"
    name: str = ""
    operator: str = "is"
    value: str = "track"

    def fql(self, index: int) -> str:
        if self.field not in CONDITION_FIELDS:
            raise FormProblem(f"cond-{index}", f"condition {index + 1}: unknown field {self.field!r}")
        path = self.field
        if self.field in NAMED:
            if not _NAME.fullmatch(self.name):
                raise FormProblem(
                    f"cond-{index}",
                    f"condition {index + 1}: name the {CONDITION_FIELDS[self.field].lower()} "
                    "(letters, digits and _; use the raw FQL box for other names)",
                )
            path = f"{self.field}.{self.name}"
        if self.operator == "exists":
            return f"{path} exists"
        if self.operator not in OPERATORS:
            raise FormProblem(f"cond-{index}", f"condition {index + 1}: unknown operator {self.operator!r}")
        if any(c in self.value for c in '"\\\n'):
            raise FormProblem(
                f"cond-{index}", f"condition {index + 1}: a value cannot hold quotes or backslashes here (use raw FQL)"
            )
        value = f'"{self.value}"'
        if self.operator == "contains":
            return f"contains({path}, {value})"
        return f"{path} {'=' if self.operator == 'is' else '!='} {value}"


def build_fql(conditions: Sequence[Condition], join: str) -> str:
    if not conditions:
        raise FormProblem("conditions", "add at least one condition")
    glue = " or " if join == "any" else " and "
    return glue.join(condition.fql(i) for i, condition in enumerate(conditions))


def conditions_of(query: str) -> tuple[list[Condition], str] | None:
    """The builder rows that write exactly `query`, or None when the builder cannot express it."""
    for join, glue in (("all", " and "), ("any", " or ")):
        parts = query.strip().split(glue)
        if len(parts) > 1 and any(" and " in p or " or " in p for p in parts):
            continue
        rows = [_condition(part.strip()) for part in parts]
        if all(row is not None for row in rows):
            found = [row for row in rows if row is not None]
            if build_fql(found, join) == query.strip():
                return found, join
    return None


def _condition(text: str) -> Condition | None:
    for pattern, operator in _CONDITION:
        match = pattern.fullmatch(text)
        if match:
            path = match.group(1)
            head, _, name = path.partition(".")
            return Condition(head, name, operator, match.group(2) if operator != "exists" else "")
    return None


def to_notation(value: Any) -> str:
    """How a mapping value shows in a field box."""
    if isinstance(value, dict) and set(value) == {"@path"} and isinstance(value["@path"], str):
        return value["@path"]
    if isinstance(value, str) and not value.startswith("$.") and not value.startswith("{"):
        return value
    return json.dumps(value, ensure_ascii=False)


def from_notation(text: str, where: str) -> Any:
    """A field box's text as a mapping value (see the module docstring)."""
    text = text.strip()
    if text.startswith("$."):
        return {"@path": text}
    if text.startswith(("{", "[", '"')):
        try:
            return json.loads(text)
        except ValueError as exc:
            raise FormProblem(where, f"not valid JSON: {exc}") from None
    return text


@dataclass
class MappingForm:
    """Everything the setup page holds, as strings the way the browser sends them."""

    key: str = ""
    name: str = ""
    enabled: bool = False
    multi_accounts: bool = False
    action: str = "event"
    trigger_mode: str = "builder"
    conditions: list[Condition] = field(default_factory=lambda: [Condition(*DEFAULT_CONDITION)])
    join: str = "all"
    raw_fql: str = ""
    values: dict[str, str] = field(default_factory=dict)
    pairs: list[tuple[str, str]] = field(default_factory=list)
    object_json: str | None = None
    sample: str = ""

    def fql(self) -> str:
        if self.trigger_mode == "raw":
            if not self.raw_fql.strip():
                raise FormProblem("raw_fql", "write a trigger")
            return self.raw_fql.strip()
        return build_fql(self.conditions, self.join)


def object_field(action: Action) -> str | None:
    """The action's object field edited as key/value pairs ("Edit Object"): its data field."""
    return next((name for name, spec in action.fields.items() if spec.get("type") == "object"), None)


def form_from_data(key: str, data: Mapping[str, Any], definition: Definition) -> MappingForm:
    """The form for a mapping file's data."""
    action = definition.actions.get(str(data.get("partnerAction")), definition.action("event"))
    form = MappingForm(
        key=key,
        name=str(data.get("name", "")),
        enabled=bool(data.get("enabled", True)),
        multi_accounts=bool(data.get("multi_accounts", False)),
        action=action.key,
    )
    query = str(data.get("subscribe", ""))
    built = conditions_of(query)
    if built is None:
        form.trigger_mode, form.raw_fql, form.conditions = "raw", query, []
    else:
        form.conditions, form.join = built
        form.raw_fql = query
    raw = data.get("mapping")
    written: Mapping[str, Any] = raw if isinstance(raw, dict) else {}
    obj = object_field(action)
    for name, value in written.items():
        if name == obj:
            if isinstance(value, dict) and not any(k.startswith("@") for k in value):
                form.pairs = [(k, to_notation(v)) for k, v in value.items()]
            else:
                form.object_json = json.dumps(value, ensure_ascii=False, indent=2)
        else:
            form.values[name] = to_notation(value)
    return form


def form_from_request(fields: Mapping[str, list[str]]) -> MappingForm:
    """The form as posted (repeated names for condition rows and key/value pairs)."""

    one = partial(first, fields)

    def many(name: str) -> list[str]:
        return fields.get(name, [])

    rows = zip(many("cond_field"), many("cond_name"), many("cond_op"), many("cond_value"))
    form = MappingForm(
        key=one("key"),
        name=one("name").strip(),
        enabled=one("enabled") == "on",
        multi_accounts=one("multi_accounts") == "on",
        action=one("action", "event"),
        trigger_mode="raw" if one("trigger_mode") == "raw" else "builder",
        conditions=[Condition(*row) for row in rows],
        join="any" if one("join") == "any" else "all",
        raw_fql=one("raw_fql"),
        values={name[len("field_") :]: value for name, (value, *_) in fields.items() if name.startswith("field_")},
        pairs=[(k.strip(), v) for k, v in zip(many("pair_key"), many("pair_value")) if k.strip() or v.strip()],
        object_json=one("object_json") if "object_json" in fields else None,
        sample=one("sample"),
    )
    return form


def mapping_data(form: MappingForm, definition: Definition) -> dict[str, Any]:
    """The mapping file's data the form describes; `FormProblem` at the first field that cannot be used."""
    if not form.name:
        raise FormProblem("name", "give the mapping a name")
    if form.action not in definition.actions:
        raise FormProblem("action", f"unknown action {form.action!r}")
    action = definition.action(form.action)
    written: dict[str, Any] = {}
    obj = object_field(action)
    for name in action.fields:
        if name == obj:
            if form.object_json is not None and form.object_json.strip():
                written[name] = from_notation(form.object_json, "object_json")
            elif form.pairs:
                written[name] = {k: from_notation(v, f"pair-{i}") for i, (k, v) in enumerate(form.pairs)}
            continue
        text = form.values.get(name, "")
        if text.strip():
            written[name] = from_notation(text, f"field-{name}")
    return {
        "name": form.name,
        "enabled": form.enabled,
        "multi_accounts": form.multi_accounts,
        "subscribe": form.fql(),
        "partnerAction": action.key,
        "mapping": written,
    }


def to_yaml(data: Mapping[str, Any], previous: str | None = None) -> str:
    """The mapping file: `previous` (comments, order, unchanged nodes kept) updated to `data`."""
    yaml = YAML(typ="rt")
    yaml.width = 120
    yaml.preserve_quotes = True
    doc = yaml.load(previous) if previous else None
    if not isinstance(doc, CommentedMap):
        doc = CommentedMap()
    _update(doc, data)
    for stale in [key for key in doc if key not in data]:
        del doc[stale]
    out = io.StringIO()
    yaml.dump(doc, out)
    text = out.getvalue()
    return text if previous else SCHEMA_LINE + text


def _update(node: CommentedMap, data: Mapping[str, Any]) -> None:
    for key, value in data.items():
        current = node.get(key)
        if isinstance(value, Mapping) and isinstance(current, CommentedMap) and not _is_directive(value):
            _update(current, value)
            for stale in [k for k in current if k not in value]:
                del current[stale]
        elif _plain(current) != value:
            node[key] = value


def _is_directive(value: Mapping[str, Any]) -> bool:
    return any(str(k).startswith("@") for k in value)


def _plain(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node
