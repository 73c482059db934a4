"""A message's verdict, as a CI job fetches it: `GET /v1/messages/{id}` on a client carrying the API key."""

from __future__ import annotations

from typing import Any

import httpx


def message_verdict(http: httpx.Client, message_id: str) -> dict[str, Any]:
    """What happened to the message `message_id` (the answer must be a 200)."""
    answer = http.get(f"/v1/messages/{message_id}")
    assert answer.status_code == 200, answer.text
    return answer.json()
