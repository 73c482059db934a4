"""`validate`, `schemas` and `presets`: the checks CI and editors rely on.

Exit codes: 0 fine, 1 problems found, 2 usage errors.
"""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from antavo_actions.cli import inputs
from antavo_actions.cli.console import err, out
from antavo_actions.cli.inputs import fail
from antavo_actions.schemas import all_schemas
from destination.definition.model import DEFINITION_PATH, load_definition
from destination.definition.payload_schemas import schema_path, stale_schemas, write_schemas
from destination.definition.project import find_project, project_path
from destination.lint.checks import Problem, check_paths
from destination.plan.model import plan_path
from receiver.config import default_config_path, file_problems


class Format(str, enum.Enum):
    text = "text"
    json = "json"
    github = "github"


def default_targets() -> list[Path]:
    """The definition, presets and mappings, and the project's tracking plan when it has one."""
    plan = plan_path()
    return [DEFINITION_PATH, project_path("presets.yaml"), project_path("mappings"), *([plan] if plan else [])]


def settings_problems() -> list[Problem]:
    """The problems of the project's `receiver.yaml`, which `serve` would read."""
    path = default_config_path()
    if path is None:
        return []
    return [Problem(str(p.file), p.line or 1, p.column, p.rule, p.message) for p in file_problems(path)]


def validate(
    paths: Annotated[
        list[Path] | None, typer.Argument(metavar="PATH", help="Files or folders (default: the shipped ones).")
    ] = None,
    format: Annotated[
        Format, typer.Option("--format", "-f", metavar="text|json|github", help="text, json or github annotations.")
    ] = Format.text,
    multi_accounts: Annotated[bool, typer.Option(help="Check as for a brand with Multi-accounts on.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 on warnings too.")] = False,
    plan: Annotated[
        Path | None, typer.Option("--plan", metavar="FILE", help="Check against this tracking plan.")
    ] = None,
) -> None:
    """Check the definition, presets and mapping files; report every problem and warning at once.

    Presets and mappings are checked against the tracking plan given with --plan, else the one among
    the paths (by default the project's tracking_plan.yaml, when there is one).
    """
    targets = paths or default_targets()
    missing = [p for p in [*targets, *([plan] if plan else [])] if not p.exists()]
    if missing:
        fail(f"error: no such file or folder: {', '.join(map(str, missing))}")
    if not paths:
        err.print(find_project().describe(), markup=False, highlight=False)
    problems = check_paths(targets, load_definition(), multi_accounts=multi_accounts, plan_file=plan)
    if not paths:
        problems += settings_problems()
    if format is Format.json:
        print(json.dumps([p.as_dict() for p in problems], indent=2, ensure_ascii=False))
    else:
        for problem in problems:
            print(problem.github() if format is Format.github else problem.text())
        if format is Format.text:
            errors = sum(p.severity == "error" for p in problems)
            summary = f"{errors} problem(s)" if errors else "no problems"
            warned = len(problems) - errors
            counted = len(targets) + (plan is not None and plan not in targets)
            err.print(f"{summary}{f', {warned} warning(s)' if warned else ''} in {counted} path(s)")
    raise typer.Exit(1 if any(p.severity == "error" or strict for p in problems) else 0)


def schemas(
    check: Annotated[bool, typer.Option("--check", help="Only report files that differ; exit 1 if any.")] = False,
    out_dir: Annotated[
        Path | None, typer.Option("--out", metavar="DIR", help="Folder to write (default: schemas/).")
    ] = None,
) -> None:
    """Regenerate schemas/ from destination/antavo.yaml (and the receiver's settings model)."""
    directory = out_dir or project_path("schemas")
    generated = all_schemas(load_definition())
    if check:
        stale = stale_schemas(directory, generated)
        for name in stale:
            print(f"{schema_path(directory, name)}: differs from what the YAML generates; run `antavo-actions schemas`")
        raise typer.Exit(1 if stale else 0)
    written = write_schemas(directory, generated)
    for path in written:
        print(f"wrote {_shown(path)}")
    if not written:
        print(f"{_shown(directory)}/ already matches the YAML ({len(generated)} files)")
    elif len(written) < len(generated):
        print(f"{len(generated) - len(written)} other file(s) already matched the YAML")


def _shown(path: Path) -> str:
    """A path as a person in the current folder would type it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def presets() -> None:
    """Print the presets as Segment's docs table: Preset Name | Trigger | Default Action."""
    definition = load_definition()
    rows = [(p.name, p.subscribe, definition.action(p.action).title) for p in inputs.presets(definition)]
    if not out.is_terminal:  # a pipe or a file: one line per preset, tab-separated, never wrapped
        for row in [("Preset Name", "Trigger", "Default Action"), *rows]:
            print("\t".join(row))
        return
    table = Table("Preset Name", "Trigger", "Default Action")
    for row in rows:
        table.add_row(*row)
    out.print(table)
