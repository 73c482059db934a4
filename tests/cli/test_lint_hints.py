"""Schema problems at the key a person has to fix, with a did-you-mean; a typo is one problem."""

from __future__ import annotations

from pathlib import Path

from destination.definition.model import load_definition
from destination.lint.checks import check_file

DEFINITION = load_definition()


def problems(tmp_path: Path, text: str, name: str = "m.yaml") -> list[tuple[int, int, str, str]]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return [(p.line, p.column, p.rule, p.message) for p in check_file(path, DEFINITION)]


def test_a_misspelt_key_is_reported_at_its_line_and_folds_the_missing_one(tmp_path: Path) -> None:
    found = problems(tmp_path, 'name: n\nsubcribe: type = "track"\npartnerAction: event\nmapping: {action: opt_in}\n')
    assert found == [
        (
            2,
            1,
            "schema",
            "/subcribe: unknown key 'subcribe': did you mean 'subscribe'? ('subscribe' is required and missing)",
        )
    ]


def test_an_unknown_key_without_a_near_miss_lists_what_is_allowed(tmp_path: Path) -> None:
    [(line, column, rule, message)] = problems(
        tmp_path, 'name: n\nsubscribe: type = "track"\npartnerAction: event\nmapping: {action: x}\ncolour: red\n'
    )
    assert (line, column, rule) == (5, 1, "schema")
    assert message.startswith("/colour: unknown key 'colour'; allowed here: name, subscribe")


def test_a_missing_key_without_a_typo_is_still_reported(tmp_path: Path) -> None:
    found = problems(tmp_path, 'subscribe: type = "track"\npartnerAction: event\nmapping: {action: x}\n')
    assert [m for *_, m in found] == ["the document: 'name' is a required property"]


def test_nested_typos_and_enum_values_get_hints(tmp_path: Path) -> None:
    text = (
        'presets:\n  - name: p\n    subscribe: type = "track"\n    partnerAction: event\n'
        '    mapping: {}\n    type: automatc\n  - name: q\n    subscrbe: type = "track"\n'
        "    partnerAction: event\n    mapping: {}\n    type: automatic\n"
    )
    found = [f for f in problems(tmp_path, text, "presets.yaml") if f[2] == "schema"]
    assert (6, 11, "schema") == found[0][:3] and found[0][3].endswith("(did you mean 'automatic'?)")
    assert found[1][:3] == (8, 5, "schema") and "did you mean 'subscribe'?" in found[1][3]
    assert len(found) == 2


def test_unknown_fields_of_an_action_get_a_did_you_mean(tmp_path: Path) -> None:
    [(line, column, rule, message)] = problems(
        tmp_path, 'name: n\nsubscribe: type = "track"\npartnerAction: event\nmapping:\n  action: opt_in\n  dta: {}\n'
    )
    assert (line, column, rule) == (6, 3, "unknown-field") and "(did you mean 'data'?)" in message
