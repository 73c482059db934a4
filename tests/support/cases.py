"""Where Segment's recorded answers live, and how tests read them.

Several test modules replay the conformance cases (each through a different entry point);
they share one loader so that they all see the same files in the same order.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

CONFORMANCE = Path(__file__).resolve().parents[3] / "shared" / "conformance"
if not CONFORMANCE.is_dir():
    raise FileNotFoundError(
        f"Segment's recorded cases are missing: looked for {CONFORMANCE} "
        "(the shared/ folder beside this checkout; see shared/conformance/README.md)"
    )
SEGMENT = CONFORMANCE / "segment"  # what Segment publishes: definition.json and the derived schemas
# Every case file, in subfolders too (liquid/liquid.jsonl): a folder added there is read without a code change.
CASE_FILES = sorted(CONFORMANCE.rglob("*.jsonl"))


def load_cases(kind: str | None = None, files: Iterable[Path] = CASE_FILES) -> list[dict[str, Any]]:
    """The recorded cases (of one `kind`, or all), file by file, in recording order."""
    cases = []
    for path in files:
        with path.open(encoding="utf-8") as lines:
            cases += [json.loads(line) for line in lines if line.strip()]
    return [case for case in cases if kind is None or case["kind"] == kind]
