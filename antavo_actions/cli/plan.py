"""`antavo-actions plan`: the tracking plan, for the people who read it rather than edit it.

`plan docs` prints the data dictionary (each event, its description, version and policy, each
property with its type, whether it is required, its enum or pattern, and PII) as Markdown or HTML.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from antavo_actions.cli.inputs import fail
from destination.plan.docs import html_page, markdown
from destination.plan.model import PLAN_FILE, PlanError, load_plan, plan_path

app = typer.Typer(help="The tracking plan (tracking_plan.yaml).", no_args_is_help=True)


class DocsFormat(str, enum.Enum):
    markdown = "markdown"
    html = "html"


@app.command(short_help="Print the tracking plan as a data dictionary.")
def docs(
    path: Annotated[
        Path | None, typer.Argument(metavar="FILE", help=f"The plan (default: the project's {PLAN_FILE}).")
    ] = None,
    format: Annotated[
        DocsFormat, typer.Option("--format", "-f", metavar="markdown|html", help="markdown or html.")
    ] = DocsFormat.markdown,
) -> None:
    """Print every planned event and its properties or traits: type, required, enum or pattern, PII."""
    file = path or plan_path()
    if file is None:
        fail(f"error: no {PLAN_FILE} in the project folder; give the plan's path")
    try:
        plan = load_plan(file)
    except PlanError as exc:
        fail(*str(exc).splitlines(), code=1)
    print(markdown(plan) if format is DocsFormat.markdown else html_page(plan), end="")
