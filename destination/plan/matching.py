"""Which planned events a trigger can match, and what a planned event declares at a path.

A trigger is evaluated by the FQL engine on each planned event's representative message
(its type and name). A condition on anything else (`properties.x = true`, `userId`) cannot
be decided from the plan, so it counts as "may hold": a trigger is taken to match an event
unless the conditions on type and name rule it out. That keeps the warnings conservative.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from destination.errors import DestinationError
from destination.fql import parser as fql
from destination.fql.evaluate import Condition, Group, Node, Nothing, compile_closures
from destination.plan.model import PlannedEvent, TrackingPlan

_DECIDED = frozenset({"event-type", "event", "name"})  # what a representative message carries
_SEGMENT = re.compile(r"[^\[\].]+")


def _verdict(node: Node, event: Mapping[str, Any]) -> bool | None:
    """True or False where type and name decide, None where another condition could go either way."""
    if isinstance(node, Nothing):
        return False  # Segment fails on reaching it
    if isinstance(node, Condition):
        if node.type not in _DECIDED or node.name is not None:
            return None
        try:
            return compile_closures(node)(dict(event))
        except DestinationError:
            return False
    verdicts = [_verdict(child, event) for child in node.children]
    if node.operator == "and" or (len(verdicts) == 1 and node.operator == "or"):
        return False if False in verdicts else True if all(v is True for v in verdicts) else None
    if node.operator == "or":
        return True if True in verdicts else False if all(v is False for v in verdicts) else None
    return False


def matched_events(plan: TrackingPlan, trigger: str) -> list[PlannedEvent] | None:
    """The planned events `trigger` can match; None when it does not parse (`validate` reports that)."""
    try:
        tree: Group = fql.parse(trigger).tree
    except DestinationError:
        return None
    return [e for e in plan.events if _verdict(tree, e.representative()) is not False]


def split_path(path: str) -> list[str] | None:
    """`$.properties.address.city` as its segments; None for what is not a plain JSONPath from the root."""
    if not path.startswith("$"):
        return None
    return _SEGMENT.findall(path[1:])


def declared_at(event: PlannedEvent, segments: list[str]) -> list[Mapping[str, Any]] | None:
    """The chain of schemas the plan declares along `segments` (from the message root), None if it
    declares nothing there. Below an object or array declared without its members anything is declared."""
    if not segments or segments[0] != event.section:
        return None
    chain: list[Mapping[str, Any]] = [event.schema]
    node: Mapping[str, Any] = event.schema
    for segment in segments[1:]:
        if isinstance(node.get("items"), Mapping) and segment.isdigit():
            node = node["items"]
        elif "properties" in node:
            if segment not in node["properties"]:
                return None
            node = node["properties"][segment]
        else:
            return chain  # declared without its members
        chain.append(node)
    return chain


def optional_along(event: PlannedEvent, segments: list[str]) -> str | None:
    """The first property along `segments` that the plan declares but does not require (None: all required)."""
    chain = declared_at(event, segments)
    if chain is None:
        return None
    for parent, segment in zip(chain, segments[1 : len(chain)]):
        if segment.isdigit():
            return segment  # an item of an array may be absent
        if segment not in (parent.get("required") or []):
            return segment
    return None
