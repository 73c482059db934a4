"""The README's first screen: two commands, and CI runs the second one verbatim."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def first_screen_commands() -> list[str]:
    head = README.split("\n---\n", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", head, re.S)]


def test_first_screen_has_exactly_two_commands() -> None:
    run, test = first_screen_commands()
    assert "pip install" in run and run.endswith("antavo-actions serve")
    assert "pip install" in test and test.endswith(".venv/bin/pytest")


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    _, test = first_screen_commands()
    assert f"{{ {test}; }} || exit 1" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
