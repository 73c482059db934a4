"""Any body gets a well-formed answer, never a 500, and only an accepted one changes the store.

On a real receiver over loopback, once per store (memory, a SQLite file, PostgreSQL): bad input gets the
same answers whichever store keeps the data.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from served import BACKENDS, Served, served, store_url
from strategies import FINITE_FLOATS, json_scalars, json_trees, mostly

WEBHOOK = "/v1/webhook/segment"
DOCUMENTED = {202, 400, 401, 409, 413, 415, 422}
KEY = "property-test-key"


scalars = json_scalars(ints=st.integers(-(10**20), 10**20), floats=FINITE_FLOATS, text=st.text(max_size=20))
json_values = json_trees(scalars, st.text(max_size=10), size=4, leaves=20)
names = st.sampled_from(["point_add", "point_subtract", "checkout", "opt_in", "opt_out", "profile", "custom", ""])
data_values = st.fixed_dictionaries(
    {},
    optional={
        "points": mostly(st.integers(-2, 50), scalars),
        "reason": scalars,
        "transaction_id": mostly(st.sampled_from(["t1", "t2"]), st.just("") | scalars),
        "total": mostly(st.floats(0, 1000, allow_nan=False), scalars),
        "birth_date": mostly(st.sampled_from(["1990-01-01", "1990-02-30"]), scalars),
        "first_name": scalars,
        "tier": json_values,
    },
)
near_valid = st.fixed_dictionaries(
    {
        "customer": mostly(st.sampled_from(["u1", "u2"]), st.just("") | scalars),
        "api_key": mostly(st.just(KEY), st.sampled_from(["wrong", ""]) | scalars),
        "account": mostly(st.just("acc-1"), st.sampled_from(["", "nope"]) | scalars),
        "action": mostly(names, scalars),
        "data": mostly(data_values, json_values),
    },
    optional={"messageId": scalars},
).map(lambda body: {k: v for k, v in body.items() if v is not None})
bodies = mostly(
    near_valid.map(lambda b: json.dumps(b).encode()),
    json_values.map(lambda v: json.dumps(v).encode()) | st.binary(max_size=64),
)
content_types = mostly(st.just("application/json"), st.sampled_from(["application/json; charset=utf-8", "text/plain"]))
idempotency = mostly(st.just({}), st.sampled_from(["k1", "k2", "", "x" * 300]).map(lambda k: {"Idempotency-Key": k}))
headers = st.builds(lambda ct, extra: {"Content-Type": ct, **extra}, content_types, idempotency)


@pytest.fixture(scope="module", params=BACKENDS)
def receiver(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One real receiver per store for all the examples (a durable store's connections live on its loop)."""
    from receiver.config import ReceiverConfig

    # Rate limiting of failed keys has its own tests: here every wrong key must reach the key check.
    config = ReceiverConfig(
        api_key=KEY,
        multi_accounts=True,
        accounts=["acc-1"],
        max_body_bytes=512,
        limits={"auth_failures_burst": 10**9},
        store={"url": store_url(request, tmp_path_factory.mktemp(request.param))},
    )
    with served(config) as running:
        assert running.store.name == request.param
        yield running


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=bodies, request_headers=headers)
def test_any_body_gets_a_documented_answer(receiver, content, request_headers):
    before = receiver.call(receiver.store.event_count())
    response = receiver.client.post(WEBHOOK, content=content, headers=request_headers)
    event(f"status {response.status_code} {response.json().get('error', {}).get('code', '')}")
    assert response.status_code in DOCUMENTED
    body = response.json()
    if response.status_code == 202:
        assert body["status"] == "accepted" and isinstance(body["id"], str)
        replayed = response.headers.get("Idempotent-Replayed") == "true"
        assert receiver.call(receiver.store.event_count()) == before + (0 if replayed else 1)
    else:
        assert set(body) == {"error"}
        assert set(body["error"]) == {"code", "message", "field"}
        assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str)
        assert body["error"]["field"] is None or (isinstance(body["error"]["field"], str) and body["error"]["field"])
        assert receiver.call(receiver.store.event_count()) == before
