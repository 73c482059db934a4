"""Random IDs the receiver hands out (events `evt_…`, requests without a messageId `req_…`, customers).

128 random bits as 32 hex digits, the shape `uuid4().hex` had; `os.urandom` skips building a
`UUID` object, which showed in the webhook's profile (one event ID per request).
"""

from __future__ import annotations

import os


def random_id(prefix: str) -> str:
    return prefix + os.urandom(16).hex()
