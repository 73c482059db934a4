"""The Node side of the Segment export proof: a workspace laid out like Segment's repository.

`lay_out` puts an exported destination where Segment's repository keeps it, with the harness
(`harness/segment/`: pinned @segment/actions-core, typescript, jest, nock, chance, and the published
@segment/action-destinations) linked in as `node_modules`; `tsc` and `jest` run there. A missing
Node, npm or `npm ci --prefix harness/segment` is a failure with the command to fix it, never a skip.

Segment's own TypeScript for this destination (its tests and snapshots, `src/lib/test-data.ts`) is
not in this repository. The few proofs that need it read it from `$SEGMENT_TYPESCRIPT` (a folder
holding `src/`), else from `shared/conformance/segment/typescript` beside the checkout; without
either, `require_segment_source` skips them with that reason, and only them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
from cases import EXTRA

ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT / "harness" / "segment"
SOURCE_VARIABLE = "SEGMENT_TYPESCRIPT"
SEGMENT_SRC = Path(os.environ.get(SOURCE_VARIABLE) or EXTRA / "segment" / "typescript") / "src"
REFERENCE = SEGMENT_SRC / "destinations" / "antavo"  # Segment's folder for this destination
PUBLISHED = HARNESS / "node_modules" / "@segment" / "action-destinations" / "dist" / "destinations" / "antavo"
INSTALL_HINT = "run the README's test command, or: apt-get install -y nodejs npm && npm ci --prefix harness/segment"
TIMEOUT = 300


def require_node() -> None:
    """Fail (not skip) with the fix when the toolchain is missing."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{' and '.join(missing)} not found: the Segment proof needs Node; {INSTALL_HINT}")
    for package in ("typescript", "jest", "ts-jest", "@segment/actions-core", "nock", "chance"):
        if not (HARNESS / "node_modules" / package / "package.json").is_file():
            pytest.fail(f"harness/segment/node_modules lacks {package}: {INSTALL_HINT}")


def require_segment_source() -> None:
    """Skip (the one skip in the suite) when Segment's TypeScript source is not at hand."""
    if not (REFERENCE / "index.ts").is_file():
        pytest.skip(
            f"needs Segment's TypeScript source for this destination (not part of this repository): "
            f"set {SOURCE_VARIABLE} to a folder holding src/destinations/antavo/ and src/lib/test-data.ts "
            f"(segmentio/action-destinations/packages/destination-actions), looked in {SEGMENT_SRC.parent}"
        )


def reference_tests() -> list[Path]:
    """Segment's test files and snapshots for this destination, relative to its folder."""
    return sorted(p.relative_to(REFERENCE) for p in REFERENCE.rglob("*") if p.is_file() and "__tests__" in p.parts)


def lay_out(workspace: Path, files: Mapping[str, str], with_segment_tests: bool = False) -> Path:
    """Write the export (and, when asked, Segment's own tests) into `workspace`; returns the
    destination's folder."""
    destination = workspace / "src" / "destinations" / "antavo"
    for relative, text in files.items():
        path = destination / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (workspace / "harness").mkdir(exist_ok=True)
    shutil.copyfile(HARNESS / "conformance.test.ts", workspace / "harness" / "conformance.test.ts")
    (workspace / "node_modules").symlink_to(HARNESS / "node_modules", target_is_directory=True)
    tsconfig = {"extends": str(HARNESS / "tsconfig.json"), "include": ["src/**/*.ts", "harness/**/*.ts"]}
    (workspace / "tsconfig.json").write_text(json.dumps(tsconfig, indent=2), encoding="utf-8")
    if with_segment_tests:
        _add_segment_tests(workspace, destination)
    return destination


def _add_segment_tests(workspace: Path, destination: Path) -> None:
    for relative in reference_tests():
        target = destination / relative
        if target.exists():
            raise AssertionError(f"the export writes {relative}, which is one of Segment's own test files")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REFERENCE / relative, target)
    lib = workspace / "src" / "lib"
    lib.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SEGMENT_SRC / "lib" / "test-data.ts", lib / "test-data.ts")


def run(
    command: list[str], env: Mapping[str, str] | None = None, cwd: Path = HARNESS
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def tsc(workspace: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """`tsc --strict` over the workspace with Segment's compiler options (`--noEmit` unless other
    output options are given)."""
    binary = HARNESS / "node_modules" / "typescript" / "bin" / "tsc"
    return run(["node", str(binary), *(options or ("--noEmit",)), "--strict", "-p", str(workspace / "tsconfig.json")])


def jest(workspace: Path, destination: Path, cases: Iterable[Mapping[str, Any]]) -> tuple[dict[str, Any], str]:
    """Run every test in the workspace (Segment's, the export's, the conformance replay) once.

    Returns jest's JSON report and its console output.
    """
    cases_file = workspace / "cases.jsonl"
    cases_file.write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    report = workspace / "jest-report.json"
    env = {
        "SEGMENT_WORKSPACE": str(workspace),
        "SEGMENT_DESTINATION": str(destination / "index"),
        "CONFORMANCE_CASES": str(cases_file),
        "CONFORMANCE_RESULTS": str(workspace / "results.jsonl"),
    }
    binary = HARNESS / "node_modules" / "jest" / "bin" / "jest.js"
    command = ["node", str(binary), "--config", str(HARNESS / "jest.config.js"), "--ci", "--runInBand", "--json"]
    done = run([*command, "--outputFile", str(report)], env)
    if not report.is_file():
        raise AssertionError(f"jest wrote no report (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
    return json.loads(report.read_text(encoding="utf-8")), done.stderr


def conformance_results(workspace: Path) -> dict[str, dict[str, Any]]:
    path = workspace / "results.jsonl"
    if not path.is_file():
        return {}
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {row.pop("id"): row for row in rows}
