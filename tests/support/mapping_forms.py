"""Mappings-page forms the tests submit, built with the trigger builder: a track event's name to an action's
fields; "Quiz Won" tracks to point_add is the common one."""

from __future__ import annotations


def builder_form(name: str, event: str, action: str, pairs: dict[str, str]) -> dict[str, str | list[str]]:
    """The form of an enabled mapping `name` that sends the track event `event` to `action`, with each of `pairs`
    (field → path) as one of the action's fields."""
    return {
        "name": name,
        "action": "event",
        "enabled": "on",
        "trigger_mode": "builder",
        "join": "all",
        "cond_field": ["type", "event"],
        "cond_name": ["", ""],
        "cond_op": ["is", "is"],
        "cond_value": ["track", event],
        "field_action": action,
        "pair_key": list(pairs),
        "pair_value": list(pairs.values()),
    }


QUIZ_WON_FORM = builder_form("Quiz Won → point_add", "Quiz Won", "point_add", {"points": "$.properties.points"})
