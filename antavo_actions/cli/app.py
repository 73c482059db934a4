"""`antavo-actions`: the command line for integration engineers, CI and the receiver.

This module only composes the command: each subcommand lives in the module that names its
concern (`check`, `run`, `serve`, `db`) and calls into `destination` or `receiver` for the work.
"""

from __future__ import annotations

import typer

from antavo_actions.cli import check, db, run, serve
from antavo_actions.cli.export import export_app


def build_app() -> typer.Typer:
    """The full command, built fresh so tests can invoke it in-process."""
    app = typer.Typer(
        help="The Antavo (Actions) Segment destination: check, map, send, and run the reference receiver.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    app.command()(check.validate)
    app.command()(check.schemas)
    app.command()(check.presets)
    app.command("map")(run.map_event)
    app.command()(run.send)
    app.command()(serve.serve)
    app.add_typer(db.app, name="db")
    app.add_typer(export_app, name="export")
    return app


def main() -> None:
    build_app()()
