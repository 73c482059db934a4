"""Schemathesis against the receiver's own OpenAPI, bounded: no 5xx, no answer outside the documented schema.

The ≥ 20,000-case run is `bench/fuzz_openapi.py`; this one keeps the suite fast.
"""

from __future__ import annotations

import httpx
from fuzzing import fuzz
from served import on_every_store

pytest_generate_tests = on_every_store

EXAMPLES_PER_OPERATION = 25


def test_every_operation_answers_within_its_schema_and_never_5xx(start_receiver):
    receiver = start_receiver(limits={"auth_failures_burst": 10**6, "key_failures_burst": 10**6})
    spec = httpx.get(f"{receiver.base_url}/openapi.json", timeout=10).json()
    assert {"/v1/track", "/v1/identify", "/v1/batch"} <= set(spec["paths"])
    statuses = fuzz(receiver.base_url, spec, receiver.api_key, receiver.write_key, examples=EXAMPLES_PER_OPERATION)
    assert sum(statuses.values()) >= 5 * EXAMPLES_PER_OPERATION
    assert not any(status >= 500 for status in statuses)
    assert any(200 <= status < 300 for status in statuses)  # the fuzzing got past authentication
