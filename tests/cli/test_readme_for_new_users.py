"""The README as a new user follows it (issue 16): its examples show their real output and say why,
the conformance command leaves no untracked file, and the ingest benchmark says what it needs."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

from installed_cli import run_cli

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
GITHUB_EXAMPLE = "antavo-actions validate mappings/ --multi-accounts --format github"


def shown_output(command: str) -> list[str]:
    """The lines the README shows under `$ command`, up to the next prompt or the block's end."""
    block = re.search(r"^\$ " + re.escape(command) + r"\n(.*?)(?=^\$ |^```)", README, re.M | re.S)
    assert block, f"the README does not show `{command}`"
    return block.group(1).splitlines()


def test_the_multi_accounts_example_shows_its_real_output_and_explains_it() -> None:
    result = run_cli(*shlex.split(GITHUB_EXAMPLE)[1:], cwd=ROOT)
    assert result.returncode == 1 and shown_output(GITHUB_EXAMPLE) == result.stdout.splitlines()
    before = README[: README.index("$ " + GITHUB_EXAMPLE)]
    assert "Multi-accounts module on" in before[-600:] and "unmapped" in before[-600:]


def test_the_conformance_command_says_where_cases_come_from_and_writes_an_ignored_file() -> None:
    section = README[README.index("## Conformance with Segment") :].split("\n## ", 1)[0]
    assert "recorded by running Segment's published packages" in section and "record.js --rerecord" in section
    [command] = re.findall(r"^\$ (python -m destination\.conformance .*)$", section, re.M)
    target = command.split(">", 1)[1].strip()
    ignored = subprocess.run(["git", "check-ignore", "-q", target], cwd=ROOT, check=False)
    assert ignored.returncode == 0, f"{target} would show as untracked"


def test_the_ingest_benchmark_says_how_to_get_segments_library() -> None:
    section = README[README.index("## Benchmarks") :]
    assert "bench/ingest_load.py" in section and "segment-analytics-python" in section
    code = (
        "import runpy, sys; sys.modules['segment'] = None; sys.argv = ['ingest_load.py']; "
        "runpy.run_path('bench/ingest_load.py', run_name='__main__')"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "pip install segment-analytics-python" in result.stderr
