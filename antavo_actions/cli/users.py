"""`antavo-actions users`: who may sign in to the receiver's pages, with which role (admin, editor, auditor)
and whether they see the properties the tracking plan marks `pii` (`set-pii`; an admin always does).

`users add` prints the new user's one-time setup (password, TOTP secret and otpauth:// URI, recovery
codes): the store keeps only hashes, so this is the one time they can be read. The commands work on
the store's database (`--store`, else the settings'); a memory store would forget the user at exit.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from antavo_actions.cli.db import EXIT_FAILED, ConfigOption, StoreOption, fail, run_on_store
from receiver.core.audit import CLI
from receiver.core.roles import sees_pii
from receiver.core.user_admin import UserAdmin
from receiver.core.users import ROLES, Setup, check_role
from receiver.errors import ApiError
from receiver.store import config_state_for
from receiver.store.contract import LoyaltyStore

T = TypeVar("T")
app = typer.Typer(help="The receiver's users: roles, PII access and two-factor sign-in.", no_args_is_help=True)
MEMORY_REFUSED = "users live in the store's database; give a sqlite:/// or postgresql:// URL (--store)"
ROLE_HELP = "One of: " + ", ".join(ROLES) + "."


def _run(store: str | None, config: Path | None, work: Callable[[LoyaltyStore], Awaitable[T]]) -> T:
    return run_on_store(store, config, work, MEMORY_REFUSED)


def _admin(opened: LoyaltyStore) -> UserAdmin:
    """Changes made here are audited by `cli` (the trail is on the same database); the command line may
    remove or demote the last admin (the way back in when nobody can sign in)."""
    return UserAdmin(opened, config_state_for(opened), keep_an_admin=False)


async def _changed(work: Awaitable[object]) -> bool:
    """False when the user does not exist (`UserAdmin` says 404), else True."""
    try:
        await work
    except ApiError as exc:
        if exc.status == 404:
            return False
        raise
    return True


def _show(setup: Setup) -> None:
    typer.echo(f"user {setup.name} added with role {setup.role}; this is shown once, keep it safe:")
    typer.echo(f"  password:       {setup.password}")
    typer.echo(f"  TOTP secret:    {setup.totp_secret}")
    typer.echo(f"  otpauth URI:    {setup.otpauth_uri}")
    typer.echo("  recovery codes (each works once, in place of a TOTP code):")
    for code in setup.recovery_codes:
        typer.echo(f"    {code}")


@app.command(short_help="Add a user and print its one-time setup.")
def add(
    name: Annotated[str, typer.Argument(help="The name to sign in with.")],
    role: Annotated[str, typer.Option(help=ROLE_HELP)],
    password_stdin: Annotated[
        bool, typer.Option(help="Read the password from stdin instead of generating one.")
    ] = False,
    store: StoreOption = None,
    config: ConfigOption = None,
) -> None:
    """Add a user with a role; prints its password, TOTP secret and URI, and recovery codes once."""
    _role(role)
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    if password_stdin and not password:
        fail("--password-stdin read an empty password")
    _show(_run(store, config, lambda opened: _admin(opened).add(name, role, CLI, password=password)))


@app.command(name="list", short_help="List the users, their roles and PII access.")
def list_users(store: StoreOption = None, config: ConfigOption = None) -> None:
    """The users by name, with role, unused recovery codes and PII access (never a secret)."""
    users = _run(store, config, lambda opened: opened.user_list())
    if not users:
        typer.echo("no users (the pages take the API key only)")
    for user in users:
        typer.echo(
            f"{user.name}\t{user.role}\t{user.recovery_left} recovery code(s) left\t{_pii(user.role, user.pii_access)}"
        )


def _pii(role: str, granted: bool) -> str:
    if role == "admin":
        return "PII: shown (admin)"
    return "PII: shown" if sees_pii(role, granted) else "PII: masked"


@app.command(short_help="Remove a user (its sessions end).")
def remove(name: str, store: StoreOption = None, config: ConfigOption = None) -> None:
    """Remove a user; its signed-in sessions end at once."""
    if not _run(store, config, lambda opened: _changed(_admin(opened).remove(name, CLI))):
        fail(f"no user named {name!r}", EXIT_FAILED)
    typer.echo(f"user {name} removed")


@app.command(name="set-role", short_help="Change a user's role (its sessions end).")
def set_role(name: str, role: str, store: StoreOption = None, config: ConfigOption = None) -> None:
    """Change a user's role; its sessions end, so the new role holds from its next sign-in."""
    _role(role)
    if not _run(store, config, lambda opened: _changed(_admin(opened).set_role(name, role, CLI))):
        fail(f"no user named {name!r}", EXIT_FAILED)
    typer.echo(f"user {name} is now {role}")


PII_SWITCH = {"on": True, "off": False}


@app.command(name="set-pii", short_help="Turn a user's PII access on or off (its sessions end).")
def set_pii(
    name: str,
    access: Annotated[str, typer.Argument(metavar="on|off", help="on: sees `pii` values; off: sees them masked.")],
    store: StoreOption = None,
    config: ConfigOption = None,
) -> None:
    """Whether the user sees the values the tracking plan marks `pii` unmasked, as Segment's "PII Access"
    toggle; its sessions end, so the change holds from its next sign-in. An admin always sees them."""
    granted = PII_SWITCH.get(access.strip().lower())
    if granted is None:
        fail(f"PII access must be 'on' or 'off', not {access!r}")
    if not _run(store, config, lambda opened: _changed(_admin(opened).set_pii(name, granted, CLI))):
        fail(f"no user named {name!r}", EXIT_FAILED)
    typer.echo(f"user {name}: PII access {'on' if granted else 'off'}")


def _role(role: str) -> None:
    try:
        check_role(role)
    except ApiError as exc:
        fail(exc.message)
