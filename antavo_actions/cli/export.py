"""`antavo-actions export …`: the destination in other tools' formats (for now Segment's TypeScript).

`export segment OUTDIR` writes the destination's folder for segmentio/action-destinations;
`export segment --check DIR` prints a unified diff between DIR and what the YAML generates and
exits 1 when they differ (2 for usage errors), so CI catches drift between the YAML and a
Segment pull request.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from destination.export import export_files, load_project, write_export
from destination.export.check import check_folder
from destination.export.typeschema import UnsupportedField

export_app = typer.Typer(
    help="Export the destination for other tools: Segment's TypeScript (segmentio/action-destinations).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@export_app.callback()
def export() -> None:
    """Export the destination for other tools (a group, so that `export segment` keeps its name)."""


def _fail(message: str, code: int) -> typer.Exit:
    print(f"error: {message}", file=sys.stderr)
    return typer.Exit(code)


@export_app.command(short_help="Write the destination as Segment's repository lays it out.")
def segment(
    directory: Annotated[
        Path,
        typer.Argument(
            metavar="DIR",
            help="The destination's folder, e.g. <checkout>/packages/destination-actions/src/destinations/<name>.",
        ),
    ],
    check: Annotated[
        bool, typer.Option("--check", help="Compare DIR with what the YAML generates; exit 1 if they differ.")
    ] = False,
    definition: Annotated[
        Path | None, typer.Option(metavar="FILE", help="The definition (default: destination/antavo.yaml).")
    ] = None,
    presets: Annotated[Path | None, typer.Option(metavar="FILE", help="The presets (default: presets.yaml).")] = None,
    examples: Annotated[
        Path | None, typer.Option(metavar="DIR", help="Example events for the tests (default: examples/).")
    ] = None,
) -> None:
    """Write the destination as Segment's repository lays it out (or --check a folder against it)."""
    for option, path in (("--definition", definition), ("--presets", presets), ("--examples", examples)):
        if path is not None and not path.exists():
            raise _fail(f"{option}: no such file or folder: {path}", 2)
    try:
        project = load_project(definition, presets, examples)
        if check:
            if not directory.is_dir():
                raise _fail(f"no such folder: {directory}", 2)
            result = check_folder(directory, export_files(project))
            sys.stdout.write(result.text())
            if result.not_compared:
                print(f"not generated, not compared: {', '.join(result.not_compared)}", file=sys.stderr)
            if result.diffs:
                print(f"{len(result.diffs)} file(s) differ from what the YAML generates", file=sys.stderr)
                raise typer.Exit(1)
            print(f"{directory} holds what the YAML generates", file=sys.stderr)
            return
        written = write_export(project, directory)
    except (UnsupportedField, ValueError, KeyError) as exc:
        raise _fail(str(exc), 2) from None
    for path in written:
        print(f"wrote {path}")
