"""The one diff of two saved versions: unified lines for a mapping's YAML, per field for settings, secrets masked."""

from __future__ import annotations

from datetime import UTC, datetime

from receiver.live.history import DiffLine, diff
from receiver.store.config_state import FieldChange
from receiver.store.config_versions import SETTINGS_SUBJECT, ConfigVersion, mapping_subject, settings_text

AT = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _settings(number: int, values: dict[str, object]) -> ConfigVersion:
    return ConfigVersion(SETTINGS_SUBJECT, number, AT, "session a", "s", settings_text(values))


def _mapping(number: int, text: str | None) -> ConfigVersion:
    return ConfigVersion(mapping_subject("m"), number, AT, "session a", "m", text)


def test_a_settings_diff_shows_each_changed_field_and_never_a_secret():
    key_one, key_two = "first-outbound-key-1111", "second-outbound-key-2222"
    older = _settings(1, {"outbound": {"region": "eu", "write_key": key_one, "events": ["a", "b"]}})
    newer = _settings(
        2,
        {"outbound": {"region": "us", "write_key": key_two, "events": []}, "antavo": {"api_secret": "hidden-value-9"}},
    )
    found = diff(older, newer)
    assert (found.older, found.newer, found.lines) == (1, 2, ())
    assert found.fields == (
        FieldChange("antavo.api_secret", "not saved", "set (…ue-9)"),  # not a page field: masked as a secret
        FieldChange("outbound.events", "a, b", "(none)"),
        FieldChange("outbound.region", "eu", "us"),
        FieldChange("outbound.write_key", "set (…1111)", "set (…2222)"),
    )
    shown = repr(found)
    assert key_one not in shown and key_two not in shown and "hidden-value-9" not in shown
    first = diff(None, older)
    assert first.older is None and FieldChange("outbound.region", "not saved", "eu") in first.fields
    assert diff(older, _settings(3, {"outbound": {"events": ["a", "b"], "write_key": key_one, "region": "eu"}})).empty


def test_a_mapping_diff_is_a_unified_diff_of_the_texts():
    older, newer = _mapping(1, "# kept\nname: a\nenabled: true\n"), _mapping(2, "# kept\nname: a\nenabled: false\n")
    found = diff(older, newer)
    assert found.fields == () and [line.kind for line in found.lines] == [
        "head", "head", "hunk", "same", "same", "remove", "add"
    ]  # fmt: skip
    assert found.lines[0] == DiffLine("head", "--- version 1") and found.lines[1] == DiffLine("head", "+++ version 2")
    assert found.lines[-2:] == (DiffLine("remove", "-enabled: true"), DiffLine("add", "+enabled: false"))
    deleted = diff(newer, _mapping(3, None))
    assert [line.text for line in deleted.lines if line.kind == "remove"] == ["-# kept", "-name: a", "-enabled: false"]
    assert not [line for line in deleted.lines if line.kind == "add"]
    assert diff(None, older).lines[0] == DiffLine("head", "--- nothing")
    assert diff(older, _mapping(4, older.text)).empty
