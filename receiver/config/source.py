"""`receiver.yaml` read with positions, so a bad setting is reported as `file:line:col: rule: message`.

That is the line `validate` prints for mapping files; an editor or CI can jump to it. Values
are never echoed (a key may have been pasted into the file by mistake).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from destination.definition.yamlsrc import SourceFile, YAMLSyntaxError, load_source, plain


@dataclass(frozen=True)
class SettingProblem:
    """One problem of a settings file; `line` is None for a setting that did not come from the file."""

    file: Path
    line: int | None
    column: int
    rule: str
    message: str

    def text(self) -> str:
        if self.line is None:
            return f"  {self.message}"
        return f"{self.file}:{self.line}:{self.column}: {self.rule}: {self.message}"


class SettingsFileError(Exception):
    """The file cannot be read as settings; the message is one `file:line:col: rule: message` line."""

    def __init__(self, problem: SettingProblem) -> None:
        super().__init__(problem.text())
        self.problem = problem


def read_settings_file(path: Path) -> dict[str, Any]:
    """The settings a YAML file holds (an empty file holds none)."""
    try:
        source = load_source(path)
    except YAMLSyntaxError as exc:
        where = exc.position
        raise SettingsFileError(
            SettingProblem(path, where.line, where.column, "yaml-syntax", f"not valid YAML: {exc.message}")
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise SettingsFileError(SettingProblem(path, 1, 1, "read", f"cannot read the file: {reason}")) from None
    data = plain(source)
    if data is None:
        return {}
    if not isinstance(data, dict):
        message = f"must hold a mapping of settings, not {type(data).__name__}"
        raise SettingsFileError(SettingProblem(path, 1, 1, "schema", message))
    return data


def locate(
    path: Path, problems: Iterable[tuple[Sequence[str | int], str]], *, all_from_file: bool = False
) -> list[SettingProblem]:
    """Each problem at its setting's line when the file writes that setting.

    A setting that came from the environment or an option has no line; with `all_from_file`
    (the file checked alone) such problems point at the file's start.
    """
    try:
        source: SourceFile | None = load_source(path)
    except (YAMLSyntaxError, OSError, UnicodeDecodeError):
        source = None
    located = []
    for loc, message in problems:
        name = ".".join(str(part) for part in loc) or "settings"
        if source is not None and loc and _written(source.data, loc[0]):
            pos = source.position(list(loc))
            located.append(SettingProblem(path, pos.line, pos.column, "schema", f"{name}: {message}"))
        else:
            located.append(SettingProblem(path, 1 if all_from_file else None, 1, "schema", f"{name}: {message}"))
    return located


def _written(data: Any, key: str | int) -> bool:
    return isinstance(data, dict) and key in data
