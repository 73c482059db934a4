"""Any body to the Tracking API gets 200, 400 or 401 — never a 500 — in one consistent shape.

On a real receiver over loopback, once per store (memory, a SQLite file, PostgreSQL). Bodies are mostly near-valid Segment calls (so most get past
authentication and the size checks into mapping and the webhook), sometimes any JSON or bytes.
A refused call must have changed nothing.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from served import BACKENDS, Served, served, store_url
from strategies import FINITE_FLOATS, json_scalars, json_trees, mostly

from receiver.config import ReceiverConfig

WRITE_KEY = "property-write-key-31f0"
ROUTES = ("/v1/track", "/v1/identify", "/v1/batch")


scalars = json_scalars(ints=st.integers(-(10**20), 10**20), floats=FINITE_FLOATS, text=st.text(max_size=12))
json_values = json_trees(scalars, st.text(max_size=8), size=4, leaves=16)
instants = st.sampled_from(
    [
        "2024-05-01T12:00:00Z",
        "2024-05-01T12:00:00.123+02:00",
        "2024-05-01",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "2024-13-01T00:00:00Z",
        "now",
    ]
)
properties = st.fixed_dictionaries(
    {},
    optional={
        "points": mostly(st.integers(-5, 80), scalars),
        "order_id": mostly(st.sampled_from(["o1", "o2"]), scalars),
        "total": mostly(st.floats(0, 500, allow_nan=False), scalars),
        "loyalty_consent": mostly(st.just(True), scalars),
        "source": scalars,
        "reason": scalars,
    },
)
message_fields = {
    "type": mostly(st.sampled_from(["track", "identify", "page", "group", "alias"]), scalars),
    "userId": mostly(st.sampled_from(["u1", "u2"]), scalars | st.just("")),
    "anonymousId": mostly(st.sampled_from(["a1"]), scalars),
    "event": mostly(st.sampled_from(["Points Earned", "Order Completed", "Signed Up", "Other"]), scalars),
    "properties": mostly(properties, json_values),
    "traits": mostly(st.fixed_dictionaries({}, optional={"birthday": instants, "tier": scalars}), json_values),
    "context": json_values,
    "integrations": mostly(st.sampled_from([{}, {"All": False}, {"Antavo (Actions)": False}]), json_values),
    "messageId": mostly(st.sampled_from(["m1", "m2", "m3"]), scalars | st.just("x" * 300)),
    "timestamp": mostly(instants, scalars),
    "sentAt": mostly(instants, scalars),
    "writeKey": mostly(st.just(WRITE_KEY), scalars),
}
anything = st.fixed_dictionaries({}, optional=message_fields)
good = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["track", "identify", "page"]),
        "userId": st.sampled_from(["u1", "u2", "u3"]),
        "event": st.sampled_from(["Points Earned", "Order Completed", "Signed Up", "Other"]),
        "properties": properties,
    },
    optional={
        "traits": st.fixed_dictionaries({}, optional={"birthday": instants, "tier": st.text(max_size=5)}),
        "messageId": st.sampled_from(["m1", "m2", "m3", "m4", "m5", "m6"]),
        "timestamp": st.sampled_from(["2024-05-01T12:00:00Z", "2024-05-01T12:00:00.123+02:00"]),
        "integrations": st.sampled_from([{}, {"All": False}, {"Antavo (Actions)": False}]),
    },
)
messages = mostly(good, anything)
batch_items = st.integers(0, 9).flatmap(lambda n: anything if n == 0 else good)
batches = st.fixed_dictionaries(
    {"batch": mostly(st.lists(batch_items, max_size=5), json_values)},
    optional={
        "sentAt": mostly(st.sampled_from(["2024-05-01T12:00:01Z", "2024-05-01T11:00:00-01:00"]), instants),
        "context": mostly(st.just({"library": {"name": "p"}}), json_values),
        "integrations": mostly(st.sampled_from([{}, {"All": False, "Antavo (Actions)": True}]), json_values),
        "writeKey": scalars,
    },
)


def encoded(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return strategy.map(lambda value: json.dumps(value).encode())


others = encoded(json_values) | st.binary(max_size=40)
requests = st.one_of(
    st.tuples(st.sampled_from(ROUTES[:2]), mostly(encoded(messages), others | encoded(batches))),
    st.tuples(st.just(ROUTES[2]), mostly(encoded(batches), others | encoded(messages))),
)


def basic(user: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:".encode()).decode()}


auth_headers = mostly(
    st.just(basic(WRITE_KEY)),
    st.sampled_from([{}, basic("wrong"), {"Authorization": "Basic ***"}, {"Authorization": "Bearer t"}]),
)


@pytest.fixture(scope="module", params=BACKENDS)
def receiver(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One real receiver per store for all the examples (a durable store's connections live on its loop)."""
    config = ReceiverConfig(
        api_key="property-api-key-2b7e",
        write_key=WRITE_KEY,
        stack="p",
        log_size=200,
        limits={"auth_failures_burst": 10**9},  # rate limiting has its own tests
        store={"url": store_url(request, tmp_path_factory.mktemp(request.param))},
    )
    with served(config) as running:
        assert running.store.name == request.param
        yield running


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(request=requests, headers=auth_headers)
def test_any_body_gets_200_400_or_401_in_one_shape(receiver, request, headers):
    path, content = request
    stats = receiver.app.state.ingest.fanout.stats
    writes, accepted = receiver.call(receiver.store.event_count()), stats.accepted
    response = receiver.client.post(path, content=content, headers={"Content-Type": "application/json", **headers})
    body = response.json()
    event(f"{path} {response.status_code} {body.get('code', '')}")
    assert response.status_code in (200, 400, 401)
    assert WRITE_KEY not in response.text
    if response.status_code == 200:
        assert body == {"success": True}
        return
    assert set(body) == {"success", "code", "message", "error"} and body["success"] is False
    assert body["error"] == {"code": body["code"], "message": body["message"], "field": body["error"]["field"]}
    assert all(isinstance(value, str) and value for value in (body["code"], body["message"]))
    field = body["error"]["field"]
    assert field is None or (isinstance(field, str) and field)  # a path, or null (never "")
    assert (receiver.call(receiver.store.event_count()), stats.accepted) == (writes, accepted)
