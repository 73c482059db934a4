"""`antavo-actions users set-pii` through the installed command on a SQLite file: it grants and takes away
a user's PII access (the store keeps it, `users list` shows it), refuses a word other than on/off and an
unknown user."""

from __future__ import annotations

from pathlib import Path

from installed_cli import run_cli

URL = "sqlite:///users.db"


def test_set_pii_grants_and_takes_away_pii_access(tmp_path: Path) -> None:
    assert run_cli("db", "upgrade", "--store", URL, cwd=tmp_path).returncode == 0
    for name, role in (("au", "auditor"), ("root", "admin")):
        assert run_cli("users", "add", name, "--role", role, "--store", URL, cwd=tmp_path).returncode == 0

    def listed() -> list[str]:
        return [
            line.split("\t")[-1] for line in run_cli("users", "list", "--store", URL, cwd=tmp_path).stdout.splitlines()
        ]

    assert listed() == ["PII: masked", "PII: shown (admin)"]
    on = run_cli("users", "set-pii", "au", "on", "--store", URL, cwd=tmp_path)
    assert on.returncode == 0 and on.stdout == "user au: PII access on\n", on.stderr
    assert listed() == ["PII: shown", "PII: shown (admin)"]
    off = run_cli("users", "set-pii", "au", "OFF", "--store", URL, cwd=tmp_path)
    assert off.returncode == 0 and off.stdout == "user au: PII access off\n"
    assert listed() == ["PII: masked", "PII: shown (admin)"]
    bad = run_cli("users", "set-pii", "au", "maybe", "--store", URL, cwd=tmp_path)
    assert bad.returncode == 2 and "PII access must be 'on' or 'off', not 'maybe'" in bad.stderr
    nobody = run_cli("users", "set-pii", "zed", "on", "--store", URL, cwd=tmp_path)
    assert nobody.returncode == 1 and "no user named 'zed'" in nobody.stderr
    trail = run_cli("audit", "list", "--store", URL, "--action", "user.pii", cwd=tmp_path)
    rows = [line.split("\t") for line in trail.stdout.splitlines()]
    assert trail.returncode == 0 and [(cells[2], cells[5], cells[6]) for cells in rows] == [
        ("cli", "user.pii", "au"),
        ("cli", "user.pii", "au"),
    ]
