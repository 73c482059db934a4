"""Keeping the API key secret: constant-time checks, and redaction before anything is stored.

The key travels in the webhook body (the destination's `settings_in_body`) and as a Bearer
token on the inspection routes. Both are compared in constant time, and every body is
redacted (by field name, and by value wherever the configured key appears) before it
reaches the inbound log.
"""

from __future__ import annotations

import hmac
from collections.abc import Collection
from typing import Any

REDACTED = "[REDACTED]"


def same_secret(given: Any, expected: bytes) -> bool:
    """Constant-time equality; a missing, non-string or empty value never matches."""
    if not isinstance(given, str) or not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, else None."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


class Redactor:
    """Masks secret fields (by name) and the configured key's value wherever it appears.

    A key shorter than `MIN_SUBSTRING` characters is only masked where it is a whole string:
    masking every occurrence of, say, "k" would mangle unrelated text and reveal nothing new.
    """

    MIN_SUBSTRING = 8

    def __init__(self, secret_fields: Collection[str], secret_values: Collection[str]) -> None:
        self._fields = frozenset(secret_fields)
        self._values = tuple(value for value in secret_values if value)

    @property
    def values(self) -> tuple[str, ...]:
        """The secret values it masks (to build a redactor that also masks a new one)."""
        return self._values

    def text(self, value: str) -> str:
        for secret in self._values:
            if value == secret:
                return REDACTED
            if len(secret) >= self.MIN_SUBSTRING and secret in value:
                value = value.replace(secret, REDACTED)
        return value

    def __call__(self, value: Any) -> Any:
        """A redacted deep copy of a JSON value (the input is left untouched)."""
        if isinstance(value, dict):
            return {
                (key if key in self._fields else self.text(key)): REDACTED if key in self._fields else self(item)
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self(item) for item in value]
        if isinstance(value, str):
            return self.text(value)
        return value
