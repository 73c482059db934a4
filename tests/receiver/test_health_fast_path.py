"""`/healthz` shows the fast-path failures: a broken fused path is noticed on a running receiver."""

from __future__ import annotations

from typing import Any


def broken(_event: dict[str, Any]) -> dict[str, Any]:
    raise ZeroDivisionError("a bug in the fast path")


def test_a_broken_fast_path_shows_in_healthz_and_the_log_and_the_answer_stays_right(receiver_server, monkeypatch):
    for route in receiver_server.app.state.ingest.fanout.pipeline.routes:
        monkeypatch.setattr(route.action, "_fused", broken)
    body = {"userId": "c-fast", "event": "Order Completed"}
    with receiver_server.client(auth=(receiver_server.write_key, "")) as client:
        for n in range(2):
            assert client.post(
                "/v1/track", json={**body, "messageId": f"m-{n}", "properties": {"order_id": f"o{n}", "total": 20}}
            ).json() == {"success": True}
        health = client.get("/healthz").json()
    assert health["details"] == {"fast_path_failures": 2}
    customer = receiver_server.customer("c-fast")
    assert sum(customer.balances.values()) == 40, "the general path applied both checkouts"
    logged = [line for line in receiver_server.log_lines if "fused fast path" in line]
    assert len(logged) == 1 and "ZeroDivisionError" in logged[0] and "c-fast" not in logged[0]
