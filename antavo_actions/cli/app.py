"""`antavo-actions`: the command line for integration engineers, CI and the receiver.

This module only composes the command: each subcommand lives in the module that names its
concern (`check`, `run`, `serve`, `db`) and calls into `destination` or `receiver` for the work.
"""

from __future__ import annotations

import typer

from antavo_actions.cli import audit, check, db, diff, plan, run, serve, users
from antavo_actions.cli.export import export_app


def build_app() -> typer.Typer:
    """The full command, built fresh so tests can invoke it in-process."""
    app = typer.Typer(
        help="The Antavo (Actions) Segment destination: check, map, send, and run the reference receiver.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )
    app.command(short_help="Check the definition, presets and mappings.")(check.validate)
    app.command(short_help="Regenerate schemas/ from the YAML.")(check.schemas)
    app.command(short_help="Print the presets as Segment's docs table.")(check.presets)
    app.command("map", short_help="Show which triggers match an event, and the payload.")(run.map_event)
    app.command(short_help="Map events and post the requests to a receiver.")(run.send)
    app.command(short_help="Show what an edited mapping set changes on events.")(diff.diff)
    app.command(short_help="Run the reference Antavo receiver.")(serve.serve)
    app.add_typer(db.app, name="db")
    app.add_typer(users.app, name="users")
    app.add_typer(audit.app, name="audit", short_help="The audit trail: verify its hash chain, list, export.")
    app.add_typer(plan.app, name="plan", short_help="The tracking plan: its data dictionary.")
    app.add_typer(export_app, name="export", short_help="Export the destination to Segment's TypeScript.")
    return app


def main() -> None:
    build_app()()
