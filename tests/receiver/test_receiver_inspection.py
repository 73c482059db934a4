"""Inspection routes: bearer auth, customers, paginated history, the filtered inbound log, docs."""

from __future__ import annotations

import pytest
from served import on_every_store

from receiver.store.entries import LogFilter
from receiver.store.memory.ring import InboundLog

pytest_generate_tests = on_every_store

WEBHOOK = "/v1/webhook/segment"


@pytest.mark.parametrize("path", ["/v1/logs", "/v1/customers/u1", "/v1/customers/u1/events"])
@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "Basic abc", "Bearer", "bearer x y"])
def test_inspection_needs_the_bearer_key(receiver_server, path, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    with receiver_server.client() as client:
        response = client.get(path, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_health_and_docs_need_no_key(receiver_server, receiver_backend):
    with receiver_server.client() as client:
        assert client.get("/healthz").json() == {
            "status": "ok",
            "stack": "test",
            "store": receiver_backend,
            "multi_accounts": False,
            "warnings": [],
            "details": {"fast_path_failures": 0},
        }
        assert client.get("/docs").status_code == 200
        spec = client.get("/openapi.json").json()
    webhook = spec["paths"][WEBHOOK]["post"]
    assert set(webhook["responses"]) >= {"202", "400", "401", "409", "413", "415", "422"}
    examples = webhook["requestBody"]["content"]["application/json"]["examples"]
    assert {"point_add", "checkout", "profile"} <= set(examples)
    for path in spec["paths"].values():
        for operation in path.values():
            assert operation.get("summary"), operation


def test_unknown_customer_is_404_in_the_error_shape(receiver_server):
    with receiver_server.client() as client:
        response = client.get("/v1/customers/nobody", headers=receiver_server.auth)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "CUSTOMER_NOT_FOUND"
        assert client.get("/v1/customers/nobody/events", headers=receiver_server.auth).status_code == 404


def test_event_history_is_paginated_oldest_first(receiver_server):
    key = receiver_server.api_key
    with receiver_server.client() as client:
        ids = [
            client.post(
                WEBHOOK, json={"customer": "u1", "action": "point_add", "data": {"points": n}, "api_key": key}
            ).json()["id"]
            for n in range(1, 6)
        ]
        seen, offset = [], 0
        while offset is not None:
            page = client.get(
                "/v1/customers/u1/events", params={"offset": offset, "limit": 2}, headers=receiver_server.auth
            ).json()
            assert page["total"] == 5 and len(page["items"]) <= 2
            seen += [item["id"] for item in page["items"]]
            offset = page["next_offset"]
        assert seen == ids
        bad = client.get("/v1/customers/u1/events", params={"limit": 0}, headers=receiver_server.auth)
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "limit"


def test_the_logs_and_the_event_history_page_the_same_way(receiver_server):
    """One convention: `items`, and `next_cursor` to pass back as `cursor` until it is null; the history's
    older `offset` / `next_offset` keep working and give the same pages."""
    key = receiver_server.api_key

    def walk(client, path: str, param: str = "cursor", field: str = "next_cursor") -> list[str]:
        seen, given = [], None
        for _ in range(20):  # bounded: 5 entries, 2 a page
            params = {"limit": 2, **({param: given} if given is not None else {})}
            page = client.get(path, params=params, headers=receiver_server.auth).json()
            seen += [item["id"] for item in page["items"]]
            given = page[field]
            if given is None:
                return seen
        raise AssertionError(f"{path} never reached its last page")

    with receiver_server.client() as client:
        ids = [
            client.post(
                WEBHOOK, json={"customer": "p1", "action": "point_add", "data": {"points": n}, "api_key": key}
            ).json()["id"]
            for n in range(1, 6)
        ]
        assert walk(client, "/v1/customers/p1/events") == ids  # oldest first
        assert walk(client, "/v1/customers/p1/events", "offset", "next_offset") == ids
        logged = walk(client, "/v1/logs?customer_id=p1")  # newest first; a log entry has the request's own ID
        assert len(set(logged)) == len(logged) == len(ids)
        both = client.get("/v1/customers/p1/events", params={"cursor": 2, "offset": 4}, headers=receiver_server.auth)
    assert both.status_code == 422 and both.json()["error"]["field"] == "cursor"


def test_inbound_log_filters_and_pages_newest_first(receiver_server):
    key = receiver_server.api_key
    with receiver_server.client() as client:
        client.post(
            WEBHOOK, json={"customer": "a", "action": "opt_in", "api_key": key}, headers={"X-Segment-Message-Id": "m-1"}
        )
        client.post(WEBHOOK, json={"customer": "b", "data": {"first_name": "B"}, "action": "profile", "api_key": key})
        client.post(WEBHOOK, json={"customer": "a", "action": "point_subtract", "data": {"points": 1}, "api_key": key})
        client.post(WEBHOOK, json={"customer": "a", "action": "opt_in", "api_key": "nope"})

        def query(**params):
            response = client.get("/v1/logs", params=params, headers=receiver_server.auth)
            assert response.status_code == 200, response.text
            return response.json()

        everything = query()["items"]
        assert [e["status"] for e in everything] == [401, 422, 202, 202]
        assert all(e["response_time"] >= 0 for e in everything)
        first = everything[-1]
        assert (first["id"], first["customer_id"], first["event_type"], first["error"]) == ("m-1", "a", "track", None)
        assert first["request"]["api_key"] == "[REDACTED]"
        assert everything[0]["id"].startswith("req_")
        assert [e["status"] for e in query(customer_id="a")["items"]] == [
            422,
            202,
        ]  # a refusal without a valid key names no customer
        assert [e["customer_id"] for e in query(event_type="identify")["items"]] == ["b"]
        assert [e["status"] for e in query(error="true")["items"]] == [401, 422]
        assert [e["status"] for e in query(error="false")["items"]] == [202, 202]
        assert [e["error_code"] for e in query(status=422)["items"]] == ["INSUFFICIENT_POINTS"]
        assert [e["id"] for e in query(id="m-1")["items"]] == ["m-1"]
        page1 = query(limit=3)
        page2 = query(limit=3, cursor=page1["next_cursor"])
        assert [e["status"] for e in page1["items"] + page2["items"]] == [401, 422, 202, 202]
        assert page2["next_cursor"] is None


def test_log_ring_keeps_only_the_newest_entries():
    log = InboundLog(size=3)
    for n in range(5):
        log.add(
            id=f"r{n}",
            timestamp=None,
            customer_id=None,
            event_type=None,
            status=202,
            response_time=0.0,
            error=None,
            error_code=None,
            request=None,
            response=None,
        )
    page = log.query(LogFilter(), limit=10)
    assert [e.id for e in page.entries] == ["r4", "r3", "r2"]
    assert page.next_cursor is None
