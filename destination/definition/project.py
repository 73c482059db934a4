"""Where the project's files live: `schemas/`, `presets.yaml`, `mappings/`.

A checkout (or an editable install) uses the files beside the package. A regular install
carries copies in the environment's shared data folder. `ANTAVO_ACTIONS_HOME` points
anywhere else, e.g. an integration engineer's own repository of mappings.
"""

from __future__ import annotations

import os
import sysconfig
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[2]
_INSTALLED = Path(sysconfig.get_path("data")) / "share" / "antavo-actions"


def project_root() -> Path:
    """The folder holding `schemas/`, `presets.yaml` and `mappings/`."""
    override = os.environ.get("ANTAVO_ACTIONS_HOME")
    if override:
        return Path(override)
    for candidate in (_CHECKOUT, _INSTALLED):
        if (candidate / "presets.yaml").is_file():
            return candidate
    return _CHECKOUT


def project_path(*parts: str) -> Path:
    """A path inside the project root, e.g. `project_path("schemas")`."""
    return project_root().joinpath(*parts)
