"""Every command, fed broken input, ends with `file:line:col: rule: message` and exit code 2 — never a traceback.

The inputs are what a person gets wrong: a mapping file naming an unknown action or holding
a YAML syntax error (even one unrelated to the event), a broken `receiver.yaml`, a broken
settings file, a broken events file and a broken `presets.yaml`. Each is put where the
commands find it (the project folder they run in) or given as the option that reads it.
`validate` reports the files it checks with exit code 1, as it always has.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from installed_cli import run_cli

ROOT = Path(__file__).resolve().parents[2]
QUIET_EVENT = json.dumps({"type": "page", "userId": "u1", "name": "Home"})  # matches no subscription


@dataclass(frozen=True)
class Broken:
    """A broken input: the files to write, and the lines the commands must print for it."""

    files: dict[str, str]
    expected: tuple[str, ...]  # regexes, each a `file:line:col: rule: message` line


BROKEN = {
    "mappings": Broken(
        {
            "mappings/a-typo.yaml": 'name: Typo\nsubscribe: type = "track"\npartnerAction: evnt\nmapping: {}\n',
            "mappings/b-syntax.yaml": 'name: Syntax\nsubscribe: type = "track"\n  partnerAction: [event\n',
        },
        (
            r"mappings/a-typo\.yaml:3:16: unknown-action: unknown action 'evnt'",
            r"mappings/b-syntax\.yaml:\d+:\d+: yaml-syntax: \S",
        ),
    ),
    "receiver.yaml": Broken(
        {"receiver.yaml": "stack: dev\nlog_size: zero\n"},
        (r"receiver\.yaml:2:11: schema: log_size: Input should be a valid integer",),
    ),
    "receiver.yaml syntax": Broken(
        {"receiver.yaml": "stack: [unclosed\nlog_size: 3\n"},
        (r"receiver\.yaml:\d+:\d+: yaml-syntax: not valid YAML",),
    ),
    "presets.yaml": Broken(
        {"presets.yaml": 'presets:\n  - name: P\n    subscribe: type = "track" and (\n    partnerAction: event\n'},
        (r"presets\.yaml:3:\d+: fql: trigger ",),
    ),
    "settings": Broken(
        {"settings.yaml": "api_key: some-key\nstack:\n  nested: 1\n"},
        (r"settings\.yaml:3:\d+: schema: .*(?i:stack)",),
    ),
    "settings syntax": Broken(
        {"settings.yaml": "stack: dev\napi_key: 'unclosed\n"},
        (r"settings\.yaml:\d+:\d+: yaml-syntax: ",),
    ),
    "events": Broken(
        {"events.jsonl": QUIET_EVENT + '\n{"type": "track", nope}\n'},
        (r"events\.jsonl:2:\d+: json-syntax: not JSON",),
    ),
}

# What each command reads: (arguments, which broken inputs it reads, its exit code when it reads one).
SEND = ["send", "events.jsonl", "--to", "http://127.0.0.1:9", "--settings", "settings.yaml"]
COMMANDS: dict[str, tuple[list[str], set[str], int]] = {
    "validate": (["validate"], {"mappings", "receiver.yaml", "receiver.yaml syntax", "presets.yaml"}, 1),
    "schemas": (["schemas", "--check"], set(), 2),
    "presets": (["presets"], {"presets.yaml"}, 2),
    "map": (["map", "events.jsonl"], {"mappings", "events"}, 2),
    "map --preset": (["map", "events.jsonl", "--preset", "Signed Up"], {"presets.yaml", "events"}, 2),
    "send": (SEND, {"mappings", "settings", "settings syntax", "events"}, 2),
    "serve": (["serve", "--port", "0"], {"mappings", "receiver.yaml", "receiver.yaml syntax"}, 2),
    "serve --config": (["serve", "--port", "0", "--config", "settings.yaml"], {"settings", "settings syntax"}, 2),
}


def project(folder: Path, broken: Broken) -> Path:
    """A project folder with good defaults (one quiet event, valid settings) and the broken files."""
    (folder / "events.jsonl").write_text(QUIET_EVENT + "\n", encoding="utf-8")
    (folder / "settings.yaml").write_text("stack: dev\napi_key: some-key\n", encoding="utf-8")
    for name, text in broken.files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


FOUND_IN_FOLDER = {"mappings", "receiver.yaml", "presets.yaml"}  # what a command finds without being told
CASES = [
    (command, kind)
    for command, (_, reads, _) in COMMANDS.items()
    for kind in BROKEN
    # a command that does not read the broken file must still work; a serve that works would just serve
    if kind in reads or (kind in FOUND_IN_FOLDER and not command.startswith("serve"))
]


@pytest.mark.parametrize(("command", "kind"), CASES, ids=[f"{c}-{k}" for c, k in CASES])
def test_no_command_ends_in_a_traceback(tmp_path: Path, command: str, kind: str) -> None:
    args, reads, code = COMMANDS[command]
    result = run_cli(*args, cwd=project(tmp_path, BROKEN[kind]), env={"ANTAVO_API_KEY": "test-key-0123456789"})
    output = result.stdout + result.stderr
    assert "Traceback (most recent call last)" not in output, output
    if kind in reads:
        assert result.returncode == code, output
        for pattern in BROKEN[kind].expected:
            assert re.search(r"(^|\s|/)" + pattern, output, re.M), (pattern, output)
    else:
        assert result.returncode == 0, output
