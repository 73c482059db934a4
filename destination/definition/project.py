"""Where the project's files live: `schemas/`, `presets.yaml`, `mappings/`, `receiver.yaml`, `tracking_plan.yaml`.

An integration engineer keeps mappings in their own repository and runs the command from
inside it, so the nearest of the current folder and its parents that holds a project file
wins, as git finds its repository. `ANTAVO_ACTIONS_HOME` overrides the search. Without
either, the files beside the package (a checkout or an editable install) or the copies a
regular install put in the environment's shared data folder are used; a project folder that
lacks one of the files (say, only `mappings/`) gets that one from there too.
"""

from __future__ import annotations

import os
import sysconfig
from dataclasses import dataclass
from pathlib import Path

HOME_VARIABLE = "ANTAVO_ACTIONS_HOME"
PLAN_FILE = "tracking_plan.yaml"  # optional: without one, nothing is checked against a plan
PROJECT_FILES = ("presets.yaml", "mappings", "receiver.yaml", PLAN_FILE)
_CHECKOUT = Path(__file__).resolve().parents[2]
_INSTALLED = Path(sysconfig.get_path("data")) / "share" / "antavo-actions"


@dataclass(frozen=True)
class ProjectRoot:
    """The folder used and how it was chosen, so commands can say which files they read."""

    path: Path
    how: str

    def describe(self) -> str:
        return f"project files from {self.path} ({self.how})"


def _shipped() -> Path:
    for candidate in (_CHECKOUT, _INSTALLED):
        if (candidate / "presets.yaml").is_file():
            return candidate
    return _CHECKOUT


def _nearest(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if any((folder / name).exists() for name in PROJECT_FILES):
            return folder
    return None


def find_project() -> ProjectRoot:
    """The override, else the nearest project folder from the current one up, else the shipped copies."""
    override = os.environ.get(HOME_VARIABLE)
    if override:
        return ProjectRoot(Path(override), f"set by {HOME_VARIABLE}")
    try:
        found = _nearest(Path.cwd().resolve())
    except OSError:  # the current folder was deleted
        found = None
    if found is not None:
        return ProjectRoot(found, "the current folder" if found == Path.cwd().resolve() else "a parent folder")
    shipped = _shipped()
    return ProjectRoot(shipped, "installed with the package" if shipped == _INSTALLED else "beside the package")


def project_root() -> Path:
    """The folder holding the project's files (see `find_project`)."""
    return find_project().path


def project_path(*parts: str) -> Path:
    """A path inside the project root, else the shipped copy when the project lacks it."""
    wanted = project_root().joinpath(*parts)
    if wanted.exists() or not parts:
        return wanted
    shipped = _shipped().joinpath(*parts)
    return shipped if shipped.exists() else wanted
