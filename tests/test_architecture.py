"""The house rules, checked by their tools: import contracts, ruff (lint and format) and mypy.

Each tool reads its configuration from pyproject.toml, so a developer runs the same check by
hand (`lint-imports`, `ruff check .`, `ruff format --check .`, `mypy`).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

CHECKS = {
    "import contracts": [str(BIN / "lint-imports")],
    "ruff lint": [str(BIN / "ruff"), "check", "."],
    "ruff format": [str(BIN / "ruff"), "format", "--check", "."],
    "mypy": [str(BIN / "mypy")],
}


@pytest.mark.parametrize("name", CHECKS)
def test_clean(name: str) -> None:
    result = subprocess.run(CHECKS[name], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{name} is not clean:\n{result.stdout}\n{result.stderr}"


def test_destination_never_imports_the_receiver_even_lazily() -> None:
    """import-linter sees imports inside functions too; this double-checks at run time."""
    code = (
        "import sys, destination.delivery.pipeline, destination.lint.checks, destination.conformance.runner; "
        "print([m for m in sys.modules if m.split('.')[0] in ('receiver', 'antavo_actions')])"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr
