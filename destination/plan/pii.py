"""Personal data: which planned properties are PII (of which kind), and the one normalisation and
hashing of their values, for the receiver's masking and for hashing before the outbound sync.

The rules are those of Segment's Facebook Conversions destination, where ad platforms match on the
SHA-256 of a normalised value: an email trimmed and lowercased, a phone number as its digits, a name
trimmed and lowercased; a value that already is 64 hex characters counts as hashed and is not
hashed again. `pii: true` (personal, no special form) is trimmed only.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from destination.plan.model import TrackingPlan
from destination.plan.schema import PII_KINDS

PERSONAL = "personal"
"""The kind of a property marked `pii: true`: personal data with no special normalisation."""
KINDS = (*PII_KINDS, PERSONAL)
_HASHED = re.compile(r"[0-9a-fA-F]{64}")
_NOT_DIGIT = re.compile(r"\D")
_RANK = {kind: n for n, kind in enumerate(KINDS)}  # a name planned with two kinds takes the more specific


def kind_of(marked: Any) -> str | None:
    """The kind a plan's `pii` value declares (`true` → `personal`), None when the property is not PII."""
    if marked is True:
        return PERSONAL
    return marked if isinstance(marked, str) and marked in PII_KINDS else None


def normalise(kind: str, value: str) -> str:
    """The value as it is hashed: email and name trimmed and lowercased, phone as its digits, else trimmed."""
    if kind == "phone":
        return _NOT_DIGIT.sub("", value)
    if kind in ("email", "name"):
        return value.strip().lower()
    if kind == PERSONAL:
        return value.strip()
    raise ValueError(f"unknown PII kind {kind!r}; expected one of {', '.join(KINDS)}")


def is_hashed(value: str) -> bool:
    """Whether a value already is a SHA-256 hex digest (64 hex characters), so must not be hashed twice."""
    return _HASHED.fullmatch(value.strip()) is not None


def hash_value(kind: str, value: str) -> str:
    """The SHA-256 hex digest of the normalised value; an already hashed value comes back lowercased."""
    if is_hashed(value):
        return value.strip().lower()
    return hashlib.sha256(normalise(kind, value).encode("utf-8", "surrogatepass")).hexdigest()


def hash_json(kind: str, value: Any) -> Any:
    """A JSON value with its personal data hashed: strings and numbers, each item of a list; null stays
    null, and any other value (an object, a boolean) is hashed as its JSON text so nothing leaks."""
    if value is None:
        return None
    if isinstance(value, list):
        return [hash_json(kind, item) for item in value]
    if isinstance(value, str):
        return hash_value(kind, value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return hash_value(kind, str(value))
    return hash_value(PERSONAL, json.dumps(value, sort_keys=True, separators=(",", ":"), default=str))


@dataclass(frozen=True)
class PiiFields:
    """The plan's PII: by path (`traits.email`, `properties.products[].name`) and by member name (`email`),
    each with its kind; names also hold the fields a mapping fills from a PII path (`birth_date`)."""

    paths: Mapping[str, str] = field(default_factory=dict)
    names: Mapping[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.names)

    def kind(self, name: str) -> str | None:
        """The kind of a member named `name`, None when that name is not personal data."""
        return self.names.get(name)


def hash_members(value: Any, fields: PiiFields) -> Any:
    """A JSON value with every member named as PII (at any depth) hashed by its kind (`hash_json`)."""
    if isinstance(value, Mapping):
        return {
            key: hash_json(kind, item)
            if isinstance(key, str) and (kind := fields.kind(key)) is not None
            else hash_members(item, fields)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [hash_members(item, fields) for item in value]
    return value


def _paths(schema: Mapping[str, Any], prefix: str) -> Iterator[tuple[str, str]]:
    for name, spec in (schema.get("properties") or {}).items():
        kind = kind_of(spec.get("pii"))
        if kind is not None:
            yield f"{prefix}{name}", kind
        if "properties" in spec:
            yield from _paths(spec, f"{prefix}{name}.")
        elif isinstance(spec.get("items"), Mapping):
            yield from _paths(spec["items"], f"{prefix}{name}[].")


def _add(found: dict[str, str], name: str, kind: str) -> None:
    if name not in found or _RANK[kind] < _RANK[found[name]]:
        found[name] = kind


def _mapped(mapping: Any, paths: Mapping[str, str]) -> Iterator[tuple[str, str]]:
    """(field, kind) for each mapping field that is `{"@path": "$.<a PII path>"}`, at any depth."""
    if isinstance(mapping, Mapping):
        for key, value in mapping.items():
            if isinstance(value, Mapping) and isinstance(value.get("@path"), str):
                kind = paths.get(_plain_path(value["@path"]))
                if kind is not None and isinstance(key, str):
                    yield key, kind
            else:
                yield from _mapped(value, paths)
    elif isinstance(mapping, list):
        for item in mapping:
            yield from _mapped(item, paths)


def _plain_path(path: str) -> str:
    """`$.context.traits.email` → `traits.email` (a message's context traits are its traits)."""
    plain = path.removeprefix("$.")
    return plain.removeprefix("context.")


def pii_fields(plan: TrackingPlan | None, mappings: Iterable[Any] = ()) -> PiiFields:
    """Every property or trait the plan marks `pii`, with its kind, and the fields `mappings` fill from one."""
    if plan is None:
        return PiiFields()
    paths: dict[str, str] = {}
    for event in plan.events:
        if event.section is not None:
            for path, kind in _paths(event.schema, f"{event.section}."):
                _add(paths, path, kind)
    names: dict[str, str] = {}
    for path, kind in paths.items():
        _add(names, path.rsplit(".", 1)[-1], kind)
    for mapping in mappings:
        for name, kind in _mapped(mapping, paths):
            _add(names, name, kind)
    return PiiFields(paths, names)
