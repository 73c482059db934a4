"""How often `@liquid` here agrees with liquidjs through Segment's runtime, over a fixed random sample.

Draws `--cases` templates × events from the differential test's strategy (tests/support/
liquid_inputs.py) with `--seed`, asks Segment's runtime (`node harness/segment/record.js`) and ours,
and prints the agreement and the first disagreements. `--write FILE` appends the disagreeing cases
(without `expect`) for the conformance corpus; re-record them with record.js --rerecord.

    python bench/liquid_agreement.py [--cases 1000] [--seed 1] [--show 20] [--write FILE]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "support"))

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from liquid_inputs import liquid_cases  # noqa: E402
from segment_peer import start_peer  # noqa: E402

from destination.conformance.runner import run_case, same  # noqa: E402
from destination.definition.model import load_definition  # noqa: E402


def draw_cases(count: int, chosen_seed: int) -> list[dict]:
    drawn: list[dict] = []

    @seed(chosen_seed)
    @settings(max_examples=count, database=None, deadline=None, phases=["generate"],
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(liquid_cases())
    def collect(case: dict) -> None:
        drawn.append(case)

    collect()
    return drawn


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--show", type=int, default=20)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    random.seed(args.seed)
    cases = draw_cases(args.cases, args.seed)
    definition = load_definition()
    peer = start_peer()
    try:
        theirs = peer.ask(cases)
    finally:
        peer.close()
    misses = []
    for case, answer in zip(cases, theirs, strict=True):
        ours = {k: v for k, v in run_case(case, definition).items() if k != "id"}
        if not same(ours, answer):
            misses.append((case, answer, ours))
    agreed = len(cases) - len(misses)
    print(f"agreement: {agreed}/{len(cases)} ({100 * agreed / len(cases):.1f} %), seed {args.seed}")
    for case, answer, ours in misses[: args.show]:
        print(f"- {json.dumps(case['mapping']['value']['@liquid'], ensure_ascii=False)}")
        print(f"  liquidjs: {json.dumps(answer, ensure_ascii=False)[:300]}")
        print(f"  ours:     {json.dumps(ours, ensure_ascii=False)[:300]}")
    if args.write:
        with args.write.open("a", encoding="utf-8") as out:
            for case, _, _ in misses:
                out.write(json.dumps(case, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
