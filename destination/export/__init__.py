"""Export the destination to Segment's TypeScript (segmentio/action-destinations), and check drift.

`export_files(project)` is the whole destination folder as Segment lays it out, generated from
the YAML; `write_export` writes it; `check_folder` compares a folder with it (see `check`).
"""

from __future__ import annotations

from pathlib import Path

from destination.export.examples_tests import action_tests
from destination.export.segment import destination_files
from destination.export.sources import Project, load_project

__all__ = ["Project", "export_files", "load_project", "write_export"]


def export_files(project: Project) -> dict[str, str]:
    """Every generated file of the destination's folder, by path relative to that folder."""
    definition_sources = f"{project.definition_label} and {project.presets_label}"
    files = destination_files(project.definition, project.presets, definition_sources)
    test_sources = f"{project.definition_label}, {project.presets_label} and {project.examples_label}"
    for key in project.definition.actions:
        tests = action_tests(project.definition, project.presets, project.examples, key, test_sources)
        if tests is not None:
            files[f"{key}/__tests__/examples.test.ts"] = tests
    return dict(sorted(files.items()))


def write_export(project: Project, outdir: Path) -> list[Path]:
    """Write the generated files into `outdir` (other files there are left alone); returns them."""
    written = []
    for relative, text in export_files(project).items():
        path = outdir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    return written
