"""The routes are module-level routers whose dependencies read `app.state`, so tests can swap a piece."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.routing import APIRoute

from receiver.core.customers import Customers
from receiver.logs.stored import StoredLog
from receiver.routes import (
    customers,
    deps,
    health,
    ingest,
    logs,
    mapping_api,
    messages,
    metrics,
    overview,
    quarantine,
)
from receiver.store.contract import NewLogEntry
from receiver.store.memory.store import MemoryStore


def test_every_api_route_comes_from_a_module_level_router(receiver_server):
    declared = {
        (route.path, method)
        for module in (customers, health, ingest, logs, mapping_api, messages, metrics, overview, quarantine)
        for route in module.router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    with receiver_server.client() as client:
        spec = client.get("/openapi.json").json()
    served = {(path, method.upper()) for path, operations in spec["paths"].items() for method in operations}
    assert served - declared == {("/v1/webhook/segment", "POST")}
    assert declared <= served


def test_a_dependency_override_replaces_the_piece_of_state_a_route_reads(receiver_server):
    stand_in = StoredLog(MemoryStore(), "inbound")
    receiver_server.call(
        stand_in.add(
            NewLogEntry(
                id="from-the-override",
                timestamp=datetime.now(UTC),
                customer_id="c1",
                event_type="track",
                status=202,
                response_time=0.0,
                error=None,
                error_code=None,
                request={},
                response={},
            )
        )
    )
    receiver_server.app.dependency_overrides[deps.get_log] = lambda: stand_in
    try:
        with receiver_server.client() as client:
            items = client.get("/v1/logs", headers=receiver_server.auth).json()["items"]
    finally:
        receiver_server.app.dependency_overrides.clear()
    assert [item["id"] for item in items] == ["from-the-override"]
    with receiver_server.client() as client:
        assert client.get("/v1/logs", headers=receiver_server.auth).json()["items"] == []


def test_the_customer_routes_read_through_the_core_service(receiver_server):
    class Missing(Customers):
        async def profile(self, customer_id):
            return None

    receiver_server.app.dependency_overrides[deps.get_customers] = lambda: Missing(receiver_server.store)
    try:
        with receiver_server.client() as client:
            response = client.get("/v1/customers/anyone", headers=receiver_server.auth)
    finally:
        receiver_server.app.dependency_overrides.clear()
    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "CUSTOMER_NOT_FOUND",
        "message": "No customer with this ID.",
        "field": "customer_id",
    }


def test_the_docs_pages_are_served_by_their_router(receiver_server):
    with receiver_server.client() as client:
        swagger, redoc = client.get("/docs"), client.get("/redoc")
        redirect = client.get("/docs/oauth2-redirect")
    assert swagger.status_code == redoc.status_code == redirect.status_code == 200
    assert "/openapi.json" in swagger.text and "/openapi.json" in redoc.text


def test_the_two_logs_are_the_stores_own_two_logs(receiver_server):
    inbound, outbound = receiver_server.app.state.log, receiver_server.app.state.outbound.log
    assert isinstance(inbound, StoredLog) and isinstance(outbound, StoredLog)
    assert (inbound.kind, outbound.kind) == ("inbound", "outbound") and inbound.store is outbound.store
