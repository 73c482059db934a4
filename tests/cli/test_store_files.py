"""The SQLite files a new user makes: `serve` on a file that is not there yet leaves nothing behind, and
`db upgrade`'s file in the project folder is ignored by git (issue 29.11)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from installed_cli import run_cli

ROOT = Path(__file__).resolve().parents[2]
ENV = {"ANTAVO_API_KEY": "test-key-0123456789"}


def test_serve_on_a_missing_sqlite_file_says_how_to_create_it_and_creates_nothing(tmp_path: Path) -> None:
    result = run_cli("serve", "--port", "0", "--store", "sqlite:///receiver.db", cwd=tmp_path, env=ENV)
    assert result.returncode != 0
    assert "sqlite:///receiver.db does not exist yet" in result.stderr, result.stderr
    assert "antavo-actions db upgrade --store sqlite:///receiver.db" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_db_upgrade_creates_the_file_and_serve_then_checks_it(tmp_path: Path) -> None:
    upgraded = run_cli("db", "upgrade", "--store", "sqlite:///receiver.db", cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert (tmp_path / "receiver.db").stat().st_size > 0


def test_store_files_in_the_project_folder_are_ignored_by_git() -> None:
    names = ["receiver.db", "receiver.db-wal", "receiver.db-shm", "data/loyalty.db"]
    checked = subprocess.run(
        ["git", "check-ignore", "--no-index", *names], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert checked.stdout.split() == names, checked
