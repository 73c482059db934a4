"""Differential test against Segment, live: generated triggers, mappings (every directive, `@liquid`
included), events and action runs go through our runtime and through Segment's (a long-lived
`node harness/segment/record.js`), and the answers must be equal as JSON.

The default run keeps the example count modest; `DIFFERENTIAL_EXAMPLES=5000` runs it long. A
disagreement found here is fixed in the runtime and its case appended to
`tests/conformance/found_by_differential.jsonl` (then re-recorded), so it stays a regression case.
"""

from __future__ import annotations

import json
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from segment_inputs import cases
from segment_peer import SegmentPeer

from destination.conformance.runner import run_case, same
from destination.definition.model import load_definition

DEFINITION = load_definition()
EXAMPLES = int(os.environ.get("DIFFERENTIAL_EXAMPLES", "300"))


@settings(max_examples=EXAMPLES, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(case=cases())
def test_our_runtime_answers_as_segments_does(segment: SegmentPeer, case: dict[str, Any]) -> None:
    [theirs] = segment.ask([case])
    ours = {k: v for k, v in run_case(case, DEFINITION).items() if k != "id"}
    assert same(ours, theirs), f"case {json.dumps(case)}\nSegment: {json.dumps(theirs)}\nours:    {json.dumps(ours)}"
