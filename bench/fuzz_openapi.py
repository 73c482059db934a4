"""A long schemathesis run over every operation of the receiver's OpenAPI (≥ 20,000 cases by default).

The suite runs a bounded version (tests/receiver/test_openapi_fuzz.py); this one runs the
same generator and checks (no 5xx, answers within the documented schema) for `--cases`
requests in total, spread evenly over the operations, against `antavo-actions serve` in a
child process, and prints the count per status.

    python bench/fuzz_openapi.py [--cases 20000]
"""

from __future__ import annotations

import argparse
import math
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "support"))

from fuzzing import fuzz, operations  # noqa: E402

API_KEY = "bench-fuzz-api-key-000001"
WRITE_KEY = "bench-fuzz-write-key-00001"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=20_000)
    args = parser.parse_args()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "ANTAVO_API_KEY": API_KEY,
        "ANTAVO_WRITE_KEY": WRITE_KEY,
        "ANTAVO_LIMITS_AUTH_FAILURES_BURST": "100000000",
        "ANTAVO_LIMITS_KEY_FAILURES_BURST": "100000000",
    }
    code = "import typer; from antavo_actions.cli.serve import serve; typer.run(serve)"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "--port", str(port), "--log-level", "error"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                spec = httpx.get(f"{base}/openapi.json", timeout=2).json()
                break
            except httpx.TransportError:
                time.sleep(0.1)
        count = len(operations(spec))
        per_operation = math.ceil(args.cases / count)
        started = time.monotonic()
        statuses: Counter[int] = Counter()
        rounds = 0
        # Operations with few possible inputs yield fewer cases than asked: run fresh rounds until the total is met.
        while sum(statuses.values()) < args.cases:
            rounds += 1
            statuses += fuzz(base, spec, API_KEY, WRITE_KEY, examples=per_operation, seed=rounds, derandomize=False)
            per_operation = math.ceil((args.cases - sum(statuses.values())) / count)
        took = time.monotonic() - started
    finally:
        proc.terminate()
        _, errors = proc.communicate(timeout=30)
    total = sum(statuses.values())
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    print(
        f"{total} cases over {count} operations ({rounds} round(s)) in {took:.0f} s; by status: {dict(sorted(statuses.items()))}"
    )
    print(f"5xx: {server_errors}; tracebacks in the server's output: {errors.count('Traceback')}")
    sys.exit(1 if server_errors or total < args.cases else 0)


if __name__ == "__main__":
    main()
