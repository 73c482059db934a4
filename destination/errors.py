"""Error types shared by the destination's modules.

Each error carries what a person needs to fix the input: the message (Segment's own
wording where Segment has one) and, where it applies, the field path or source position.
"""

from __future__ import annotations


class DestinationError(Exception):
    """Base class: every error this package raises on bad input is one of these."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FQLSyntaxError(DestinationError):
    """A trigger (FQL query) that Segment's subscription parser would reject."""

    def __init__(self, message: str, *, offset: int = 0, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.offset = offset
        self.line = line
        self.column = column

    def __str__(self) -> str:
        return f"{self.message} (line {self.line}, column {self.column})"


class FQLEvaluationError(DestinationError):
    """A trigger Segment parses but whose `validate` throws on an event (e.g. an empty group)."""


class MappingError(DestinationError):
    """A mapping that cannot be applied to an event (Segment's transform error)."""


class MappingValidationError(DestinationError):
    """A mapping that Segment's mapping validator rejects; `errors` keeps every message."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(errors[0] if errors else "invalid mapping")
        self.errors = errors


class PayloadValidationError(DestinationError):
    """A mapped payload that breaks the action's schema (Segment's first validation error)."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field
