"""The installed `antavo-actions` console command, run in a child process as a person runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

COMMAND = Path(sys.executable).with_name("antavo-actions")
TIMEOUT = 60


def run_cli(
    *args: str, cwd: Path, env: Mapping[str, str] | None = None, input: str | None = None, timeout: float = TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """Run the command with stdout and stderr as pipes; ANTAVO_ACTIONS_HOME only when `env` sets it."""
    assert COMMAND.is_file(), f"{COMMAND} is missing: install the project (pip install -e .)"
    base = {k: v for k, v in os.environ.items() if k != "ANTAVO_ACTIONS_HOME"}
    return subprocess.run(
        [str(COMMAND), *args],
        cwd=cwd,
        env={**base, "COLUMNS": "200", **(env or {})},
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
