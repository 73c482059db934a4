"""The building blocks of Segment's mapping validator (mapping-kit's validate.ts).

Segment reports a problem as `/<stack joined by "/"> <sentence>.` and gathers sibling problems
into one aggregate, in key order. The stack it prints is not always where the problem is (an
`@arrayPath` item shape or an `@merge` object restarts or skips it), so every issue also carries
the true location in the mapping as `pointer`, for editors to point at.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from destination.js.objects import js_keys, json_stringify
from destination.js.values import UNDEFINED, type_name, utf16_length
from destination.payload.messages import indefinite_article

__all__ = [
    "MappingIssue",
    "Loc",
    "Invalid",
    "Rule",
    "Field",
    "MappingValidator",
    "required",
    "optional",
    "string",
    "boolean",
    "array",
    "length",
    "one_of",
]


@dataclass(frozen=True)
class MappingIssue:
    """One validator message and the location in the mapping it is about."""

    pointer: tuple[str | int, ...]
    message: str


@dataclass(frozen=True)
class Loc:
    """Where the validator is: the stack Segment prints, and the real pointer."""

    stack: tuple[str, ...] = ()
    pointer: tuple[str | int, ...] = ()

    def key(self, key: str) -> Loc:
        """A step both Segment's stack and the pointer take (an object key, a directive name)."""
        return Loc((*self.stack, key), (*self.pointer, key))

    def item(self, index: int | str) -> Loc:
        """A step Segment does not print (array items it validates under the parent's stack)."""
        return Loc(self.stack, (*self.pointer, index))

    def restart(self, index: int) -> Loc:
        """An array item Segment validates with an empty stack (`@merge` objects)."""
        return Loc((), (*self.pointer, index))


class Invalid(Exception):
    """One or more validation problems, in Segment's order (it flattens aggregates)."""

    def __init__(self, issues: list[MappingIssue]) -> None:
        super().__init__(issues[0].message if issues else "invalid mapping")
        self.issues = issues


def fail(loc: Loc, sentence: str) -> Invalid:
    """Segment's ValidationError: `/a/b sentence.`"""
    return Invalid([MappingIssue(loc.pointer, f"/{'/'.join(loc.stack)} {sentence}.")])


def described(value: Any) -> str:
    """`a string`, `an object`, `a directive`: how messages name what they found."""
    kind = kind_of(value)
    return f"{indefinite_article(kind)} {kind}"


def kind_of(value: Any) -> str:
    """`realTypeOrDirective`: an object with any @-prefixed key is a "directive"."""
    kind = type_name(value, Mapping)
    if kind == "object" and any(k.startswith("@") for k in value):
        return "directive"
    return kind


# A rule checks one value at one location and raises Invalid.
Rule = Callable[[Any, Loc], None]


@dataclass(frozen=True)
class Field:
    """One field of a directive's options: its rule and whether it must be present."""

    rule: Rule
    required: bool


def required(*rules: Rule) -> Field:
    return Field(_chain(rules), True)


def optional(*rules: Rule) -> Field:
    return Field(_chain(rules), False)


def _chain(rules: tuple[Rule, ...]) -> Rule:
    def check(value: Any, loc: Loc) -> None:
        for rule in rules:
            rule(value, loc)

    return check


def collect(checks: list[Callable[[], None]]) -> None:
    """Run every check, then raise all their problems together (Segment's AggregateError)."""
    issues: list[MappingIssue] = []
    for check in checks:
        try:
            check()
        except Invalid as exc:
            issues.extend(exc.issues)
    if issues:
        raise Invalid(issues)


def string(value: Any, loc: Loc) -> None:
    if kind_of(value) != "string":
        raise fail(loc, f"should be a string but it is {described(value)}")


def boolean(value: Any, loc: Loc) -> None:
    if kind_of(value) != "boolean":
        raise fail(loc, f"should be a boolean but it is {described(value)}")


def array(value: Any, loc: Loc) -> None:
    if type_name(value, Mapping) != "array":
        raise fail(loc, f"should be an array but it is {described(value)}")


def length(low: int, high: int) -> Rule:
    """String length bounds, counted in UTF-16 units like JavaScript."""

    def check(value: Any, loc: Loc) -> None:
        if isinstance(value, str) and utf16_length(value) < low:
            raise fail(loc, f"should be a string of length {low} or greater")
        if isinstance(value, str) and utf16_length(value) > high:
            raise fail(loc, f"should be a string of length {high} or less")

    return check


def one_of(*allowed: str) -> Rule:
    """A string that, lower-cased, is one of `allowed`."""

    def check(value: Any, loc: Loc) -> None:
        string(value, loc)
        if value.lower() not in allowed:
            raise fail(loc, f"should be one of {', '.join(allowed)} but it is {json_stringify(value)}")

    return check


class MappingValidator:
    """Segment's `validate(mapping)`, with each directive's own rule looked up in a table."""

    def __init__(self, rules: Mapping[str, Callable[[Any, Loc, MappingValidator], None]]) -> None:
        self._rules = rules

    def issues(self, mapping: Any) -> list[MappingIssue]:
        """Every problem in the mapping, in Segment's order; [] when it is valid."""
        try:
            self.value(mapping, Loc())
        except Invalid as exc:
            return exc.issues
        return []

    def value(self, value: Any, loc: Loc) -> None:
        """`validate`: directives and objects are checked, arrays only for being arrays."""
        kind = kind_of(value)
        if kind == "directive":
            self.directive(value, loc)
        elif kind == "object":
            self.object(value, loc)

    def directive(self, value: Any, loc: Loc) -> None:
        keys = list(value)
        names = [k for k in keys if k.startswith("@")]
        if len(names) > 1:
            raise fail(loc, f"should only have one @-prefixed key but it has {len(names)} keys")
        if any(not k.startswith("@") and k != "_metadata" for k in keys):
            raise fail(loc, f"should only have one @-prefixed key but it has {len(keys)} keys")
        rule = self._rules.get(names[0])
        if rule is None:
            raise fail(loc, f"has an invalid directive: {names[0]}")
        rule(value[names[0]], loc.key(names[0]), self)

    def object(self, value: Any, loc: Loc) -> None:
        """A raw object: no @-keys of its own, and every value valid."""
        if kind_of(value) != "object":
            raise fail(loc, f"should be an object but it is {described(value)}")
        keys = js_keys(value)
        directive_key = next((k for k in keys if k[:1] == "@"), None)
        if directive_key is not None:
            raise fail(loc, f"shouldn't have directive (@-prefixed) keys but it has {json_stringify(directive_key)}")
        collect([partial(self.value, value[k], loc.key(k)) for k in keys])

    def fields(self, value: Any, loc: Loc, fields: Mapping[str, Field]) -> None:
        """A directive's options object: valid as an object, then field by field."""
        self.object(value, loc)
        collect([partial(self._field, value, loc, name, spec) for name, spec in fields.items()])

    @staticmethod
    def _field(obj: Mapping[str, Any], loc: Loc, name: str, spec: Field) -> None:
        found = obj.get(name, UNDEFINED)
        if found is UNDEFINED:
            if spec.required:
                raise fail(loc, f"should have field {json_stringify(name)} but it doesn't")
            return
        spec.rule(found, loc.key(name))

    def directive_or_raw(self, value: Any, loc: Loc) -> None:
        kind = kind_of(value)
        if kind == "directive":
            self.directive(value, loc)
        elif kind not in ("object", "array", "boolean", "string", "number", "null"):
            raise fail(loc, f"should be a mapping directive or a JSON value but it is {described(value)}")

    def directive_or_string(self, value: Any, loc: Loc) -> None:
        kind = kind_of(value)
        if kind == "directive":
            self.directive(value, loc)
        elif kind != "string":
            raise fail(loc, f"should be a string or a mapping directive but it is {described(value)}")

    def directive_or_object(self, value: Any, loc: Loc) -> None:
        kind = kind_of(value)
        if kind == "directive":
            self.directive(value, loc)
        elif kind == "object":
            self.object(value, loc)
        else:
            raise fail(loc, f"should be a object or a mapping directive but it is {described(value)}")
