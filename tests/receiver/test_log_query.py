"""`/v1/logs` and `/v1/outbound-logs` share one set of filters, time window included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from served import on_every_store

pytest_generate_tests = on_every_store


def post(server: Any, body: dict[str, Any]) -> int:
    return httpx.post(server.webhook_url, json={**body, "api_key": server.api_key}, timeout=10).status_code


def logs(server: Any, path: str = "/v1/logs", **params: Any) -> list[dict[str, Any]]:
    response = httpx.get(f"{server.base_url}{path}", params=params, headers=server.auth, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_time_window_and_response_time_filters(receiver_server: Any) -> None:
    assert post(receiver_server, {"customer": "w1", "action": "point_add", "data": {"points": 3}}) == 202
    assert post(receiver_server, {"customer": "w1", "action": "point_subtract", "data": {"points": 9}}) == 422
    entries = logs(receiver_server)
    assert [e["status"] for e in entries] == [422, 202]
    newest = datetime.fromisoformat(entries[0]["timestamp"].replace("Z", "+00:00"))
    assert [e["status"] for e in logs(receiver_server, since=newest.isoformat())] == [422]
    assert [e["status"] for e in logs(receiver_server, until=newest.isoformat())] == [202]
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert logs(receiver_server, since=later) == []
    assert len(logs(receiver_server, min_time=0)) == 2 and logs(receiver_server, min_time=3600) == []
    assert [e["status"] for e in logs(receiver_server, customer_id="w1", error="true")] == [422]


def test_bad_filters_are_422_with_the_error_shape(receiver_server: Any) -> None:
    for params in ({"since": "yesterday"}, {"min_time": -1}, {"limit": 0}, {"status": 700}):
        for path in ("/v1/logs", "/v1/outbound-logs"):
            response = httpx.get(
                f"{receiver_server.base_url}{path}", params=params, headers=receiver_server.auth, timeout=10
            )
            assert response.status_code == 422, (path, params)
            assert set(response.json()["error"]) == {"code", "message", "field"}
