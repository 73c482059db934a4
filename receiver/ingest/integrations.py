"""Segment's `integrations` object: which destinations a message may reach.

Rules (as Segment documents them and its libraries implement them): names are
case-sensitive destination names; a destination named in the object is on unless its value
is `false` (an object of options counts as on); a destination not named follows `"All"`,
which defaults to on. In a batch request the batch-level object applies to every message,
and a message's own entries win over it.

The outbound sync marks its messages `"Antavo (Actions)": false`, so an ingest that honours
this never routes Antavo's own changes back into Antavo.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ALL = "All"


def destination_enabled(integrations: Any, destination: str) -> bool:
    """Whether a message with this `integrations` value may be sent to `destination`.

    Anything that is not a JSON object (absent, null, a string) selects nothing, so every
    destination stays on.
    """
    if not isinstance(integrations, Mapping):
        return True
    if destination in integrations:
        return integrations[destination] is not False
    return integrations.get(ALL, True) is not False


def effective_integrations(batch_level: Any, message_level: Any) -> dict[str, Any]:
    """The object that governs one message of a batch: the batch's entries, overridden by the message's."""
    merged: dict[str, Any] = dict(batch_level) if isinstance(batch_level, Mapping) else {}
    if isinstance(message_level, Mapping):
        merged.update(message_level)
    return merged
