"""Run events through subscriptions, the way Segment does for one destination.

For each event: every enabled subscription whose trigger matches runs its action — mapping,
removal of empty values, validation — and yields the request to send, or the reason it
could not. Triggers, mappings and validators are compiled once, when the pipeline is built.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from destination.definition.model import Definition
from destination.definition.subscriptions import Subscription
from destination.delivery.action import CompiledAction, PreparedRequest
from destination.errors import DestinationError
from destination.fql import parser as fql


@dataclass(frozen=True)
class Outcome:
    """What one subscription made of one event: a request, or the error that stopped it."""

    subscription: Subscription
    request: PreparedRequest | None = None
    error: str | None = None
    field: str | None = None  # the payload path at fault (`/customer`), when validation names one

    @property
    def ok(self) -> bool:
        return self.request is not None

    @classmethod
    def _quick(
        cls, subscription: Subscription, request: PreparedRequest | None, error: str | None, field: str | None = None
    ) -> Outcome:
        """`cls(...)` for the hot path, without the frozen dataclass's per-field `object.__setattr__`."""
        outcome = object.__new__(cls)
        state = {"subscription": subscription, "request": request, "error": error, "field": field}
        object.__setattr__(outcome, "__dict__", state)
        return outcome


@dataclass(frozen=True)
class Route:
    subscription: Subscription
    trigger: fql.Trigger
    action: CompiledAction


class Pipeline:
    """Enabled subscriptions, compiled; `run(event)` gives one outcome per matching subscription."""

    def __init__(
        self,
        definition: Definition,
        subscriptions: Iterable[Subscription],
        settings: Mapping[str, Any],
        *,
        base_url: str | None = None,
    ) -> None:
        self.definition = definition
        self.settings = dict(settings)
        self.base_url = base_url
        self.routes = [
            Route(
                s,
                fql.parse(s.subscribe),
                CompiledAction(definition, definition.action(s.action), s.mapping, key_scope=f"{s.action}:{s.name}"),
            )
            for s in subscriptions
            if s.enabled
        ]

    def matching(self, event: Mapping[str, Any]) -> list[Route]:
        return [r for r in self.routes if r.trigger.matches(event)]

    @property
    def fast_path_failures(self) -> int:
        """Events whose fused fast path failed unexpectedly, over every route (0 unless the fast path has a bug)."""
        return sum(route.action.fast_path_failures for route in self.routes)

    def run(self, event: Mapping[str, Any]) -> list[Outcome]:
        outcomes = []
        for route in self.routes:
            if route.trigger.matches(event):
                outcomes.append(self._prepare(route, event))
        return outcomes

    def run_all(self, events: Iterable[Mapping[str, Any]]) -> Iterator[tuple[Mapping[str, Any], list[Outcome]]]:
        for event in events:
            yield event, self.run(event)

    def _prepare(self, route: Route, event: Mapping[str, Any]) -> Outcome:
        try:
            request = route.action.prepare(event, self.settings, base_url=self.base_url)
        except DestinationError as exc:
            return Outcome._quick(route.subscription, None, exc.message, getattr(exc, "field", None) or None)
        return Outcome._quick(route.subscription, request, None)
