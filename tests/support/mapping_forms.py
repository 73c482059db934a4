"""A Mappings-page form the tests submit: "Quiz Won" tracks to point_add, built with the trigger builder."""

from __future__ import annotations

QUIZ_WON_FORM = {
    "name": "Quiz Won → point_add",
    "action": "event",
    "enabled": "on",
    "trigger_mode": "builder",
    "join": "all",
    "cond_field": ["type", "event"],
    "cond_name": ["", ""],
    "cond_op": ["is", "is"],
    "cond_value": ["track", "Quiz Won"],
    "field_action": "point_add",
    "pair_key": ["points"],
    "pair_value": ["$.properties.points"],
}
