"""Segment's validation messages: the rules of `@segment/ajv-human-errors` (field labels = titles).

Segment turns each ajv error into a sentence that names the field by its schema `title`
(the field's label), falls back to "the root value" / "the value at <pointer>", capitalizes
it and ends it with a period. Only the first sentence is what the conformance cases record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from destination.js.values import message_json, number_to_string, type_name

FORMAT_LABELS = {
    "date-time": "date and time",
    "time": "time",
    "date": "date",
    "email": "email address",
    "hostname": "hostname",
    "ipv4": "IPv4 address",
    "ipv6": "IPv6 address",
    "uri": "URI",
    "uri-reference": "URI Reference",
    "uri-template": "URI-template",
    "json-pointer": "JSON Pointer",
    "relative-json-pointer": "relative JSON Pointer",
    "regex": "regular expression",
}


def escape_pointer_token(key: str) -> str:
    """One JSON Pointer reference token, as ajv writes `instancePath`."""
    return key.replace("~", "~0").replace("/", "~1")


def indefinite_article(word: str) -> str:
    """ "a" or "an" for the type names messages use (all start with a letter that says which)."""
    return "an" if word[:1] in ("a", "e", "i", "o", "u") else "a"


def humanize_type_of(value: Any) -> str:
    """ "a string", "an object", "null"… for the value that was found."""
    name = type_name(value)
    if name == "null" or name == "undefined":
        return name
    return f"{indefinite_article(name)} {name}"


def humanize_list(items: Sequence[str], conjunction: str = "and") -> str:
    if not items:
        return "nothing"
    if len(items) == 1:
        return items[0]
    if len(items) == 2:
        return f"{items[0]} {conjunction} {items[1]}"
    return f"{', '.join(items[:-1])}, {conjunction} {items[-1]}"


def _capitalize(text: str) -> str:
    # JavaScript upper-cases one UTF-16 unit: a character outside the BMP stays as it is.
    if not text or ord(text[0]) > 0xFFFF:
        return text
    return text[0].upper() + text[1:]


class Labeller:
    """Builds messages for one schema node: its title (or pointer) is the sentence's subject."""

    __slots__ = ("schema",)

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.schema = schema

    def preamble(self, pointer: str) -> str:
        title = self.schema.get("title")
        if title:
            return str(title)
        return "the root value" if pointer == "" else f"the value at {pointer}"

    def sentence(self, pointer: str, body: str) -> str:
        custom = self.schema.get("errorMessage")
        text = f"{self.preamble(pointer)} {custom if custom else body}"
        return f"{_capitalize(text)}."

    def type_error(self, pointer: str, value: Any) -> str:
        declared = self.schema.get("type")
        types = declared if isinstance(declared, list) else str(declared).split(",")
        expected = humanize_list([str(t) for t in types], "or")
        article = indefinite_article(expected)
        return self.sentence(pointer, f"must be {article} {expected} but it was {humanize_type_of(value)}")

    def enum_error(self, pointer: str, allowed: Sequence[Any]) -> str:
        listed = humanize_list([message_json(v) for v in allowed], "or")
        return self.sentence(pointer, f"must be one of: {listed}")

    def const_error(self, pointer: str) -> str:
        return self.sentence(pointer, "must be equal to constant")

    def required_error(self, pointer: str, missing: str) -> str:
        return self.sentence(pointer, f"is missing the required field '{missing}'")

    def additional_error(self, pointer: str, found: str) -> str:
        allowed = ", ".join(self.schema.get("properties") or {})
        return self.sentence(
            pointer,
            f"has an unexpected property, {found}, which is not in the list of allowed properties ({allowed})",
        )

    def format_error(self, pointer: str, fmt: str) -> str:
        label = FORMAT_LABELS.get(fmt, fmt)
        return self.sentence(pointer, f"must be a valid {label} string but it was not")

    def limit_error(self, pointer: str, keyword: str, limit: Any) -> str:
        shown = number_to_string(limit) if isinstance(limit, (int, float)) else str(limit)
        phrases = {
            "minimum": f"must be equal to or greater than {shown}",
            "exclusiveMinimum": f"must be greater than {shown}",
            "maximum": f"must be equal to or less than {shown}",
            "exclusiveMaximum": f"must be less than {shown}",
        }
        return self.sentence(pointer, phrases[keyword])

    def length_error(self, pointer: str, keyword: str, limit: int, actual: int) -> str:
        def chars(n: int) -> str:
            return "character" if n == 1 else "characters"

        side = "or more" if keyword == "minLength" else "or fewer"
        return self.sentence(pointer, f"must be {limit} {chars(limit)} {side} but it was {actual} {chars(actual)}")

    def false_schema_error(self, pointer: str) -> str:
        return self.sentence(pointer, "boolean schema is false")
