"""The event tester's work: the same runtime as `antavo-actions map`, `validate` and the ingest.

Nothing is re-implemented for the page: triggers are explained by `destination.delivery.
explain` (what `map` prints), an edited mapping is checked by `destination.lint` (what
`validate` reports) and a sent event goes through the ingest's own message checks and
`Fanout.process` — the path a Tracking-API call takes. This module only chooses the
subscriptions and shapes the results for the template.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from destination.definition.model import Definition
from destination.definition.project import project_path
from destination.definition.subscriptions import Subscription, subscription_from
from destination.definition.yamlsrc import parse_source, plain
from destination.delivery.action import CompiledAction
from destination.delivery.events import EventsError, parse_events
from destination.delivery.pipeline import Pipeline
from destination.errors import DestinationError
from destination.lint.checks import Problem, check_text, kind_of
from destination.lint.explain import explain
from receiver.errors import ApiError
from receiver.ingest.fanout import Fanout
from receiver.ingest.messages import parse_batch
from receiver.live.mappings import FROM_SAVED, MappingEntry, MappingsService
from receiver.pages.views import logs_url, pretty_json

ALL = "all"
EDITED = "edited"
EDITED_NAME = "edited-mapping.yaml"
MAPPING_PREFIX, PRESET_PREFIX = "mapping:", "preset:"


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    group: str


def example_names(folder: Path | None = None) -> list[str]:
    """The single-event examples offered in the picker (`examples/*.json`)."""
    folder = folder or project_path("examples")
    if not folder.is_dir():
        return []
    return sorted(path.name for path in folder.glob("*.json") if path.is_file())


def read_example(name: str, folder: Path | None = None) -> str | None:
    """An example's text, by a name from the picker only (never a path a URL makes up)."""
    folder = folder or project_path("examples")
    return (folder / name).read_text(encoding="utf-8") if name in example_names(folder) else None


@dataclass(frozen=True)
class Offered:
    """One mapping of the Mappings page's set (a file, or saved on the page), as the tester offers it."""

    entry: MappingEntry
    subscription: Subscription


async def offered(service: MappingsService) -> tuple[list[Offered], list[str]]:
    """The set the Mappings page shows, with a problem line for any mapping that cannot run."""
    found, problems = [], []
    for entry in await service.entries():
        if not entry.data:
            problems.append(f"{entry.origin}: {entry.file_name} is not a mapping; run validate on it.")
            continue
        try:
            found.append(Offered(entry, service.subscription(entry)))
        except (DestinationError, KeyError, TypeError) as exc:
            problems.append(f"{entry.origin}: {entry.file_name} cannot run: {exc}")
    return found, problems


def choices(mappings: Sequence[Offered], presets: Sequence[Subscription]) -> list[Choice]:
    """ "All enabled" first, then each mapping (files and those saved on the Mappings page), each preset,
    and the mapping edited in the page."""
    found = [Choice(ALL, "All enabled subscriptions (what the ingest runs)", "")]
    for item in mappings:
        state = "" if item.entry.enabled else " (disabled)"
        where = " (saved on the Mappings page)" if item.entry.origin == FROM_SAVED else ""
        label = f"{item.entry.file_name}: {item.subscription.name}{state}{where}"
        found.append(Choice(MAPPING_PREFIX + item.entry.file_name, label, "Mappings"))
    found += [Choice(PRESET_PREFIX + sub.name, sub.name, "Presets") for sub in presets]
    found.append(Choice(EDITED, "The mapping edited below (not saved)", ""))
    return found


def default_mapping_text(mappings: Sequence[Offered]) -> str:
    """The mapping the edit box starts with: the first enabled one (a disabled one would not run)."""
    enabled = [item for item in mappings if item.entry.enabled]
    return next((item.entry.text for item in enabled or mappings), "")


def default_example(names: Sequence[str]) -> str:
    """The example the event box starts with, so Try works at once: a track event if there is one."""
    preferred = [name for name in names if name != "identify.json"]
    return (preferred or list(names) or [""])[0]


def parse_event(text: str) -> tuple[dict[str, Any] | None, str | None]:
    """One Segment event from the text box, or why not (the CLI's own reader and messages)."""
    if not text.strip():
        return None, "Paste a Segment event (one JSON object) or pick an example."
    try:
        events = parse_events(text, "the event")
    except EventsError as exc:
        return None, str(exc)
    if len(events) != 1:
        return None, f"The tester takes one event; this text holds {len(events)}."
    return events[0], None


@dataclass
class Edited:
    """A mapping edited in the page: its lines with `validate`'s problems beside them, and the subscription."""

    text: str
    problems: list[Problem] = field(default_factory=list)
    subscription: Subscription | None = None

    def lines(self) -> list[dict[str, Any]]:
        by_line: dict[int, list[Problem]] = {}
        for problem in self.problems:
            by_line.setdefault(problem.line, []).append(problem)
        rows = self.text.splitlines() or [""]
        problems = [by_line.pop(n, []) for n in range(1, len(rows) + 1)]
        # A problem past the last line (an unclosed block) shows on the last one.
        problems[-1] += [p for n in sorted(by_line) for p in by_line[n]]
        return [
            {"number": n, "text": text, "problems": found} for n, (text, found) in enumerate(zip(rows, problems), 1)
        ]


def edited_mapping(text: str, definition: Definition) -> Edited:
    """Check the text as `validate` checks a mapping file; a clean one becomes a subscription."""
    edited = Edited(text)
    if not text.strip():
        edited.problems = [
            Problem(EDITED_NAME, 1, 1, "empty", "Write a mapping (name, subscribe, partnerAction, mapping).")
        ]
        return edited
    edited.problems = check_text(text, EDITED_NAME, definition)
    if edited.problems:
        return edited
    data = plain(parse_source(text, Path(EDITED_NAME)))
    if kind_of(data) != "mapping":
        edited.problems = [Problem(EDITED_NAME, 1, 1, "schema", "This is not a mapping file.")]
        return edited
    edited.subscription = subscription_from(data, definition, EDITED_NAME)
    return edited


def resolve(
    choice: str,
    *,
    enabled: Sequence[Subscription],
    mappings: Sequence[Offered],
    presets: Sequence[Subscription],
    edited: Edited | None,
) -> list[Subscription] | None:
    """The subscriptions a choice names (None: unknown, or an edited mapping with problems)."""
    if choice == ALL:
        return list(enabled)
    if choice == EDITED:
        return [edited.subscription] if edited is not None and edited.subscription is not None else None
    if choice.startswith(MAPPING_PREFIX):
        name = choice.removeprefix(MAPPING_PREFIX)
        return [item.subscription for item in mappings if item.entry.file_name == name] or None
    if choice.startswith(PRESET_PREFIX):
        return [sub for sub in presets if sub.name == choice.removeprefix(PRESET_PREFIX)] or None
    return None


def try_event(
    definition: Definition,
    subscriptions: Sequence[Subscription],
    event: dict[str, Any],
    settings: dict[str, Any],
    redact: Callable[[Any], Any],
    *,
    force: bool,
) -> list[dict[str, Any]]:
    """Per subscription, what `map` shows, plus the request that would be sent (secrets masked)."""
    results = []
    for sub in subscriptions:
        report = explain(definition, sub, event, force=force)
        request = None
        if report.payload is not None and report.error is None:
            action = CompiledAction(
                definition, definition.action(sub.action), sub.mapping, key_scope=f"{sub.action}:{sub.name}"
            )
            try:
                prepared = action.prepare(event, settings)
            except DestinationError as exc:
                report.error = exc.message
            else:
                request = {
                    "method": prepared.method,
                    "url": prepared.url,
                    "headers": redact(dict(prepared.headers)),
                    "body": pretty_json(redact(prepared.redacted_json())),
                }
        results.append(
            {
                "report": report,
                "mapped": pretty_json(redact(report.mapped)) if report.mapped is not None else None,
                "payload": pretty_json(redact(report.payload)) if report.payload is not None else None,
                "unchanged": report.payload is not None and report.payload == report.mapped,
                "request": request,
            }
        )
    return results


async def send(
    fanout: Fanout, definition: Definition, event: dict[str, Any], subscriptions: Sequence[Subscription] | None
) -> dict[str, Any]:
    """Deliver the event as the ingest would (None: through the enabled subscriptions), and say where it went."""
    try:
        [message] = parse_batch({"batch": [event]}, datetime.now(UTC))
    except ApiError as exc:
        return {"refused": exc.message, "field": (exc.field or "").removeprefix("batch[0]").lstrip(".") or None}
    pipeline = None
    if subscriptions is not None:
        chosen = [replace(sub, enabled=True) for sub in subscriptions]
        pipeline = Pipeline(definition, chosen, fanout.pipeline.settings)
    report = await fanout.process(message, pipeline=pipeline)
    return {
        "refused": None,
        "message_id": report.message_id,
        "duplicate": report.duplicate,
        "log_url": logs_url({"id": report.message_id}),
        "entries": [
            {"status": entry.status, "error_code": entry.error_code, "error": entry.error, "seq": entry.seq}
            for entry in report.entries
        ],
    }
