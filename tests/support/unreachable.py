"""Outbound settings that keep messages queued: the dashboard's queue-depth tests need a known backlog."""

from __future__ import annotations

import socket
from typing import Any


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released): connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unreachable_outbound() -> dict[str, Any]:
    """Outbound on, pointed at a closed loopback port, retrying only after a minute: rows stay queued."""
    return {
        "write_key": "out-write-key-0123",
        "base_url": f"http://127.0.0.1:{closed_port()}",
        "events": ["point_add"],
        "backoff_seconds": 60,
        "flush_timeout_seconds": 0,
    }
