"""Keeping the keys secret: one gate for every key check, and redaction before anything is stored.

Every door that checks a key (the webhook's body key, the Tracking API's write key, the Bearer
routes and `/metrics`, the sign-in form) asks a `KeyGate`, so an address that guesses at a key
through one door is slowed down at every other, and no door compares a secret by hand.

The key travels in the webhook body (the destination's `settings_in_body`) and as a Bearer
token on the inspection routes. Both are compared in constant time, and every body is
redacted (by field name, and by value wherever the configured key appears) before it
reaches the inbound log.
"""

from __future__ import annotations

import hmac
from collections.abc import Collection
from typing import Any

import orjson
from pydantic import SecretStr
from starlette.requests import HTTPConnection

from receiver.ratelimit import AuthGuard

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
        # How each could show in a body's JSON text (orjson escapes character by character, so a
        # string holding a secret holds its escaped form): a secret field as a key, a short secret
        # as a whole string, a long one anywhere.
        self._field_markers = tuple((name, b'"' + _escaped(name) + b'"') for name in self._fields)
        self._value_markers = tuple(
            _escaped(value) if len(value) >= self.MIN_SUBSTRING else b'"' + _escaped(value) + b'"'
            for value in self._values
        )

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
        """The JSON value redacted; the input is left untouched, and shared where nothing in it is secret.

        Most bodies hold nothing to mask but the key at their top level (the webhook's
        `api_key`): that is masked in a shallow copy, and one look at the copy's JSON text
        (orjson, in C) says whether anything deeper needs masking. If nothing does, the copy is
        the answer; otherwise the body is walked, and only the dicts and lists on the way to a
        masked value are copied. Callers treat both the input and the answer as read-only
        (they are logged or stored, never changed).
        """
        if type(value) is dict or type(value) is list:
            hidden = self._fields.intersection(value) if isinstance(value, dict) else frozenset()
            shown = value
            if hidden and isinstance(value, dict):
                shown = {key: REDACTED if key in hidden else item for key, item in value.items()}
            try:
                text = orjson.dumps(shown)
            except (orjson.JSONEncodeError, TypeError):
                return self._walk(value)
            if self._clean(text, hidden):
                return shown
        return self._walk(value)

    def _clean(self, text: bytes, hidden: Collection[str]) -> bool:
        """No secret value anywhere in `text`, and no secret field but the `hidden` ones at its top level.

        A false alarm (a field's name used as a value, say) only costs a walk.
        """
        for name, marker in self._field_markers:
            if text.count(marker) > (name in hidden):
                return False
        for marker in self._value_markers:
            if marker in text:
                return False
        return True

    def _walk(self, value: Any) -> Any:
        if isinstance(value, dict):
            redacted: dict[Any, Any] = {}
            changed = False
            for key, item in value.items():
                if key in self._fields:
                    name, new, changed = key, REDACTED, True
                else:
                    name, new = self.text(key), self._walk(item)
                    changed = changed or name is not key or new is not item
                redacted[name] = new
            return redacted if changed else value
        if isinstance(value, list):
            items = [self._walk(item) for item in value]
            return items if any(new is not old for new, old in zip(items, value)) else value
        if isinstance(value, str):
            return self.text(value)
        return value


def _escaped(text: str) -> bytes:
    """`text` as orjson writes it inside a JSON string (without the quotes)."""
    try:
        return orjson.dumps(text)[1:-1]
    except orjson.JSONEncodeError:  # a lone surrogate: no body orjson writes can hold it
        return text.encode("utf-8", "surrogatepass")


def mask(value: Any) -> str:
    """How a secret shows anywhere (pages, the audit trail): `not set`, or `set (…abcd)`."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if not value:
        return "not set"
    return f"set (…{str(value)[-4:]})" if len(str(value)) >= 8 else "set"


UNKNOWN_ADDRESS = "unknown"


def client_address(request: HTTPConnection) -> str:
    """The HTTP client's address, as the failure guard counts it (one name when the server gives none)."""
    return request.client.host if request.client else UNKNOWN_ADDRESS


class KeyGate:
    """One secret (`kind` names it to the guard, e.g. `api_key`), checked for one receiver."""

    def __init__(self, guard: AuthGuard, kind: str, expected: bytes) -> None:
        self.guard, self.kind, self._expected = guard, kind, expected

    def check(self, address: str | None) -> None:
        """429 (`ApiError`) for an address that failed too often, before its key is looked at."""
        self.guard.check(address, self.kind)

    def admit(self, request: HTTPConnection | str | None, given: Any) -> bool:
        """Whether `given` is the key; a failure is counted against the request's client address
        (or an address already read; None is a call made in this process, which is trusted).

        Raises the guard's 429 first, so a blocked address learns nothing about its guess.
        """
        address = client_address(request) if isinstance(request, HTTPConnection) else request
        self.guard.check(address, self.kind)
        if same_secret(given, self._expected):
            return True
        self.guard.failed(address, self.kind)
        return False
