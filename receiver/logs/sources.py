"""Who sent an inbound-log entry: the dashboard's freshness is "time since the last event per source".

The receiver has one Tracking-API write key, so one Segment source; what tells its senders
apart is the Segment library each message names (`context.library.name`, which every Segment
library stamps). A webhook request (Segment's destination calling the webhook) is `webhook`.
The name comes from event data: it is cut short, and the pages escape it like any other value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

WEBHOOK = "webhook"
SEGMENT = "segment"
MAX_LIBRARY_CHARS = 64


def tracking_source(message: Any) -> str:
    """`segment:<library name>` for a Tracking-API message, `segment` when it names no library."""
    context = message.get("context") if isinstance(message, Mapping) else None
    library = context.get("library") if isinstance(context, Mapping) else None
    name = library.get("name") if isinstance(library, Mapping) else None
    shown = "".join(c for c in name if c.isprintable()).strip()[:MAX_LIBRARY_CHARS] if isinstance(name, str) else ""
    return f"{SEGMENT}:{shown}" if shown else SEGMENT
