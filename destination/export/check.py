"""`export segment --check DIR`: does a folder hold what the YAML generates? A unified diff if not.

Only the files the export writes are compared; the folder's other files (Segment's own tests
and snapshots, `metadata.json`) are listed as not compared. The comparison ignores what does
not change the code: the generator's header line, a trailing comma before a closing bracket
(a hand-edited file may have one, prettier removes them in Segment's style) and trailing
spaces. Everything else, the generated types included, must be equal.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from destination.export.segment import is_header

_CLOSERS = ("}", "]", ")")


@dataclass(frozen=True)
class CheckResult:
    """The diffs (one per differing file, in path order) and the folder's files that were not compared."""

    diffs: dict[str, str] = field(default_factory=dict)
    not_compared: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.diffs

    def text(self) -> str:
        return "".join(self.diffs.values())


def normalize(text: str) -> list[str]:
    """The lines compared: no generator header, no trailing comma before a closer, no trailing spaces."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    if lines and is_header(lines[0]):
        lines = lines[1:]
    for i, line in enumerate(lines):
        if line.endswith(","):
            following = next((n.lstrip() for n in lines[i + 1 :] if n.strip()), "")
            if following.startswith(_CLOSERS):
                lines[i] = line[:-1]
    while lines and not lines[-1]:
        lines.pop()
    return [line + "\n" for line in lines]


def check_folder(folder: Path, generated: Mapping[str, str]) -> CheckResult:
    """Compare `folder` with the generated files; a missing file differs from all of its lines."""
    diffs: dict[str, str] = {}
    for relative, text in sorted(generated.items()):
        path = folder / relative
        existing = normalize(path.read_text(encoding="utf-8")) if path.is_file() else []
        wanted = normalize(text)
        if existing != wanted:
            before = f"a/{relative}" if path.is_file() else "/dev/null"
            diff = difflib.unified_diff(existing, wanted, before, f"b/{relative} (generated)")
            diffs[relative] = "".join(diff)
    present = (p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    others = sorted(name for name in present if name not in generated)
    return CheckResult(diffs, others)
