"""`antavo-actions audit`: the receiver's audit trail — verify its hash chain, list it, export it as CSV.

`verify` reads every record the store keeps with its head and anchor and checks them with the one
definition the receiver appends with (`receiver.store.audit.verify`): a changed record, one removed
in the middle or the newest removed is named by seq, and the command exits 1. The trail lives on the
store's database (`--store`, else the settings'); a memory store's trail ends with its process.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from antavo_actions.cli.db import EXIT_FAILED, ConfigOption, StoreOption, fail, run_on_store
from receiver.core.audit import CLI
from receiver.pages.audit import EXPORT_MAX, AuditQuery, export_csv, rows
from receiver.store import config_state_for
from receiver.store.audit import AuditFilter
from receiver.store.audit import verify as verify_chain
from receiver.store.config_state import ConfigState

T = TypeVar("T")
app = typer.Typer(help="The receiver's audit trail: verify, list, export.", no_args_is_help=True)
MEMORY_REFUSED = "the audit trail lives in the store's database; give a sqlite:/// or postgresql:// URL (--store)"
ActorOption = Annotated[str | None, typer.Option(help="Only this actor (a user, 'api key', 'cli', 'receiver').")]
ActionOption = Annotated[str | None, typer.Option(help="Only this action, or a prefix ending in '.' (mapping.).")]


def _run(store: str | None, config: Path | None, work: Callable[[ConfigState], Awaitable[T]]) -> T:
    return run_on_store(store, config, lambda opened: work(config_state_for(opened)), MEMORY_REFUSED)


@app.command(short_help="Check the hash chain: exit 0 when intact, 1 naming each problem.")
def verify(store: StoreOption = None, config: ConfigOption = None) -> None:
    """Verify every kept record, the head and the anchor; print OK with the count, or each problem."""

    async def check(state: ConfigState) -> tuple[int, int, list[str]]:
        chain = await state.audit_chain()
        return len(chain.records), chain.anchor.seq, [str(problem) for problem in verify_chain(chain)]

    count, anchor, problems = _run(store, config, check)
    if problems:
        for problem in problems:
            typer.echo(f"TAMPERED {problem}")
        typer.echo(f"audit trail: {len(problems)} problem(s) in {count} record(s)", err=True)
        raise typer.Exit(EXIT_FAILED)
    after = f" after the anchor at seq {anchor} (older records were pruned)" if anchor else ""
    typer.echo(f"OK: {count} audit record(s) verified{after}")


def _query(actor: str | None, action: str | None) -> AuditQuery:
    return AuditQuery(actor or None, action or None)


@app.command(name="list", short_help="Print the trail, newest first.")
def list_entries(
    actor: ActorOption = None,
    action: ActionOption = None,
    limit: Annotated[int, typer.Option(min=1, max=EXPORT_MAX, help="At most this many records.")] = 50,
    store: StoreOption = None,
    config: ConfigOption = None,
) -> None:
    """One line per record: seq, when, actor, role, from where, action, target, what."""
    query = _query(actor, action)
    found = _run(store, config, lambda state: state.audit(limit, AuditFilter(query.actor, query.action)))
    for row in rows(found):
        cells = [str(row["seq"]), row["at"], row["actor"], row["role"], row["address"], row["action"]]
        typer.echo("\t".join([*cells, row["target"], row["what"]]))


@app.command(short_help="Write the trail as CSV to stdout (the export is itself audited).")
def export(
    format: Annotated[str, typer.Option("--format", help="Only csv.")] = "csv",
    actor: ActorOption = None,
    action: ActionOption = None,
    store: StoreOption = None,
    config: ConfigOption = None,
) -> None:
    """The filtered trail as CSV, newest first; recorded as `export` by `cli`."""
    if format != "csv":
        fail(f"--format: only csv is supported, not {format!r}")
    query = _query(actor, action)
    sys.stdout.write(_run(store, config, lambda state: export_csv(state, query, CLI)))
