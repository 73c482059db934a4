"""What the exporter reads from the rest of the project, in one place.

The export is built from data only: the definition (`antavo.yaml`), the presets, the example
events, and — for the tests it writes — the requests the project's own runtime (proved
against Segment's recorded cases) makes for those examples. Every import from outside
`destination.export` is here, so that moving the runtime's modules means editing this file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from destination.conformance.harness import create_test_event
from destination.definition.model import DEFINITION_PATH, Definition, load_definition, load_yaml, parse_definition
from destination.definition.project import project_path
from destination.delivery.action import prepare_request
from destination.errors import DestinationError
from destination.fql.parser import matches

__all__ = [
    "Definition",
    "Example",
    "Outcome",
    "Project",
    "load_definition",
    "load_examples",
    "load_presets",
    "load_project",
    "outcome",
    "parse_definition",
    "trigger_matches",
]


@dataclass(frozen=True)
class Example:
    """One example event, named by the file it comes from (and its line, for JSON Lines)."""

    source: str
    event: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    """What Segment does with an event: a request (`method`, `url`, `json`) or an error message."""

    method: str = ""
    url: str = ""
    json: Mapping[str, Any] | None = None
    error: str | None = None


@dataclass(frozen=True)
class Project:
    """Everything an export is made from, and how generated files name their sources."""

    definition: Definition
    presets: list[dict[str, Any]]
    examples: list[Example]
    definition_label: str = f"{DEFINITION_PATH.parent.name}/{DEFINITION_PATH.name}"
    presets_label: str = "presets.yaml"
    examples_label: str = "examples/"


def _label(path: Path) -> str:
    """A path as a reader of the repository knows it: relative to the project when inside it."""
    if path == DEFINITION_PATH:  # inside the package, wherever it is installed
        return f"{path.parent.name}/{path.name}"
    try:
        return path.resolve().relative_to(project_path().resolve()).as_posix()
    except ValueError:
        return path.name


def load_project(
    definition_path: Path | None = None, presets_path: Path | None = None, examples_dir: Path | None = None
) -> Project:
    """The shipped definition, presets and examples (or the given files)."""
    definition_file = definition_path or DEFINITION_PATH
    presets_file = presets_path or project_path("presets.yaml")
    examples_folder = examples_dir or project_path("examples")
    definition = load_definition() if definition_path is None else parse_definition(load_yaml(definition_file))
    return Project(
        definition=definition,
        presets=load_presets(presets_file),
        examples=load_examples(examples_folder),
        definition_label=_label(definition_file),
        presets_label=_label(presets_file),
        examples_label=_label(examples_folder).rstrip("/") + "/",
    )


def load_presets(path: Path | None = None) -> list[dict[str, Any]]:
    """The presets as written in `presets.yaml` (name, subscribe, partnerAction, mapping, type)."""
    return list(load_yaml(path or project_path("presets.yaml"))["presets"])


def load_examples(directory: Path | None = None) -> list[Example]:
    """The example events in `examples/`: `*.json` files, then `*.jsonl` lines, each event once.

    An event that two files hold (the same content) keeps the name of the `.json` file.
    """
    folder = directory or project_path("examples")
    if not folder.is_dir():
        return []
    seen: set[str] = set()
    examples: list[Example] = []
    for path in sorted(folder.iterdir(), key=lambda p: (p.suffix != ".json", p.name)):
        if path.suffix == ".json":
            events = [(path.name, json.loads(path.read_text(encoding="utf-8")))]
        elif path.suffix == ".jsonl":
            lines = path.read_text(encoding="utf-8").splitlines()
            events = [(f"{path.name}:{n}", json.loads(line)) for n, line in enumerate(lines, 1) if line.strip()]
        else:
            continue
        for source, event in events:
            identity = json.dumps(event, sort_keys=True)
            if isinstance(event, dict) and identity not in seen:
                seen.add(identity)
                examples.append(Example(source, event))
    return examples


def trigger_matches(subscribe: str, event: Mapping[str, Any]) -> bool:
    """Whether a subscription's FQL trigger matches the event, as Segment decides it."""
    return matches(subscribe, event)


def outcome(
    definition: Definition,
    action: str,
    event: Mapping[str, Any],
    mapping: Mapping[str, Any],
    settings: Mapping[str, Any],
) -> Outcome:
    """The request (or error) for an event run through `testAction`, which fills in test defaults."""
    try:
        request = prepare_request(definition, action, create_test_event(event), mapping, settings)
    except DestinationError as exc:
        return Outcome(error=exc.message)
    return Outcome(method=request.method, url=request.url, json=request.json)
