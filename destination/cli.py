"""`antavo-actions`: the command line for integration engineers, CI and the receiver.

Subcommands stay thin: each parses options, calls the module that does the work, and
prints. Exit codes: 0 fine, 1 problems found, 2 usage errors.
"""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from .definition import DEFINITION_PATH, load_definition
from .export.cli import export_app
from .lint import check_paths
from .project import project_path
from .schema import schema_path, stale_schemas, write_schemas
from .schemas_io import all_schemas
from .subscriptions import load_presets

app = typer.Typer(
    help="The Antavo (Actions) Segment destination: check, map, send, and run the reference receiver.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(export_app, name="export")
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class Format(str, enum.Enum):
    text = "text"
    json = "json"
    github = "github"


def default_targets() -> list[Path]:
    return [DEFINITION_PATH, project_path("presets.yaml"), project_path("mappings")]


@app.command()
def validate(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Files or folders (default: the shipped ones).")] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="text, json or github annotations.")] = Format.text,
    multi_accounts: Annotated[bool, typer.Option(help="Check as for a brand with Multi-accounts on.")] = False,
) -> None:
    """Check the definition, presets and mapping files; report every problem at once."""
    targets = paths or default_targets()
    missing = [p for p in targets if not p.exists()]
    if missing:
        err.print(f"error: no such file or folder: {', '.join(map(str, missing))}")
        raise typer.Exit(2)
    problems = check_paths(targets, load_definition(), multi_accounts=multi_accounts)
    if format is Format.json:
        print(json.dumps([p.as_dict() for p in problems], indent=2, ensure_ascii=False))
    else:
        for problem in problems:
            print(problem.github() if format is Format.github else problem.text())
        if format is Format.text:
            summary = f"{len(problems)} problem(s)" if problems else "no problems"
            err.print(f"{summary} in {len(targets)} path(s)")
    raise typer.Exit(1 if problems else 0)


@app.command()
def schemas(
    check: Annotated[bool, typer.Option("--check", help="Only report files that differ; exit 1 if any.")] = False,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Folder to write (default: schemas/).")] = None,
) -> None:
    """Regenerate schemas/ from destination/antavo.yaml (and the receiver's settings model)."""
    directory = out_dir or project_path("schemas")
    generated = all_schemas(load_definition())
    if check:
        stale = stale_schemas(directory, generated)
        for name in stale:
            print(f"{schema_path(directory, name)}: differs from what the YAML generates; run `antavo-actions schemas`")
        raise typer.Exit(1 if stale else 0)
    for path in write_schemas(directory, generated):
        print(f"wrote {path}")


@app.command()
def presets() -> None:
    """Print the presets as Segment's docs table: Preset Name | Trigger | Default Action."""
    definition = load_definition()
    table = Table("Preset Name", "Trigger", "Default Action")
    for preset in load_presets(definition):
        table.add_row(preset.name, preset.subscribe, definition.action(preset.action).title)
    out.print(table)


def build_app() -> typer.Typer:
    """The full command: the checks above, `map` and `send`, and the receiver's `serve`."""
    from . import cli_run  # noqa: F401  (registers `map` and `send` on `app`)
    from receiver.serve import serve

    if not any(c.callback is serve for c in app.registered_commands):
        app.command()(serve)
    return app


def main() -> None:
    build_app()()
