"""Where Segment's recorded answers live, and how tests read them.

The corpus is the repository's own (`tests/conformance/`, recorded by `harness/segment/record.js`
from Segment's published packages). A `shared/conformance/` folder beside the checkout, when one
exists, is one optional extra source: its cases whose IDs the corpus lacks are read too, never
required. Several test modules replay the cases (each through a different entry point); they share
this one loader so that they all see the same cases in the same order.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE = ROOT / "tests" / "conformance"
EXTRA = ROOT.parent / "shared" / "conformance"  # optional: more recorded cases, read when present
SEGMENT = CONFORMANCE / "segment"  # what Segment publishes: definition.json and the derived schemas


def _case_files(folder: Path) -> list[Path]:
    # Subfolders too (liquid/liquid.jsonl): a folder added there is read without a code change.
    return sorted(folder.rglob("*.jsonl")) if folder.is_dir() else []


CORPUS_FILES = _case_files(CONFORMANCE)  # the repository's own
CASE_FILES = CORPUS_FILES + _case_files(EXTRA)


def load_cases(kind: str | None = None, files: Iterable[Path] = CASE_FILES) -> list[dict[str, Any]]:
    """The recorded cases (of one `kind`, or all), file by file, in recording order; the first
    case with an ID wins, so the optional extra source only adds cases the corpus lacks."""
    cases: dict[str, dict[str, Any]] = {}
    for path in files:
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    case = json.loads(line)
                    cases.setdefault(case["id"], case)
    return [case for case in cases.values() if kind is None or case["kind"] == kind]
