"""`antavo-actions users` through the installed command on a SQLite file: add prints a one-time setup that
signs in (password + TOTP, or a recovery code), list shows no secret, set-role and remove change the store."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pyotp
from installed_cli import run_cli

from receiver.core.users import verify_sign_in
from receiver.store import make_store
from receiver.store.limits import StoreLimits

URL = "sqlite:///users.db"


def _verify(folder: Path, name: str, password: str, code: str) -> str | None:
    async def main() -> str | None:
        store = make_store(f"sqlite:///{folder / 'users.db'}", StoreLimits())
        await store.open()
        try:
            return await verify_sign_in(store, name, password, code)
        finally:
            await store.close()

    return asyncio.run(main())


def test_users_add_list_set_role_and_remove_on_a_sqlite_file(tmp_path: Path) -> None:
    assert run_cli("db", "upgrade", "--store", URL, cwd=tmp_path).returncode == 0
    added = run_cli("users", "add", "ann", "--role", "editor", "--store", URL, cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    password = re.search(r"password:\s+(\S+)", added.stdout)
    secret = re.search(r"TOTP secret:\s+([A-Z2-7]+)", added.stdout)
    assert password and secret, added.stdout
    assert f"otpauth://totp/Antavo%20receiver:ann?secret={secret[1]}" in added.stdout
    codes = re.findall(r"^\s+([0-9a-f]{4}(?:-[0-9a-f]{4}){3})$", added.stdout, re.M)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert _verify(tmp_path, "ann", password[1], pyotp.TOTP(secret[1]).now()) == "editor"
    assert _verify(tmp_path, "ann", password[1], codes[0]) == "editor"
    assert _verify(tmp_path, "ann", password[1], codes[0]) is None
    assert _verify(tmp_path, "ann", "wrong", codes[1]) is None

    again = run_cli("users", "add", "ann", "--role", "admin", "--store", URL, cwd=tmp_path)
    assert again.returncode == 1 and "already a user named 'ann'" in again.stderr
    bad = run_cli("users", "add", "bob", "--role", "owner", "--store", URL, cwd=tmp_path)
    assert bad.returncode == 2 and "expected one of: admin, editor, auditor" in bad.stderr
    given = run_cli(
        "users",
        "add",
        "bob",
        "--role",
        "auditor",
        "--password-stdin",
        "--store",
        URL,
        cwd=tmp_path,
        input="chosen-pass-123\n",
    )
    assert given.returncode == 0 and "chosen-pass-123" in given.stdout, given.stderr

    listed = run_cli("users", "list", "--store", URL, cwd=tmp_path)
    assert listed.stdout.splitlines() == [
        "ann\teditor\t9 recovery code(s) left\tPII: masked",
        "bob\tauditor\t10 recovery code(s) left\tPII: masked",
    ]
    assert password[1] not in listed.stdout and secret[1] not in listed.stdout
    assert (
        run_cli("users", "set-role", "ann", "admin", "--store", URL, cwd=tmp_path).stdout == "user ann is now admin\n"
    )
    assert run_cli("users", "remove", "bob", "--store", URL, cwd=tmp_path).returncode == 0
    gone = run_cli("users", "remove", "bob", "--store", URL, cwd=tmp_path)
    assert gone.returncode == 1 and "no user named 'bob'" in gone.stderr
    assert (
        run_cli("users", "list", "--store", URL, cwd=tmp_path).stdout
        == "ann\tadmin\t9 recovery code(s) left\tPII: shown (admin)\n"
    )
    memory = run_cli("users", "list", "--store", "memory://", cwd=tmp_path)
    assert memory.returncode == 2 and "sqlite:///" in memory.stderr
