"""The Node side of the Segment export proof: a workspace laid out like Segment's repository.

`lay_out` puts an exported destination where Segment's own tests for it expect it, beside
those tests (copied unchanged, snapshots included) and `src/lib/test-data.ts`, with the
harness (`harness/segment/`: pinned @segment/actions-core, typescript, jest, nock, chance)
linked in as `node_modules`. `tsc` and `jest` run there. A missing Node, npm or
`npm ci --prefix harness/segment` is a failure with the command to fix it, never a skip.
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
from cases import CONFORMANCE

ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT / "harness" / "segment"
SEGMENT_SRC = CONFORMANCE / "segment" / "typescript" / "src"
REFERENCE = SEGMENT_SRC / "destinations" / "antavo"  # Segment's folder for this destination
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


def reference_tests() -> list[Path]:
    """Segment's test files and snapshots for this destination, relative to its folder."""
    return sorted(p.relative_to(REFERENCE) for p in REFERENCE.rglob("*") if p.is_file() and "__tests__" in p.parts)


def lay_out(workspace: Path, files: Mapping[str, str]) -> Path:
    """Write the export and Segment's tests into `workspace`; returns the destination's folder."""
    destination = workspace / REFERENCE.relative_to(SEGMENT_SRC.parent)
    for relative, text in files.items():
        path = destination / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for relative in reference_tests():
        target = destination / relative
        if target.exists():
            raise AssertionError(f"the export writes {relative}, which is one of Segment's own test files")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REFERENCE / relative, target)
    lib = workspace / "src" / "lib"
    lib.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SEGMENT_SRC / "lib" / "test-data.ts", lib / "test-data.ts")
    (workspace / "harness").mkdir(exist_ok=True)
    shutil.copyfile(HARNESS / "conformance.test.ts", workspace / "harness" / "conformance.test.ts")
    (workspace / "node_modules").symlink_to(HARNESS / "node_modules", target_is_directory=True)
    tsconfig = {"extends": str(HARNESS / "tsconfig.json"), "include": ["src/**/*.ts", "harness/**/*.ts"]}
    (workspace / "tsconfig.json").write_text(json.dumps(tsconfig, indent=2), encoding="utf-8")
    return destination


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


def tsc(workspace: Path) -> subprocess.CompletedProcess[str]:
    """`tsc --noEmit --strict` over the workspace, with Segment's compiler options."""
    binary = HARNESS / "node_modules" / "typescript" / "bin" / "tsc"
    return run(["node", str(binary), "--noEmit", "--strict", "-p", str(workspace / "tsconfig.json")])


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
