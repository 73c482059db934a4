"""Every route of the app against every kind of caller: the permission each route needs is one table here,
and a route missing from it (a new one, never classified) fails the test.

The routes are read from the app itself; each is called on a real receiver (uvicorn on loopback) signed
out, as an admin, an editor and an auditor (sessions of users), as the API key's bootstrap admin (a
session without a user) and with the API key as `Authorization: Bearer`. Signed out a page answers the
sign-in redirect and page data 401; a role without the permission gets 403; an allowed caller gets any
normal answer (a 404 for the sample IDs is fine), never 401 or 403.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import httpx
import pytest
from fastapi.routing import APIRoute
from served import Served, served
from signed_in import session_headers

from receiver.config import ReceiverConfig
from receiver.core.roles import Permission, Role, allows

API_KEY = "matrix-api-key-0123456789abcdef"
MACHINE = {
    ("POST", "/v1/track"),
    ("POST", "/v1/identify"),
    ("POST", "/v1/batch"),
    ("POST", "/v1/webhook/segment"),
    ("GET", "/healthz"),
    ("GET", "/metrics"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
}
"""Machine doors (their own key checks, tested elsewhere) and the sign-in form itself."""

# kind: "page" (signed out → sign-in redirect), "data" (a page's own data: 401 signed out, no Bearer),
# "shared" (page data that is also an API: a session or the API key as Bearer), "api" (Bearer only).
EXPECTED: dict[tuple[str, str], tuple[str, Permission]] = {
    ("GET", "/"): ("page", "view"),
    ("GET", "/dashboard/fragment"): ("data", "view"),
    ("GET", "/dashboard/data"): ("shared", "view"),
    ("GET", "/dashboard/balances"): ("shared", "view"),
    ("GET", "/dashboard/balances.svg"): ("data", "view"),
    ("GET", "/overview"): ("page", "view"),
    ("GET", "/logs"): ("page", "view"),
    ("GET", "/logs/data"): ("data", "view"),
    ("GET", "/outbound-logs"): ("page", "view"),
    ("GET", "/outbound-logs/data"): ("data", "view"),
    ("GET", "/customers/{customer_id:path}"): ("page", "view"),
    ("GET", "/logs/quarantine"): ("page", "view"),
    ("POST", "/logs/quarantine/replay"): ("page", "plan.replay"),
    ("GET", "/tester"): ("page", "tester.use"),
    ("POST", "/tester"): ("page", "tester.use"),
    ("GET", "/settings"): ("page", "view"),
    ("POST", "/settings/{group_id}"): ("page", "settings.edit"),
    ("GET", "/mappings"): ("page", "view"),
    ("GET", "/mappings/versions/{digest}"): ("page", "view"),
    ("GET", "/mappings/{key}/yaml"): ("page", "view"),
    ("GET", "/mappings/{key}/impact"): ("page", "view"),
    ("POST", "/mappings/{key}/impact"): ("page", "mappings.edit"),
    ("POST", "/mappings/{key}/status"): ("page", "mappings.edit"),
    ("POST", "/mappings/{key}/delete"): ("page", "mappings.edit"),
    ("GET", "/mappings/new"): ("page", "mappings.edit"),
    ("GET", "/mappings/{key}/edit"): ("page", "mappings.edit"),
    ("POST", "/mappings/edit"): ("page", "mappings.edit"),
    ("GET", "/mappings/check-fql"): ("data", "mappings.edit"),
    ("GET", "/mappings/{key}/history"): ("page", "view"),
    ("POST", "/mappings/{key}/history/{number}/restore"): ("page", "mappings.edit"),
    ("GET", "/settings/history"): ("page", "view"),
    ("POST", "/settings/history/{number}/restore"): ("page", "settings.edit"),
    ("GET", "/audit"): ("page", "audit.read"),
    ("GET", "/audit.csv"): ("page", "audit.read"),
    ("POST", "/logs/quarantine/drop"): ("page", "plan.replay"),
    ("POST", "/v1/quarantine/{message_id}/drop"): ("api", "plan.replay"),
    ("GET", "/users"): ("page", "users.manage"),
    ("POST", "/users"): ("page", "users.manage"),
    ("POST", "/users/{name}/role"): ("page", "users.manage"),
    ("POST", "/users/{name}/pii"): ("page", "users.manage"),
    ("POST", "/users/{name}/delete"): ("page", "users.manage"),
    ("GET", "/v1/logs"): ("api", "view"),
    ("GET", "/v1/outbound-logs"): ("api", "view"),
    ("GET", "/v1/customers/{customer_id}"): ("api", "view"),
    ("GET", "/v1/customers/{customer_id}/events"): ("api", "view"),
    ("GET", "/v1/mappings"): ("api", "view"),
    ("GET", "/v1/mappings/versions/{digest}"): ("api", "view"),
    ("POST", "/v1/mappings/impact"): ("api", "mappings.edit"),
    ("GET", "/v1/messages/{message_id}"): ("api", "view"),
    ("GET", "/v1/messages"): ("api", "view"),
    ("DELETE", "/v1/messages"): ("api", "tester.use"),
    ("GET", "/v1/quarantine"): ("api", "view"),
    ("POST", "/v1/quarantine/{message_id}/replay"): ("api", "plan.replay"),
    ("GET", "/v1/overview"): ("api", "view"),
}
SAMPLES = {"customer_id": "c-1", "group_id": "customer-id-mapping", "digest": "0" * 16, "key": "no-such-mapping"}
SAMPLES["message_id"] = "m-1"
SAMPLES["number"] = "1"
SAMPLES["name"] = "no-such-user"
ROLES: tuple[Role, ...] = ("admin", "editor", "auditor")
CALLERS = ("signed out", *ROLES, "api-key session", "bearer")


def _api_routes(routes: Iterable[object]) -> Iterator[APIRoute]:
    """Every APIRoute, also inside included routers (FastAPI keeps those as one route holding the router)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _api_routes(inner.routes)


def _url(path: str) -> str:
    return re.sub(r"\{(\w+)(:path)?\}", lambda m: SAMPLES[m.group(1)], path)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Served]:
    limits = {"auth_failures_burst": 100_000, "key_failures_burst": 100_000}
    config = ReceiverConfig.model_validate(
        {"api_key": API_KEY, "stack": "test", "tracking_plan": "none", "limits": limits}
    )
    with served(config) as running:
        yield running


def _served_routes(receiver: Served) -> set[tuple[str, str]]:
    return {(method, route.path) for route in _api_routes(receiver.app.routes) for method in route.methods}


def test_every_route_is_classified(receiver: Served) -> None:
    routes = _served_routes(receiver) - MACHINE
    assert routes - EXPECTED.keys() == set(), "classify these routes in EXPECTED"
    assert EXPECTED.keys() - routes == set(), "these routes are gone: remove them from EXPECTED"


def _expected(kind: str, permission: Permission, caller: str) -> str:
    """ "login" (303 to /login), "401", "403" or "ok" (any answer but those)."""
    if caller == "bearer":
        return "ok" if kind in ("shared", "api") else "login" if kind == "page" else "401"
    if caller == "signed out" or kind == "api":
        return "login" if kind == "page" else "401"
    role = "admin" if caller == "api-key session" else caller
    return "ok" if allows(role, permission) else "403"


def _outcome(answer: httpx.Response) -> str:
    if answer.status_code == 303 and answer.headers["location"].startswith("/login?next="):
        return "login"
    if answer.status_code in (401, 403):
        return str(answer.status_code)
    assert answer.status_code < 500, answer.text
    return "ok"


def _callers(receiver: Served) -> dict[str, tuple[dict[str, str], str]]:
    """Each caller's headers and the CSRF token its forms carry."""
    made = {"signed out": ({}, ""), "bearer": ({"Authorization": f"Bearer {API_KEY}"}, "")}
    for caller in (*ROLES, "api-key session"):
        user = None if caller == "api-key session" else f"matrix-{caller}"
        made[caller] = session_headers(receiver, user, "admin" if user is None else caller)
    return made


def test_each_route_answers_each_caller_as_its_permission_says(receiver: Served) -> None:
    callers = _callers(receiver)
    wrong = []
    for (method, path), (kind, permission) in sorted(EXPECTED.items()):
        for caller in CALLERS:
            headers, csrf = callers[caller]
            data = {"csrf": csrf} if method == "POST" and kind == "page" else None
            answer = receiver.client.request(method, _url(path), headers=headers, data=data)
            got, want = _outcome(answer), _expected(kind, permission, caller)
            if got != want:
                wrong.append(f"{method} {path} as {caller}: {got} ({answer.status_code}), expected {want}")
    assert wrong == []


def test_a_refusal_names_the_role_and_what_it_may_not_do(receiver: Served) -> None:
    headers, csrf = _callers(receiver)["auditor"]
    page = receiver.client.post("/settings/customer-id-mapping", headers=headers, data={"csrf": csrf})
    assert page.status_code == 403 and "Your role (auditor) may not change the receiver&#39;s settings." in page.text
    data = receiver.client.get("/mappings/check-fql?q=x", headers=headers)
    assert data.status_code == 403 and data.json()["error"]["code"] == "FORBIDDEN"
