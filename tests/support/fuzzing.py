"""Schemathesis over the receiver's own OpenAPI: used by the suite's bounded fuzz test and bench/fuzz_openapi.py.

Every operation is generated from the documented schema (the Tracking API's bodies included);
a share of the generated requests is given the right key, so the fuzzing reaches past
authentication. Each answer is checked for no 5xx and for conformance to the documented
response schema.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

INGEST_PATHS = ("/v1/track", "/v1/identify", "/v1/batch")


def operations(spec: dict[str, Any]) -> list[Any]:
    schema = schemathesis.openapi.from_dict(spec)
    return [result.ok() for result in schema.get_all_operations()]


def _authenticate(case: Any, api_key: str, write_key: str, rng: random.Random) -> dict[str, str]:
    """Headers for a case: mostly the right credentials (so the rules behind them are reached)."""
    path = case.operation.path
    if rng.random() < 0.15:
        return {}
    if path in INGEST_PATHS:
        import base64

        return {"Authorization": "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()}
    if isinstance(case.body, dict) and "api_key" in (case.body or {}) or path.startswith("/v1/webhook"):
        if isinstance(case.body, dict):
            case.body["api_key"] = api_key
        return {}
    return {"Authorization": f"Bearer {api_key}"}


def fuzz(
    base_url: str,
    spec: dict[str, Any],
    api_key: str,
    write_key: str,
    *,
    examples: int,
    seed: int = 0,
    derandomize: bool = True,
) -> Counter[int]:
    """Run `examples` generated requests per operation; raise on a 5xx or an answer outside the schema."""
    statuses: Counter[int] = Counter()
    rng = random.Random(seed)
    for operation in operations(spec):

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=derandomize,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            headers = _authenticate(case, api_key, write_key, rng)
            response = case.call(base_url=base_url, headers=headers, timeout=30)
            statuses[response.status_code] += 1
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

        run()
    return statuses
