"""`antavo-actions export segment`: Segment's TypeScript from the YAML, and `--check` for drift.

The Node proofs (tsc, Segment's tests, the recorded cases) are in test_export_segment_node.py;
here: the generated types against Segment's files, what `--check` reports against Segment's
folder (only what our YAML deliberately adds), edits in the YAML reaching the TypeScript, and
the generator knowing nothing of this destination.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
from segment_node import REFERENCE, ROOT, require_segment_source
from typer.testing import CliRunner

from antavo_actions.cli.export import export_app
from destination.definition.model import DEFINITION_PATH, load_yaml, parse_definition
from destination.export import Project, export_files, load_project, write_export
from destination.export import tsliteral as ts
from destination.export.check import check_folder, normalize
from destination.export.segment import is_header

runner = CliRunner()
PROJECT = load_project()
FILES = export_files(PROJECT)


@pytest.mark.parametrize("relative", ["generated-types.ts", "event/generated-types.ts", "profile/generated-types.ts"])
def test_generated_types_are_byte_for_byte_segments(relative: str) -> None:
    require_segment_source()
    assert FILES[relative].encode() == (REFERENCE / relative).read_bytes()


def test_the_folder_has_segments_layout() -> None:
    actions = list(PROJECT.definition.actions)
    expected = {"index.ts", "generated-types.ts"}
    for key in actions:
        expected |= {f"{key}/index.ts", f"{key}/generated-types.ts", f"{key}/__tests__/examples.test.ts"}
    assert set(FILES) == expected
    assert "import event from './event'" in FILES["index.ts"] and "export default destination" in FILES["index.ts"]
    assert export_files(load_project()) == FILES  # deterministic


def test_every_generated_file_but_the_types_says_how_to_regenerate_it() -> None:
    for name, text in FILES.items():
        first = text.split("\n", 1)[0]
        if name.endswith("generated-types.ts"):
            assert first == "// Generated file. DO NOT MODIFY IT BY HAND."  # Segment's banner
        else:
            assert is_header(first) and "destination/antavo.yaml" in first, (name, first)


def test_the_command_line_has_export_segment() -> None:
    from antavo_actions.cli.app import build_app  # the one place these tests name the top-level command

    result = runner.invoke(build_app(), ["export", "segment", "--help"])
    assert result.exit_code == 0 and "--check" in result.stdout


def test_export_writes_the_folder_and_check_finds_it_equal(tmp_path: Path) -> None:
    out = tmp_path / "antavo"
    result = runner.invoke(export_app, ["segment", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == sorted(FILES)
    result = runner.invoke(export_app, ["segment", "--check", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""


def _without_additions(generated: str) -> list[str]:
    """The generated index.ts without what our YAML adds to Segment's: description, presets."""
    lines = normalize(generated)
    start = lines.index("  presets: [\n")
    end = lines.index("  ],\n", start)
    del lines[start : end + 1]
    removed = [
        "import { defaultValues } from '@segment/actions-core'\n",
        f"  description: {ts.string(PROJECT.definition.raw['description'])},\n",
    ]
    for line in removed:
        lines.remove(line)
    return lines


def test_check_against_segments_folder_reports_only_what_the_yaml_adds() -> None:
    require_segment_source()
    result = runner.invoke(export_app, ["segment", "--check", str(REFERENCE)])
    assert result.exit_code == 1
    diffs = check_folder(REFERENCE, FILES).diffs
    assert set(diffs) == {"index.ts", "event/__tests__/examples.test.ts", "profile/__tests__/examples.test.ts"}
    assert result.stdout == "".join(diffs.values())
    # index.ts: the destination's description and the presets, nothing removed or changed.
    assert not [line for line in diffs["index.ts"].splitlines()[2:] if line.startswith("-")]
    assert _without_additions(FILES["index.ts"]) == normalize((REFERENCE / "index.ts").read_text(encoding="utf-8"))
    # The tests from examples/ are new files; Segment's own tests are not compared.
    for name in ("event/__tests__/examples.test.ts", "profile/__tests__/examples.test.ts"):
        assert diffs[name].startswith("--- /dev/null\n")
    assert "not compared: __tests__/__snapshots__/snapshot.test.ts.snap" in result.stderr


def test_check_ignores_the_header_and_trailing_commas_only() -> None:
    text = "// Generated from a.yaml by `antavo-actions export segment`.\nconst a = {\n  b: 1,\n}\n"
    assert normalize(text) == ["const a = {\n", "  b: 1\n", "}\n"]
    assert normalize("const a = [1, 2]\n") == ["const a = [1, 2]\n"]


def _edited(change: Any) -> Project:
    raw = copy.deepcopy(load_yaml(DEFINITION_PATH))
    change(raw)
    return Project(parse_definition(raw), PROJECT.presets, PROJECT.examples)


def test_a_description_edited_in_the_yaml_changes_the_typescript(tmp_path: Path) -> None:
    def edit(raw: dict[str, Any]) -> None:
        raw["actions"]["event"]["fields"]["action"]["description"] = "The loyalty event's name, as Antavo knows it"

    files = export_files(_edited(edit))
    assert "description: 'The loyalty event\\'s name, as Antavo knows it'," in files["event/index.ts"]
    assert (
        "   * The loyalty event's name, as Antavo knows it\n   */\n  action: string"
        in files["event/generated-types.ts"]
    )
    write_export(PROJECT, tmp_path)
    assert set(check_folder(tmp_path, files).diffs) == {"event/index.ts", "event/generated-types.ts"}


def test_a_default_edited_in_the_yaml_changes_the_typescript_and_the_example_tests(tmp_path: Path) -> None:
    def edit(raw: dict[str, Any]) -> None:
        fields = raw["actions"]["profile"]["fields"]  # `customer` is a YAML alias shared with `event`
        fields["customer"] = {**fields["customer"], "default": {"@path": "$.traits.loyalty_id"}}

    files = export_files(_edited(edit))
    assert "default: {\n        '@path': '$.traits.loyalty_id'\n      }" in files["profile/index.ts"]
    assert FILES["profile/index.ts"].count("'$.userId'") == 1 and "'$.userId'" not in files["profile/index.ts"]
    write_export(PROJECT, tmp_path)
    # The example has no traits.loyalty_id: the generated test now expects Segment's error.
    assert set(check_folder(tmp_path, files).diffs) == {"profile/index.ts", "profile/__tests__/examples.test.ts"}
    error = ts.string("The root value is missing the required field 'customer'.")
    assert f".rejects.toThrowError(\n        {error}\n      )" in files["profile/__tests__/examples.test.ts"]


def test_an_edited_antavo_yaml_is_drift_for_check(tmp_path: Path) -> None:
    """The CI use: the YAML changed, the Segment folder did not; --check shows the change."""
    write_export(PROJECT, tmp_path / "segment")
    text = DEFINITION_PATH.read_text(encoding="utf-8")
    assert text.count("description: Loyalty event name in Antavo\n") == 1
    edited = tmp_path / "antavo.yaml"
    edited.write_text(
        text.replace("description: Loyalty event name in Antavo\n", "description: Antavo event\n"), encoding="utf-8"
    )
    result = runner.invoke(export_app, ["segment", "--check", str(tmp_path / "segment"), "--definition", str(edited)])
    assert result.exit_code == 1
    assert "-      description: 'Loyalty event name in Antavo',\n+      description: 'Antavo event',\n" in result.stdout
    assert "-   * Loyalty event name in Antavo\n+   * Antavo event\n" in result.stdout


def test_the_tests_from_examples_expect_the_runtimes_requests() -> None:
    event_tests = FILES["event/__tests__/examples.test.ts"]
    assert "it('order-completed.json with the preset \"Order Completed\"'" in event_tests
    assert "nock('https://api.test-stack.antavo.com').post('/v1/webhook/segment', body)" in event_tests
    assert "action: 'checkout',\n        data: {\n          transaction_id: 'ORD-50314'," in event_tests
    for example in PROJECT.examples:
        assert any(f"it('{example.source} with" in text for text in FILES.values()), example.source


def test_the_generator_knows_nothing_about_this_destination() -> None:
    """Names, fields, URLs, texts: all from the YAML. Only our tool's and file's names appear."""
    words = ["antavo", "customer", "loyalty", "stack", "api_key", "webhook", "profile", "point_add"]
    for path in (ROOT / "destination" / "export").glob("*.py"):
        text = path.read_text(encoding="utf-8").lower().replace("antavo-actions", "").replace("antavo.yaml", "")
        found = [w for w in words if re.search(rf"\b{w}\b", text)]
        assert not found, (path.name, found)


def test_another_destination_exports_from_its_own_yaml() -> None:
    raw = {
        "name": "Example (Actions)",
        "slug": "actions-example",
        "mode": "cloud",
        "authentication": {
            "scheme": "custom",
            "fields": {"region": {"label": "Region", "type": "string", "required": True}},
        },
        "request": {
            "method": "PUT",
            "base_url": "https://{region}.example.test",
            "path": "/v2/things",
            "settings_in_body": [],
        },
        "actions": {
            "delete": {
                "title": "Remove",
                "description": "Removes a thing",
                "defaultSubscription": 'type = "track"',
                "body": {"op": "remove", "tags": ["a", "b"]},
                "fields": {
                    "thing-id": {"label": "Thing", "description": "Which one", "type": "integer", "required": True}
                },
            }
        },
    }
    files = export_files(Project(parse_definition(raw), [], []))
    assert set(files) == {"index.ts", "generated-types.ts", "delete/index.ts", "delete/generated-types.ts"}
    assert "import deleteAction from './delete'" in files["index.ts"] and "delete: deleteAction" in files["index.ts"]
    action = files["delete/index.ts"]
    assert "const url = `https://${data.settings.region}.example.test/v2/things`" in action
    assert "      op: 'remove',\n      tags: [\n        'a',\n        'b'\n      ]\n    }" in action
    assert "method: 'put'" in action
    assert "  'thing-id': number\n" in files["delete/generated-types.ts"]


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert runner.invoke(export_app, ["segment", "--check", str(tmp_path / "nowhere")]).exit_code == 2
    missing = runner.invoke(export_app, ["segment", str(tmp_path), "--definition", str(tmp_path / "no.yaml")])
    assert missing.exit_code == 2 and "no such file" in missing.stderr


@pytest.mark.parametrize(
    "value,expected",
    [("it's", "'it\\'s'"), ("a\\b", "'a\\\\b'"), ("line\nnext", "'line\\nnext'"), ("—", "'—'"), ("\x01", "'\\u0001'")],
)
def test_strings_are_single_quoted_like_segments_files(value: str, expected: str) -> None:
    assert ts.string(value) == expected


@pytest.mark.parametrize(
    "value,expected", [(1, "1"), (129.9, "129.9"), (1.0, "1"), (1e21, "1e+21"), (1e-7, "1e-7"), (-2.5, "-2.5")]
)
def test_numbers_print_as_javascript_prints_them(value: float, expected: str) -> None:
    assert ts.number(value) == expected


def test_readme_explains_publishing_to_segment() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Publishing to Segment", 1)[1].split("\n## ", 1)[0]
    assert "antavo-actions export segment" in section and "--check" in section
    assert "segmentio/action-destinations" in section
