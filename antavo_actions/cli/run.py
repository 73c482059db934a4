"""`map` and `send`: run events through mappings, for a person at a terminal or a script."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import Progress
from rich.syntax import Syntax

from antavo_actions.cli import inputs
from antavo_actions.cli.console import err, out
from destination.definition.model import Definition, load_definition
from destination.definition.subscriptions import (
    Subscription,
    effective_mapping,
)
from destination.delivery.client import AntavoClient, DeliveryResult
from destination.delivery.pipeline import Pipeline
from destination.lint.explain import Report, explain

PROGRESS_ABOVE = 20
NO_TYPE = 'the event has no "type" (track, identify, ...), so no trigger can match it'


def refusal(result: DeliveryResult) -> str:
    """The server's own explanation: the error body's code and message, else the status line and body."""
    try:
        error = json.loads(result.body or "")["error"]
        return f"{error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        return result.error or result.body or "refused"


def _fail(message: str, code: int = 2) -> typer.Exit:
    inputs.fail(f"error: {message}", code=code)


MAPPINGS_FROM_HELP = (
    "Use the mappings a running receiver's ingest runs (its files and those saved on its Mappings page)."
)
STRICT_HELP = "Stop on warnings too, as `validate --strict` does (warnings are shown and never stop a run)."


def _candidates(
    definition: Definition, mapping: Path | None, preset: str | None, action: str | None, strict: bool = False
) -> list[Subscription]:
    chosen = [x for x in (mapping, preset, action) if x is not None]
    if len(chosen) > 1:
        raise _fail("give at most one of --mapping, --preset and --action")
    if mapping is not None:
        return inputs.mapping_file(definition, mapping, strict=strict)
    if preset is not None:
        every = inputs.presets(definition, strict=strict)
        found = [p for p in every if p.name == preset]
        if not found:
            names = ", ".join(p.name for p in every)
            raise _fail(f"no preset named {preset!r}; presets: {names}")
        return found
    if action is not None:
        if action not in definition.actions:
            raise _fail(f"unknown action {action!r}; actions: {', '.join(definition.actions)}")
        a = definition.action(action)
        return [
            Subscription(
                f"{a.title} (defaults)",
                a.default_subscription,
                a.key,
                effective_mapping(a, None),
                source=str(Path("destination") / "antavo.yaml"),
            )
        ]
    return inputs.mappings(definition, strict=strict)


def _json_block(value: Any) -> None:
    """Indented JSON: highlighted at a terminal, plain (no padding spaces) in a pipe or file."""
    text = json.dumps(value, indent=2, ensure_ascii=False)
    if out.is_terminal:
        out.print(Syntax(text, "json", padding=(0, 4)))
    else:
        out.print(textwrap.indent(text, "    "), markup=False, highlight=False)


def _show(report: Report) -> None:
    mark = "[green]✔ matches[/]" if report.matched else "[dim]✘ does not match[/]"
    state = "" if report.enabled else " [yellow](disabled)[/]"
    out.print(f"[bold]{report.name}[/]{state} → action [cyan]{report.action}[/]  {mark}")
    out.print(f"  trigger: {report.trigger}")
    for check in report.checks:
        ok = "[green]✔[/]" if check.get("result") else "[red]✘[/]"
        found = "missing" if check["missing"] else json.dumps(check["value"], ensure_ascii=False)
        out.print(f"    {ok} {check.get('condition')}   (event has: {found})")
    for warning in report.warnings:
        out.print(f"    [yellow]![/] {escape(warning)}")
    if report.mapped is not None:
        out.print("  mapped:")
        _json_block(report.mapped)
    if report.payload is not None and report.payload == report.mapped:
        out.print("  [green]valid[/]: Segment's cleaning and validation leave it as it is")
    elif report.payload is not None:
        out.print("  payload after Segment's cleaning and validation:")
        _json_block(report.payload)
    if report.error:
        where = f" (field: {report.field})" if report.field else ""
        out.print(f"  [red]error:[/] {report.error}{where}")
    out.print()


def map_event(
    event_file: Annotated[str, typer.Argument(metavar="EVENT.json", help="One Segment event (`-` for stdin).")],
    mapping: Annotated[Path | None, typer.Option(metavar="FILE", help="A mapping file to apply.")] = None,
    preset: Annotated[str | None, typer.Option(metavar="NAME", help="A preset, by name.")] = None,
    action: Annotated[
        str | None, typer.Option(metavar="NAME", help="An action with its default trigger and mapping.")
    ] = None,
    mappings_from: Annotated[str | None, typer.Option(metavar="URL", help=MAPPINGS_FROM_HELP)] = None,
    api_key: Annotated[
        str | None, typer.Option(metavar="KEY", help="The receiver's API key for --mappings-from (or ANTAVO_API_KEY).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the reports as JSON for scripts.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help=STRICT_HELP)] = False,
) -> None:
    """Show which triggers match an event and why, the mapped payload, and validation errors."""
    definition = load_definition()
    events = inputs.events(event_file)
    if len(events) != 1:
        raise _fail(f"{event_file}: `map` takes one event, this input has {len(events)}")
    forced = any(x is not None for x in (mapping, preset, action))
    if forced and mappings_from is not None:
        raise _fail("give at most one of --mapping, --preset, --action and --mappings-from")
    reports = [
        explain(definition, s, events[0], force=forced)
        for s in (
            inputs.mappings_from(definition, mappings_from, api_key, strict=strict)
            if mappings_from is not None
            else _candidates(definition, mapping, preset, action, strict)
        )
    ]
    if as_json:
        print(json.dumps([r.as_dict() for r in reports], indent=2, ensure_ascii=False))
    else:
        for report in reports:
            _show(report)
    raise typer.Exit(1 if any(r.error for r in reports if r.matched or forced) else 0)


def send(
    events_file: Annotated[
        str, typer.Argument(metavar="EVENTS", help="One event, a JSON array or JSON Lines; `-` for stdin.")
    ],
    to: Annotated[
        str,
        typer.Option("--to", metavar="URL", help="Where to send: the receiver's base URL, e.g. http://127.0.0.1:8000."),
    ],
    settings_file: Annotated[
        Path | None, typer.Option("--settings", metavar="FILE", help="YAML/JSON file with stack and api_key.")
    ] = None,
    stack: Annotated[str | None, typer.Option(metavar="NAME", help="Antavo stack.")] = None,
    api_key: Annotated[
        str | None, typer.Option(metavar="KEY", help="Brand API key (default: $ANTAVO_API_KEY).")
    ] = None,
    mappings_dir: Annotated[
        Path | None,
        typer.Option("--mappings", metavar="DIR", help="Folder of mapping files (default: the project's mappings/)."),
    ] = None,
    mappings_from: Annotated[str | None, typer.Option(metavar="URL", help=MAPPINGS_FROM_HELP)] = None,
    timeout: Annotated[float, typer.Option(metavar="SECONDS", help="Seconds per attempt.")] = 10.0,
    strict: Annotated[bool, typer.Option("--strict", help=STRICT_HELP)] = False,
) -> None:
    """Run every enabled mapping whose trigger matches each event, and post the requests."""
    definition = load_definition()
    settings = inputs.settings(definition, settings_file, stack, api_key)
    events = inputs.events(events_file)
    if mappings_from is not None and mappings_dir is not None:
        raise _fail("give --mappings DIR or --mappings-from URL, not both")
    subscriptions = (
        inputs.mappings_from(definition, mappings_from, settings.get("api_key"), strict=strict, timeout=timeout)
        if mappings_from is not None
        else inputs.mappings(definition, mappings_dir, strict=strict)
    )
    pipeline = Pipeline(definition, subscriptions, settings, base_url=_base(to, definition))
    counts = {"events": len(events), "unmatched": 0, "accepted": 0, "replayed": 0, "refused": 0, "not sent": 0}
    with (
        AntavoClient(timeout=timeout) as client,
        Progress(console=err, transient=True, disable=len(events) <= PROGRESS_ABOVE) as progress,
    ):
        task = progress.add_task("sending", total=len(events))
        for event, outcomes in pipeline.run_all(events):
            ident = event.get("messageId") or event.get("event") or event.get("type") or "event"
            if not outcomes:
                counts["unmatched"] += 1
                if "type" not in event:
                    out.print(f"{ident}  [yellow]unmatched[/]: {NO_TYPE}", highlight=False)
            for outcome in outcomes:
                name = outcome.subscription.name
                if outcome.request is None:
                    counts["not sent"] += 1
                    out.print(f"{ident}  {name}  [red]not sent[/]: {escape(outcome.error or '')}")
                    continue
                result = client.send(outcome.request)
                if result.status is None:
                    counts["not sent"] += 1
                    out.print(f"{ident}  {name}  [red]not sent[/]: {escape(result.error or 'no answer')}")
                elif result.ok:
                    counts["accepted"] += 1
                    counts["replayed"] += result.replayed
                    again = "  (replayed: the receiver had this request already and answered it as before)"
                    out.print(f"{ident}  {name}  [green]{result.status}[/]{again if result.replayed else ''}")
                else:
                    counts["refused"] += 1
                    out.print(f"{ident}  {name}  [red]{result.status}[/]: {escape(refusal(result))}")
            progress.advance(task)
    out.print(", ".join(f"{v} {k}" for k, v in counts.items()))
    raise typer.Exit(1 if counts["refused"] or counts["not sent"] else 0)


def _base(to: str, definition: Definition) -> str:
    """Accept the receiver's base URL or its full webhook address."""
    path = definition.request["path"]
    return to[: -len(path)] if to.rstrip("/").endswith(path) else to.rstrip("/")
