"""`--help` reads well at 80 columns: no `<bool>` after flags, no option squeezed to a word per line,
no command summary cut short with `...`, every command and subcommand, through the installed command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from installed_cli import run_cli

COMMANDS = [
    [],
    ["users"],
    ["users", "add"],
    ["users", "set-pii"],
    ["audit"],
    ["audit", "verify"],
    ["audit", "export"],
    ["validate"],
    ["schemas"],
    ["presets"],
    ["map"],
    ["send"],
    ["diff"],
    ["serve"],
    ["db"],
    ["db", "upgrade"],
    ["plan"],
    ["plan", "docs"],
    ["export"],
    ["export", "segment"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "antavo-actions")
def test_help_reads_well_at_80_columns(command: list[str], tmp_path: Path) -> None:
    shown = run_cli(*command, "--help", cwd=tmp_path, env={"COLUMNS": "80"})
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].startswith(f"Usage: antavo-actions {' '.join(command)}".rstrip())
    assert "<bool>" not in shown.stdout
    assert all(len(line) <= 80 for line in lines), [line for line in lines if len(line) > 80]
    starts = [m.end() for line in lines if line.startswith("  -") and (m := re.match(r"  \S.*?\S {2,}", line))]
    assert starts and max(starts) <= 40, starts  # an option's help starts early, leaving 40 columns or more
    summaries = [line for line in lines[1:] if line.endswith("...")]
    assert not summaries, summaries


def test_the_command_list_names_every_command_in_full(tmp_path: Path) -> None:
    shown = run_cli("--help", cwd=tmp_path, env={"COLUMNS": "80"}).stdout
    listed = dict(re.findall(r"^  (\w+) +(.+)$", shown.split("Commands:")[1], flags=re.MULTILINE))
    assert set(listed) == {
        "validate",
        "schemas",
        "presets",
        "map",
        "send",
        "diff",
        "serve",
        "db",
        "plan",
        "export",
        "users",
        "audit",
    }
    assert all(summary.endswith(".") for summary in listed.values()), listed
