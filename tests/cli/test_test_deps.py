"""`scripts/test-deps`: each requirement checked on its own, only the missing ones installed, and
never Debian's npm over a Node.js from elsewhere. Run with `--dry-run` on made-up machines (a PATH
of fake tools), so nothing is installed here."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "test-deps"
BASH = "/bin/bash"


def machine(tmp_path: Path, tools: set[str], chromium: bool = False, postgres: bool = False) -> dict[str, str]:
    """The environment of a machine holding only `tools` on PATH (plus coreutils for the script)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in tools:
        fake = bin_dir / tool
        fake.write_text("#!/bin/sh\nexit 0\n")
        fake.chmod(0o755)
    browser = tmp_path / "chromium"
    if chromium:
        browser.write_text("#!/bin/sh\n")
        browser.chmod(0o755)
    initdb = tmp_path / "pg" / "15" / "bin" / "initdb"
    if postgres:
        initdb.parent.mkdir(parents=True)
        initdb.write_text("#!/bin/sh\n")
        initdb.chmod(0o755)
    return {
        "PATH": str(bin_dir),
        "TEST_DEPS_CHROMIUM": str(browser),
        "TEST_DEPS_POSTGRES_GLOB": str(tmp_path / "pg" / "*" / "bin" / "initdb"),
        "HOME": os.environ.get("HOME", "/root"),
    }


def dry_run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BASH, str(SCRIPT), "--dry-run"], env=env, capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize(
    ("tools", "chromium", "postgres", "expected"),
    [
        (set(), False, False, "chromium postgresql prometheus curl nodejs npm"),
        ({"node", "npm", "promtool", "curl"}, False, True, "chromium"),  # the machine: only Chromium
        ({"node", "npm", "curl"}, True, True, "prometheus"),
        ({"node", "npm", "promtool", "curl"}, True, False, "postgresql"),
        ({"node", "npm", "promtool", "curl", "initdb"}, False, False, "chromium"),  # initdb on PATH counts
        ({"node", "npm", "promtool"}, True, True, "curl"),
    ],
)
def test_only_what_is_missing_is_installed(
    tmp_path: Path, tools: set[str], chromium: bool, postgres: bool, expected: str
) -> None:
    done = dry_run(machine(tmp_path, tools, chromium, postgres))
    assert done.returncode == 0, done.stderr
    assert f"apt-get install -y -q {expected}\n" in done.stdout, done.stdout


def test_a_complete_machine_installs_nothing(tmp_path: Path) -> None:
    done = dry_run(machine(tmp_path, {"node", "npm", "promtool", "curl"}, chromium=True, postgres=True))
    assert done.returncode == 0 and "nothing to install" in done.stdout and "apt-get" not in done.stdout


@pytest.mark.parametrize("present", ["node", "npm"])
def test_half_a_node_install_is_an_error_not_debians_npm(tmp_path: Path, present: str) -> None:
    done = dry_run(machine(tmp_path, {present, "promtool", "curl"}, chromium=True, postgres=True))
    assert done.returncode == 1 and "apt-get" not in done.stdout
    assert f"found {present} but no" in done.stderr and "Debian's npm conflicts" in done.stderr


def test_the_readme_and_ci_run_it_first() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "\nscripts/test-deps && python3 -m venv .venv" in readme
    assert "{ scripts/test-deps && python3 -m venv .venv" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert os.access(SCRIPT, os.X_OK)
