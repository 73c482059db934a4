"""The webhook's own checks after the body is read: the API key, the messageId, the payload's schema.

The schema check is the destination's own validator, run on the generated schemas (compiled once
per action), so both sides agree on what a valid payload is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from destination.definition.payload_schemas import strip_comment
from destination.errors import PayloadValidationError
from destination.payload.validator import PayloadValidator
from receiver.core.contract import ActionContract, WebhookContract
from receiver.errors import ApiError, unauthorized
from receiver.security import KeyGate
from receiver.web.body import dotted

MESSAGE_ID_HEADERS = ("x-segment-message-id", "x-message-id")
MESSAGE_ID_FIELD = "messageId"
MAX_MESSAGE_ID_LENGTH = 255


def check_api_key(body: Mapping[str, Any], field: str, gate: KeyGate, address: str | None) -> None:
    """The key the destination puts in the body (`settings_in_body`), through the API key's gate."""
    given = body.get(field)
    if not gate.admit(address, given):
        missing = given is None or given == ""
        raise unauthorized(
            f"The request body has no '{field}'." if missing else f"The '{field}' in the request body is not valid."
        )


def message_id(headers: Mapping[str, str], body: Mapping[str, Any] | None) -> str | None:
    """Segment's messageId, from a header (lower-case names) or the body, when the sender gives one."""
    candidates = [headers.get(name) for name in MESSAGE_ID_HEADERS]
    if body is not None:
        candidates.append(body.get(MESSAGE_ID_FIELD))
    for candidate in candidates:
        if isinstance(candidate, str) and 0 < len(candidate) <= MAX_MESSAGE_ID_LENGTH:
            return candidate
    return None


class PayloadChecker:
    """One compiled validator per action, from the generated schemas."""

    def __init__(self, contract: WebhookContract) -> None:
        self._contract = contract
        self._validators = {action.key: PayloadValidator(action.schema, coerce=False) for action in contract.actions}
        self._schemas = {action.key: strip_comment(action.schema) for action in contract.actions}
        self._skippable = frozenset(action.key for action in contract.actions if _payload_is_whole(contract, action))
        self._trusted: dict[str, Mapping[str, Any]] = {}
        """Per action, the last schema object a caller validated with that equals the action's (compared once)."""

    def check(
        self, action: ActionContract, body: Mapping[str, Any], validated_with: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The action's payload (body minus settings, extras and messageId), schema-checked.

        `validated_with`: the schema the caller already validated this very payload against (the
        ingest's pipeline does, before building the body). When it is the action's own schema,
        and the body's extras and settings cannot have hidden a payload key, the second
        validation is skipped; anything else — every HTTP request — is validated here.
        """
        payload = self._contract.payload(body, action)
        payload.pop(MESSAGE_ID_FIELD, None)
        if validated_with is not None and self._trusts(action, validated_with):
            return payload
        try:
            return self._validators[action.key].validate(payload)
        except PayloadValidationError as exc:
            raise ApiError(422, "INVALID_PAYLOAD", exc.message, field=dotted(exc.field)) from None

    def _trusts(self, action: ActionContract, schema: Mapping[str, Any]) -> bool:
        if self._trusted.get(action.key) is schema:
            return True
        if action.key not in self._skippable or strip_comment(schema) != self._schemas[action.key]:
            return False
        self._trusted[action.key] = schema
        return True


def _payload_is_whole(contract: WebhookContract, action: ActionContract) -> bool:
    """Whether `contract.payload` gives back exactly the payload the sender validated: the schema
    admits no other keys, and none of the keys the body adds (settings, extras, messageId)."""
    properties = action.schema.get("properties") or {}
    added = {*contract.settings_fields, *action.extras, MESSAGE_ID_FIELD}
    return action.schema.get("additionalProperties") is False and not added.intersection(properties)
