"""`antavo-actions audit` on a real SQLite file: verify passes an intact trail and names the seq of a record
changed or removed behind the receiver's back (edited with sqlite3 itself); list and export read it."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from antavo_actions.cli.app import build_app
from receiver.core.audit import Actor
from receiver.store import config_state_for, make_store
from receiver.store.audit import FieldChange, digest, entry_from_fields
from receiver.store.limits import StoreLimits


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(build_app(), list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def trail(tmp_path: Path) -> tuple[str, Path]:
    """A store with six audit records: two user changes by the CLI, four by a page session."""
    path = tmp_path / "receiver.db"
    url = f"sqlite:///{path}"
    assert _cli("db", "upgrade", "--store", url)[0] == 0
    assert _cli("users", "add", "ann", "--role", "editor", "--store", url)[0] == 0
    assert _cli("users", "set-role", "ann", "auditor", "--store", url)[0] == 0

    async def main() -> None:
        store = make_store(url, StoreLimits())
        await store.open()
        try:
            state = config_state_for(store)
            ann = Actor("ann", "editor", "192.0.2.7")
            for n in range(4):
                change = FieldChange("outbound.region", "us", '=HYPERLINK("x")' if n == 3 else f"eu{n}")
                what = "=SUM(A1) saved" if n == 3 else f"Settings {n}"
                await state.save_settings({"n": n}, ann.entry("settings.save", what, target="@x", changes=[change]))
        finally:
            await store.close()

    asyncio.run(main())
    return url, path


def test_an_untouched_trail_verifies_and_the_user_changes_are_in_it(trail: tuple[str, Path]):
    url, _ = trail
    code, out, _ = _cli("audit", "verify", "--store", url)
    assert code == 0 and "OK: 6 audit record(s) verified" in out
    code, out, _ = _cli("audit", "list", "--store", url, "--actor", "cli")
    lines = [line.split("\t") for line in out.splitlines()]
    assert code == 0 and [(cells[0], cells[2], cells[5], cells[6]) for cells in lines] == [
        ("2", "cli", "user.role", "ann"),
        ("1", "cli", "user.add", "ann"),
    ]


def _sql(path: Path, statement: str) -> None:
    with sqlite3.connect(path) as db:
        assert db.execute(statement).rowcount == 1


@pytest.mark.parametrize(
    ("statement", "named"),
    [
        ("UPDATE audit_records SET what = 'Settings nothing' WHERE seq = 4", "TAMPERED seq 4: changed"),
        ("UPDATE audit_records SET changes = '[]' WHERE seq = 3", "TAMPERED seq 3: changed"),
        ("DELETE FROM audit_records WHERE seq = 3", "TAMPERED seq 3: missing"),
        ("DELETE FROM audit_records WHERE seq = 6", "TAMPERED seq 6: missing"),
    ],
    ids=["text edited", "changes edited", "middle row deleted", "newest row deleted"],
)
def test_a_record_changed_or_removed_in_the_file_fails_verify_naming_its_seq(
    trail: tuple[str, Path], statement: str, named: str
):
    url, path = trail
    _sql(path, statement)
    code, out, err = _cli("audit", "verify", "--store", url)
    assert code == 1 and named in out and "1 problem(s)" in err, (out, err)


def test_a_rewritten_record_with_a_fresh_hash_breaks_the_next_link(trail: tuple[str, Path]):
    url, path = trail

    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        row = dict(db.execute("SELECT * FROM audit_records WHERE seq = 2").fetchone())
        row["changes"], row["what"] = json.loads(row["changes"]), "User ann: nothing"
        forged = digest(row["prev_hash"], 2, entry_from_fields(row))
        db.execute("UPDATE audit_records SET what = ?, hash = ? WHERE seq = 2", (row["what"], forged))
    code, out, _ = _cli("audit", "verify", "--store", url)
    assert code == 1 and "TAMPERED seq 3: link" in out and "seq 2:" not in out


def test_export_writes_csv_with_formulas_escaped_and_is_itself_audited(trail: tuple[str, Path]):
    url, _ = trail
    code, out, _ = _cli("audit", "export", "--format", "csv", "--action", "settings.", "--store", url)
    assert code == 0
    table = list(csv.reader(io.StringIO(out)))
    assert table[0][:3] == ["seq", "at", "actor"] and [row[0] for row in table[1:]] == ["6", "5", "4", "3"]
    assert table[1][7] == "'=SUM(A1) saved" and table[1][6] == "'@x" and table[2][7] == "Settings 2"
    assert table[1][8] == 'outbound.region: us → =HYPERLINK("x")' and table[1][2] == "ann"
    assert _cli("audit", "export", "--format", "json", "--store", url)[0] == 2
    code, out, _ = _cli("audit", "list", "--action", "export", "--store", url)
    assert code == 0 and out.count("\texport\t") == 1 and "action=settings." in out
    assert datetime.now(UTC).strftime("%Y-%m-%d") in out
    assert _cli("audit", "verify", "--store", url)[1].startswith("OK: 7 audit record(s)")


def test_a_memory_store_has_no_trail_to_verify():
    code, _, err = _cli("audit", "verify", "--store", "memory://")
    assert code == 2 and "sqlite:///" in err
