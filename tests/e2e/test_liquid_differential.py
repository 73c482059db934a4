"""`@liquid` against liquidjs, live: random templates from the whole grammar Segment enables (malformed
ones and keyword-named properties included) over random events go through our runtime and through
Segment's (`node harness/segment/record.js`, liquidjs 10.30.1 via @segment/actions-core), and the
output or error message must be equal.

The default run is a small sample; `LIQUID_EXAMPLES=20000` (with `--hypothesis-seed=N`) runs it long.
`python bench/liquid_agreement.py` counts agreement over a fixed sample without stopping at the first
miss. A disagreement found is fixed and its case appended to
`tests/conformance/liquid/found_by_differential.jsonl`, then re-recorded.
"""

from __future__ import annotations

import json
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from liquid_inputs import liquid_cases
from segment_peer import SegmentPeer

from destination.conformance.runner import run_case, same
from destination.definition.model import load_definition

DEFINITION = load_definition()
EXAMPLES = int(os.environ.get("LIQUID_EXAMPLES", "300"))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)
@given(case=liquid_cases())
def test_liquid_renders_as_liquidjs_does(segment: SegmentPeer, case: dict[str, Any]) -> None:
    [theirs] = segment.ask([case])
    ours = {k: v for k, v in run_case(case, DEFINITION).items() if k != "id"}
    assert same(ours, theirs), f"case {json.dumps(case)}\nliquidjs: {json.dumps(theirs)}\nours:     {json.dumps(ours)}"
