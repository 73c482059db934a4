"""Loading subscriptions for a run (`map`, `send`, the receiver's ingest) only after `validate`'s checks.

A run reads every file of `mappings/`, so one broken file, even one unrelated to the event,
would stop it with a Python error. Checking first turns that into the same
`file:line:col: rule: message` lines `validate` prints, for every broken file at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from destination.definition.model import Definition, load_yaml
from destination.definition.project import project_path
from destination.definition.subscriptions import Subscription, load_presets, mapping_files, subscription_from
from destination.errors import DestinationError
from destination.lint.checks import Problem, check_file


class ProjectFilesError(DestinationError):
    """Mapping or preset files that cannot be used; `problems` lists each as `validate` reports it."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(p.text() for p in problems))
        self.problems = problems


def _checked(files: Iterable[Path], definition: Definition) -> None:
    problems = [p for f in files for p in check_file(f, definition)]
    if problems:
        raise ProjectFilesError(problems)


def checked_mapping_files(directory: Path | None = None) -> list[Path]:
    """The YAML files of a mappings folder; a missing or unreadable folder is a problem, not a crash."""
    folder = directory or project_path("mappings")
    try:
        return mapping_files(folder)
    except OSError as exc:
        raise ProjectFilesError(
            [Problem(str(folder), 1, 1, "read", f"cannot read the folder: {exc.strerror}")]
        ) from None


def checked_mappings(definition: Definition, paths: Iterable[Path] | None = None) -> list[Subscription]:
    """The subscriptions of these files (default: the mappings folder), once every file passes the checks."""
    files = list(paths) if paths is not None else checked_mapping_files()
    _checked(files, definition)
    return [subscription_from(load_yaml(p), definition, str(p)) for p in files]


def checked_presets(definition: Definition, path: Path | None = None) -> list[Subscription]:
    """The presets of `presets.yaml`, once the file passes the checks."""
    file = path or project_path("presets.yaml")
    _checked([file], definition)
    return load_presets(definition, file)
