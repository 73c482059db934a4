"""Loading subscriptions for a run (`map`, `send`, the receiver's ingest) only after `validate`'s checks.

A run reads every file of `mappings/`, so one broken file, even one unrelated to the event,
would stop it with a Python error. Checking first turns that into the same
`file:line:col: rule: message` lines `validate` prints, for every broken file at once.

Only errors stop a run, as they make `validate` exit 1; warnings (what Segment accepts but will
not do what it says) are handed to the caller to show, and stop the run only when `strict`,
as `validate --strict` exits 1 for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from destination.definition.model import Definition, load_yaml
from destination.definition.project import project_path
from destination.definition.subscriptions import Subscription, load_presets, mapping_files, subscription_from
from destination.definition.yamlsrc import parse_source, plain
from destination.errors import DestinationError
from destination.lint.checks import Problem, check_file, check_text


class ProjectFilesError(DestinationError):
    """Mapping or preset files that cannot be used; `problems` lists each as `validate` reports it."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(p.text() for p in problems))
        self.problems = problems


def blocking(problems: Iterable[Problem], *, strict: bool = False) -> bool:
    """True when these problems stop a run: any error, or any warning when `strict`."""
    return any(p.severity == "error" or strict for p in problems)


def _checked(files: Iterable[Path], definition: Definition, *, strict: bool, warnings: list[Problem] | None) -> None:
    problems = [p for f in files for p in check_file(f, definition)]
    if blocking(problems, strict=strict):
        raise ProjectFilesError(problems)
    if warnings is not None:
        warnings.extend(problems)


def checked_mapping_files(directory: Path | None = None) -> list[Path]:
    """The YAML files of a mappings folder; a missing or unreadable folder is a problem, not a crash."""
    folder = directory or project_path("mappings")
    try:
        return mapping_files(folder)
    except OSError as exc:
        raise ProjectFilesError(
            [Problem(str(folder), 1, 1, "read", f"cannot read the folder: {exc.strerror}")]
        ) from None


def checked_mappings(
    definition: Definition,
    paths: Iterable[Path] | None = None,
    *,
    strict: bool = False,
    warnings: list[Problem] | None = None,
) -> list[Subscription]:
    """The subscriptions of these files (default: the mappings folder), once no file has an error.

    Warnings are added to `warnings` (when given); with `strict` they stop the run as errors do.
    """
    files = list(paths) if paths is not None else checked_mapping_files()
    _checked(files, definition, strict=strict, warnings=warnings)
    return [subscription_from(load_yaml(p), definition, str(p)) for p in files]


def checked_presets(
    definition: Definition,
    path: Path | None = None,
    *,
    strict: bool = False,
    warnings: list[Problem] | None = None,
) -> list[Subscription]:
    """The presets of `presets.yaml`, once the file has no error (warnings as for `checked_mappings`)."""
    file = path or project_path("presets.yaml")
    _checked([file], definition, strict=strict, warnings=warnings)
    return load_presets(definition, file)


def checked_texts(
    definition: Definition,
    texts: Mapping[str, str],
    *,
    strict: bool = False,
    warnings: list[Problem] | None = None,
) -> list[Subscription]:
    """The subscriptions of mapping texts not in files (e.g. a receiver's saved set), named by `texts`' keys,
    once none has an error (warnings as for `checked_mappings`)."""
    problems = [p for name, text in texts.items() for p in check_text(text, name, definition)]
    if blocking(problems, strict=strict):
        raise ProjectFilesError(problems)
    if warnings is not None:
        warnings.extend(problems)
    return [subscription_from(plain(parse_source(text, Path(name))), definition, name) for name, text in texts.items()]
