"""`diff`: what an edited mapping set would change on real events, before it is saved."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from antavo_actions.cli import inputs
from antavo_actions.cli.console import out
from destination.definition.model import Definition, load_definition
from destination.definition.subscriptions import Subscription
from destination.delivery.impact import Entry, Impact, Kind, impact


class Format(str, Enum):
    text = "text"
    json = "json"
    github = "github"


def _subscriptions(definition: Definition, where: str, option: str, api_key: str | None) -> list[Subscription]:
    """A mapping set from a folder, one file, or (for the current set) a running receiver's URL."""
    if where.startswith(("http://", "https://")):
        if option != "--mappings-from":
            inputs.fail(f"error: {option} {where}: expected a mappings folder or file, not a URL")
        return inputs.mappings_from(definition, where, api_key)
    path = Path(where)
    if path.is_dir():
        return inputs.mappings(definition, path)
    if path.is_file():
        return inputs.mapping_file(definition, path)
    inputs.fail(f"error: {option} {where}: no such folder or file (expected a mappings folder or a mapping file)")


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _details(entry: Entry) -> list[str]:
    """The lines under an entry: each field's change, or the two errors."""
    lines = []
    for change in entry.fields:
        if change.change == "added":
            lines.append(f"{change.pointer}: added {_value(change.new)}")
        elif change.change == "removed":
            lines.append(f"{change.pointer}: removed (was {_value(change.old)})")
        else:
            lines.append(f"{change.pointer}: {_value(change.old)} → {_value(change.new)}")
    if entry.old_error:
        lines.append(f"error before: {entry.old_error}")
    if entry.new_error:
        lines.append(f"error now: {entry.new_error}")
    return lines


def _summary(result: Impact) -> str:
    counts = ", ".join(f"{n} {kind}" for kind, n in result.by_kind.items() if n)
    return f"{result.events} events: {counts or 'no subscription matched'}"


def text_report(result: Impact) -> list[str]:
    """For a person: only what changes, then the counts."""
    lines = []
    for entry in result.entries:
        if entry.kind is Kind.UNCHANGED:
            continue
        lines.append(f"{entry.event_id}  {entry.subscription}: {entry.kind.value}")
        lines += [f"    {line}" for line in _details(entry)]
    lines.append(_summary(result))
    return lines


def _code(text: str) -> str:
    """Inline code that survives a backtick in the text (an error message may quote one)."""
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def github_report(result: Impact) -> list[str]:
    """GitHub-flavoured Markdown for a pull-request comment: a verdict, a table per subscription, the details."""
    verdict = "changes what Antavo receives" if result.changed else "changes nothing on these events"
    lines = [f"### Mapping impact: {verdict}", "", _summary(result), ""]
    if result.by_subscription:
        kinds = [k.value for k in Kind]
        lines += ["| subscription | " + " | ".join(kinds) + " |", "|---" * (len(kinds) + 1) + "|"]
        for name, counts in result.by_subscription.items():
            lines.append(f"| {_cell(name)} | " + " | ".join(str(counts.get(k, 0)) for k in kinds) + " |")
        lines.append("")
    changed = [e for e in result.entries if e.kind is not Kind.UNCHANGED]
    if changed:
        lines += ["<details><summary>What changes, event by event</summary>", ""]
        for entry in changed:
            lines.append(f"- {_code(entry.event_id)} **{_cell(entry.subscription)}**: {entry.kind.value}")
            lines += [f"  - {_code(line)}" for line in _details(entry)]
        lines += ["", "</details>"]
    return lines


def diff(
    events_files: Annotated[
        list[str],
        typer.Option(
            "--events",
            metavar="FILE",
            help="Events: one JSON event, a JSON array, JSON Lines or a Tracking-API batch (repeatable).",
        ),
    ],
    against: Annotated[
        str, typer.Option("--against", metavar="DIR_OR_FILE", help="The edited mappings: a folder or one file.")
    ],
    mappings_from: Annotated[
        str | None,
        typer.Option(
            metavar="DIR_OR_FILE_OR_URL",
            help="The current mappings: a folder, a file, or a running receiver's URL (default: mappings/).",
        ),
    ] = None,
    api_key: Annotated[
        str | None, typer.Option(metavar="KEY", help="The receiver's API key for a --mappings-from URL.")
    ] = None,
    output: Annotated[Format, typer.Option("--format", help="text, json for scripts, github for a PR.")] = Format.text,
    exit_zero: Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even when outcomes change.")] = False,
) -> None:
    """Run the current and the edited mappings over the events and show what the edit changes.

    Exit codes: 0 when no event's outcome changes, 1 when one does (0 with --exit-zero),
    2 when an input is broken (the file and what was expected are named).
    """
    definition = load_definition()
    events = [event for source in events_files for event in inputs.events(source)]
    current = (
        _subscriptions(definition, mappings_from, "--mappings-from", api_key)
        if mappings_from is not None
        else inputs.mappings(definition)
    )
    edited = _subscriptions(definition, against, "--against", api_key)
    result = impact(definition, {}, current, edited, events)
    if output is Format.json:
        print(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
    elif output is Format.github:
        print("\n".join(github_report(result)))  # Markdown as it is: never wrapped to a terminal's width
    else:
        for line in text_report(result):
            out.print(line, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(1 if result.changed and not exit_zero else 0)
