"""`map` and `send`: run events through mappings, for a person at a terminal or a script."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import Progress
from rich.syntax import Syntax

from antavo_actions.cli.console import err, out
from destination.definition.model import Definition, load_definition, load_yaml
from destination.definition.payload_schemas import settings_schema
from destination.definition.subscriptions import (
    Subscription,
    effective_mapping,
    load_mappings,
    load_presets,
    subscription_from,
)
from destination.delivery.client import AntavoClient
from destination.delivery.events import EventsError, read_events
from destination.delivery.pipeline import Pipeline
from destination.errors import PayloadValidationError
from destination.lint.checks import check_file
from destination.lint.explain import Report, explain
from destination.payload.validator import PayloadValidator

PROGRESS_ABOVE = 20


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"error: {message}")
    return typer.Exit(code)


def _candidates(
    definition: Definition, mapping: Path | None, preset: str | None, action: str | None
) -> list[Subscription]:
    chosen = [x for x in (mapping, preset, action) if x is not None]
    if len(chosen) > 1:
        raise _fail("give at most one of --mapping, --preset and --action")
    if mapping is not None:
        problems = [p for p in check_file(mapping, definition) if p.severity == "error"]
        if problems:
            raise _fail("\n".join(p.text() for p in problems), 1)
        return [subscription_from(load_yaml(mapping), definition, str(mapping))]
    if preset is not None:
        found = [p for p in load_presets(definition) if p.name == preset]
        if not found:
            names = ", ".join(p.name for p in load_presets(definition))
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
    return load_mappings(definition)


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
        out.print(Syntax(json.dumps(report.mapped, indent=2, ensure_ascii=False), "json", padding=(0, 4)))
    if report.payload is not None and report.payload == report.mapped:
        out.print("  [green]valid[/]: Segment's cleaning and validation leave it as it is")
    elif report.payload is not None:
        out.print("  payload after Segment's cleaning and validation:")
        out.print(Syntax(json.dumps(report.payload, indent=2, ensure_ascii=False), "json", padding=(0, 4)))
    if report.error:
        where = f" (field: {report.field})" if report.field else ""
        out.print(f"  [red]error:[/] {report.error}{where}")
    out.print()


def map_event(
    event_file: Annotated[str, typer.Argument(metavar="EVENT.json", help="One Segment event (`-` for stdin).")],
    mapping: Annotated[Path | None, typer.Option(help="A mapping file to apply.")] = None,
    preset: Annotated[str | None, typer.Option(help="A preset, by name.")] = None,
    action: Annotated[str | None, typer.Option(help="An action with its default trigger and mapping.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the reports as JSON for scripts.")] = False,
) -> None:
    """Show which triggers match an event and why, the mapped payload, and validation errors."""
    definition = load_definition()
    try:
        events = read_events(event_file)
    except EventsError as exc:
        raise _fail(str(exc)) from None
    if len(events) != 1:
        raise _fail(f"{event_file}: `map` takes one event, this input has {len(events)}")
    forced = any(x is not None for x in (mapping, preset, action))
    reports = [
        explain(definition, s, events[0], force=forced) for s in _candidates(definition, mapping, preset, action)
    ]
    if as_json:
        print(json.dumps([r.as_dict() for r in reports], indent=2, ensure_ascii=False))
    else:
        for report in reports:
            _show(report)
    raise typer.Exit(1 if any(r.error for r in reports if r.matched or forced) else 0)


def _settings(definition: Definition, path: Path | None, stack: str | None, api_key: str | None) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    if path is not None:
        try:
            loaded = load_yaml(path)
        except (OSError, ValueError) as exc:
            raise _fail(f"{path}: cannot read settings: {exc}") from None
        if not isinstance(loaded, dict):
            raise _fail(f"{path}: settings must be a mapping of {', '.join(definition.settings)}")
        settings.update(loaded)
    if stack:
        settings["stack"] = stack
    settings.setdefault("api_key", api_key or os.environ.get("ANTAVO_API_KEY"))
    settings = {k: v for k, v in settings.items() if v is not None}
    try:
        return PayloadValidator(settings_schema(definition)).validate(settings)
    except PayloadValidationError as exc:
        raise _fail(
            f"settings: {exc.message} Give --settings FILE or --stack and --api-key (or ANTAVO_API_KEY)."
        ) from None


def send(
    events_file: Annotated[
        str, typer.Argument(metavar="EVENTS", help="One event, a JSON array or JSON Lines; `-` for stdin.")
    ],
    to: Annotated[
        str, typer.Option("--to", help="Where to send: the receiver's base URL, e.g. http://127.0.0.1:8000.")
    ],
    settings_file: Annotated[
        Path | None, typer.Option("--settings", help="YAML/JSON file with stack and api_key.")
    ] = None,
    stack: Annotated[str | None, typer.Option(help="Antavo stack.")] = None,
    api_key: Annotated[str | None, typer.Option(help="Brand API key (default: $ANTAVO_API_KEY).")] = None,
    mappings_dir: Annotated[
        Path | None, typer.Option("--mappings", help="Folder of mapping files (default: mappings/).")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds per attempt.")] = 10.0,
) -> None:
    """Run every enabled mapping whose trigger matches each event, and post the requests."""
    definition = load_definition()
    settings = _settings(definition, settings_file, stack, api_key)
    try:
        events = read_events(events_file)
    except EventsError as exc:
        raise _fail(str(exc)) from None
    paths = sorted(mappings_dir.glob("*.y*ml")) if mappings_dir else None
    pipeline = Pipeline(definition, load_mappings(definition, paths), settings, base_url=_base(to, definition))
    counts = {"events": len(events), "unmatched": 0, "accepted": 0, "refused": 0, "not sent": 0}
    with (
        AntavoClient(timeout=timeout) as client,
        Progress(console=err, transient=True, disable=len(events) <= PROGRESS_ABOVE) as progress,
    ):
        task = progress.add_task("sending", total=len(events))
        for event, outcomes in pipeline.run_all(events):
            ident = event.get("messageId") or event.get("event") or event.get("type") or "event"
            if not outcomes:
                counts["unmatched"] += 1
            for outcome in outcomes:
                name = outcome.subscription.name
                if outcome.request is None:
                    counts["not sent"] += 1
                    out.print(f"{ident}  {name}  [red]not sent[/]: {outcome.error}")
                    continue
                result = client.send(outcome.request)
                good = result.status is not None and 200 <= result.status < 300
                counts["accepted" if good else "refused"] += 1
                colour = "green" if good else "red"
                detail = "" if good else f": {result.error or result.body}"
                out.print(f"{ident}  {name}  [{colour}]{result.status or 'no answer'}[/]{detail}")
            progress.advance(task)
    out.print(", ".join(f"{v} {k}" for k, v in counts.items()))
    raise typer.Exit(1 if counts["refused"] or counts["not sent"] else 0)


def _base(to: str, definition: Definition) -> str:
    """Accept the receiver's base URL or its full webhook address."""
    path = definition.request["path"]
    return to[: -len(path)] if to.rstrip("/").endswith(path) else to.rstrip("/")
