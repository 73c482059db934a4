"""The request an action makes for one event, built the way Segment's `Action.execute` builds it.

Segment's order: drop its internal hidden mapping keys, validate the mapping (the first
message is the error), transform the event, remove empty values, validate and coerce against
the fields' schema, then `perform` — which for this destination POSTs the payload plus the
action's extras plus the settings named in the definition's `request.settings_in_body`.
`CompiledAction` does the per-mapping work once so a stream of events pays only per event;
for the usual mappings `payload_fused` maps, cleans and validates a dict event in one pass,
and the step-by-step path runs only for events that stray from the common case.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any

from destination.definition.model import Action, Definition
from destination.definition.payload_schemas import action_schema
from destination.delivery.fused import DECLINED, fuse
from destination.delivery.shape import shape
from destination.errors import MappingError, MappingValidationError
from destination.js.objects import json_view
from destination.js.values import to_js_string
from destination.mapping.engine import CompiledMapping, compile_mapping, transform
from destination.payload.validator import PayloadValidator

__all__ = [
    "INTERNAL_MAPPING_KEYS",
    "REDACTED",
    "CompiledAction",
    "PreparedRequest",
    "idempotency_key",
    "prepare_request",
]

# Mapping keys Segment's runtime strips before transforming (sync mode / matching key).
INTERNAL_MAPPING_KEYS = frozenset({"__segment_internal_sync_mode", "__segment_internal_matching_key"})
IDEMPOTENCY_HEADER = "Idempotency-Key"
# The answer header saying a request with a seen Idempotency-Key got the first answer again.
REPLAY_HEADER = "Idempotent-Replayed"
logger = logging.getLogger(__name__)
REDACTED = "[redacted]"
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class PreparedRequest:
    """One HTTP request, ready to send; `headers` holds only what Segment's would not add itself.

    `secret_keys` names the body keys holding secret settings: its repr masks them.
    """

    method: str
    url: str
    json: dict[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)
    secret_keys: tuple[str, ...] = field(default=(), compare=False)

    def secret_values(self) -> list[str]:
        """The secret strings this request carries, so that error texts can be scrubbed of them."""
        return [str(self.json[k]) for k in self.secret_keys if self.json.get(k) not in (None, "")]

    def redacted_json(self) -> dict[str, Any]:
        return {k: (REDACTED if k in self.secret_keys else v) for k, v in self.json.items()}

    def __repr__(self) -> str:
        return (
            f"PreparedRequest(method={self.method!r}, url={self.url!r}, "
            f"json={self.redacted_json()!r}, headers={dict(self.headers)!r})"
        )

    @classmethod
    def _quick(
        cls, method: str, url: str, json: dict[str, Any], headers: Mapping[str, str], secret_keys: tuple[str, ...]
    ) -> PreparedRequest:
        """`cls(...)` for the hot path, without the frozen dataclass's per-field `object.__setattr__`."""
        request = object.__new__(cls)
        fields = {"method": method, "url": url, "json": json, "headers": headers, "secret_keys": secret_keys}
        object.__setattr__(request, "__dict__", fields)
        return request


def idempotency_key(event: Mapping[str, Any], scope: str) -> str | None:
    """A stable key per (event, scope), from the event's `messageId`; None without one.

    The scope is the action, or the subscription when several may run the same action on
    one event: each of their requests must be applied, and each retried safely.
    """
    message_id = event.get("messageId") if isinstance(event, Mapping) else None
    if not isinstance(message_id, str) or not message_id:
        return None
    return sha256(f"{scope}\x00{message_id}".encode()).hexdigest()[:32]


class _UrlTemplate:
    """`https://api.{stack}.antavo.com`, filled as a JavaScript template literal would be.

    With one placeholder set to a string (the usual case) the filled URL is remembered per value.
    """

    _CACHE_SIZE = 64

    def __init__(self, template: str) -> None:
        self.parts = _PLACEHOLDER.split(template)
        self._single = self.parts[1] if len(self.parts) == 3 else None
        self._cache: dict[str, str] = {}

    def format(self, settings: Mapping[str, Any]) -> str:
        name = self._single
        if name is not None and type(settings) is dict and type(value := settings.get(name)) is str:
            url = self._cache.get(value)
            if url is None:
                url = self._fill(settings)
                if len(self._cache) < self._CACHE_SIZE:
                    self._cache[value] = url
            return url
        return self._fill(settings)

    def _fill(self, settings: Mapping[str, Any]) -> str:
        out = []
        for i, part in enumerate(self.parts):
            if i % 2:
                out.append(to_js_string(settings[part]) if part in settings else "undefined")
            else:
                out.append(part)
        return "".join(out)


class CompiledAction:
    """An action with one mapping, compiled once: `payload(event)` and `prepare(event, settings)`.

    An invalid mapping does not raise here: like Segment, every event it is applied to fails
    with `MappingValidationError`, so one bad subscription does not stop the others.
    """

    def __init__(
        self,
        definition: Definition,
        action: Action,
        mapping: Mapping[str, Any] | None = None,
        *,
        validator: PayloadValidator | None = None,
        key_scope: str | None = None,
    ) -> None:
        self.action = action
        self.key_scope = key_scope or action.key
        self.definition = definition
        raw: Any = action.default_mapping if mapping is None else mapping
        if isinstance(raw, Mapping):
            raw = {k: v for k, v in raw.items() if k not in INTERNAL_MAPPING_KEYS}
        self.mapping = raw
        self.mapping_error: MappingError | MappingValidationError | None = None
        self._mapped: CompiledMapping | None = None
        try:
            self._mapped = compile_mapping(raw)
        except (MappingError, MappingValidationError) as exc:
            self.mapping_error = exc
        self.validator = validator or PayloadValidator(action_schema(action))
        self._fused = fuse(self._mapped, self.validator) if self._mapped is not None else None
        self.fast_path_failures = 0
        """Events whose fused fast path failed unexpectedly (a bug there): answered by the general path."""
        request = self.definition.request
        self.method = str(request["method"]).upper()
        self._base_url = _UrlTemplate(request["base_url"])
        self._path = request["path"]
        self._settings_in_body = tuple(request.get("settings_in_body") or ())
        secret = set(self.definition.secret_settings)
        self._secret_keys = tuple(k for k in self._settings_in_body if k in secret)
        self._extras = dict(action.body)
        self._key_prefix = f"{self.key_scope}\x00".encode()

    def payload(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """The validated payload `perform` receives, as JSON shows it.

        Raises what Segment's run raises, in its order: a non-object event or an invalid
        mapping (`MappingError` / `MappingValidationError`), then `PayloadValidationError`.
        Objects and arrays taken whole from the event may be shared with it, not copied.
        """
        fused = self._fused
        if fused is not None and type(event) is dict:
            try:
                return fused(event)
            except DECLINED:
                pass  # an event the fast path leaves to the general one, by design
            except Exception as exc:
                self._fast_path_failed(exc, event)
        if self._mapped is None:
            transform(self.mapping, event)  # raises the error Segment reports for this event
            raise self.mapping_error or MappingValidationError([])  # pragma: no cover - transform raised
        # The raw form keeps `undefined` inside arrays, which changes what coercion sees.
        return json_view(self.validator.validate(self._mapped.raw(event)))

    def _fast_path_failed(self, exc: Exception, event: Mapping[str, Any]) -> None:
        """Count a fast-path bug, and log the first one: where it failed and the event's shape, never its values."""
        self.fast_path_failures += 1
        if self.fast_path_failures > 1:
            return
        frame = exc.__traceback__
        while frame is not None and frame.tb_next is not None:
            frame = frame.tb_next
        where = f"{frame.tb_frame.f_code.co_filename}:{frame.tb_lineno}" if frame is not None else "?"
        logger.error(
            "the fused fast path of %s failed unexpectedly (%s at %s); the general path answers instead, "
            "further failures are only counted. Event shape: %s",
            self.key_scope,
            type(exc).__name__,
            where,
            shape(event),
        )

    def body(self, payload: Mapping[str, Any], settings: Mapping[str, Any]) -> dict[str, Any]:
        """`{...payload, ...extras, <settings in body>}`: later keys win, as in the JavaScript spread."""
        body = {**payload, **self._extras}
        for name in self._settings_in_body:
            if name in settings:
                body[name] = settings[name]
        return body

    def url(self, settings: Mapping[str, Any], base_url: str | None = None) -> str:
        base = base_url.rstrip("/") if base_url else self._base_url.format(settings)
        return base + self._path

    def prepare(
        self, event: Mapping[str, Any], settings: Mapping[str, Any], *, base_url: str | None = None
    ) -> PreparedRequest:
        """The request Segment would send for this event, or the error Segment would report."""
        payload = self.payload(event)
        key = self.idempotency_key(event)
        return PreparedRequest._quick(
            self.method,
            self.url(settings, base_url),
            self.body(payload, settings),
            {IDEMPOTENCY_HEADER: key} if key else {},
            self._secret_keys,
        )

    def idempotency_key(self, event: Mapping[str, Any]) -> str | None:
        """`idempotency_key(event, key_scope)`, with the scope's part of the hashed text encoded once."""
        if type(event) is dict and type(message_id := event.get("messageId")) is str and message_id:
            return sha256(self._key_prefix + message_id.encode()).hexdigest()[:32]
        return idempotency_key(event, self.key_scope)


def prepare_request(
    definition: Definition,
    action: Action | str,
    event: Mapping[str, Any],
    mapping: Mapping[str, Any] | None,
    settings: Mapping[str, Any],
    *,
    base_url: str | None = None,
) -> PreparedRequest:
    """One-off form of `CompiledAction(...).prepare(...)`; `mapping=None` uses the fields' defaults."""
    resolved = definition.action(action) if isinstance(action, str) else action
    return CompiledAction(definition, resolved, mapping).prepare(event, settings, base_url=base_url)
