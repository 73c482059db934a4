"""Warnings never stop a run: `map`, `send` and `serve` show them as `validate` does and go on, unless `--strict`.

The installed command runs in a project folder whose `mappings/` holds one mapping with only
warnings (`==` in the trigger, a near-miss data key), as a person who ignored `validate` would.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
from installed_cli import COMMAND, run_cli

WARNED = """name: Warned
subscribe: type == "track"
partnerAction: event
mapping:
  action: point_add
  data:
    pionts: {"@path": $.properties.points}
"""
EVENT = {"type": "track", "event": "Points Earned", "userId": "u1", "messageId": "m1", "properties": {"points": 3}}
ENV = {"ANTAVO_API_KEY": "test-key-0123456789"}


def project(folder: Path) -> Path:
    (folder / "mappings").mkdir()
    (folder / "mappings" / "warned.yaml").write_text(WARNED, encoding="utf-8")
    (folder / "event.json").write_text(json.dumps(EVENT), encoding="utf-8")
    (folder / "settings.yaml").write_text("stack: dev\napi_key: some-key-0123456789\n", encoding="utf-8")
    return folder


def warning_lines(text: str) -> list[str]:
    """The `file:line:col: warning: rule: message` lines, each from `mappings/` on (a run may print the
    folder it found as an absolute path)."""
    return [line[line.index("mappings/") :] for line in text.splitlines() if ": warning: " in line]


def test_validate_map_and_send_show_the_warnings_and_go_on(tmp_path: Path) -> None:
    folder = project(tmp_path)
    validate = run_cli("validate", "mappings", cwd=folder)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    expected = sorted(warning_lines(validate.stdout))
    assert [line.split(": warning: ")[1].split(":")[0] for line in expected] == ["fql-operator", "contract-required"]

    mapped = run_cli("map", "event.json", "--mapping", "mappings/warned.yaml", cwd=folder)
    assert mapped.returncode == 0, mapped.stdout + mapped.stderr
    assert sorted(warning_lines(mapped.stderr)) == expected
    assert "Warned → action event" in mapped.stdout and '"pionts": 3' in mapped.stdout

    every = run_cli("map", "event.json", cwd=folder)
    assert every.returncode == 0 and sorted(warning_lines(every.stderr)) == expected, every.stderr

    sent = run_cli("send", "event.json", "--to", "http://127.0.0.1:9", "--settings", "settings.yaml", cwd=folder)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert sorted(warning_lines(sent.stderr)) == expected
    assert "1 events, 1 unmatched" in sent.stdout  # `type == "track"` is read as `type = "="`: no event matches


def test_strict_stops_map_send_and_serve_on_warnings(tmp_path: Path) -> None:
    folder = project(tmp_path)
    expected = sorted(warning_lines(run_cli("validate", "mappings", cwd=folder).stdout))
    runs = {
        "map": run_cli("map", "event.json", "--strict", cwd=folder),
        "send": run_cli(
            "send", "event.json", "--to", "http://127.0.0.1:9", "--settings", "settings.yaml", "--strict", cwd=folder
        ),
        "serve": run_cli("serve", "--port", "0", "--strict", cwd=folder, env=ENV),
    }
    for name, result in runs.items():
        assert result.returncode == 2, (name, result.stdout + result.stderr)
        assert sorted(warning_lines(result.stderr)) == expected, (name, result.stderr)
    assert "--strict stops on warnings" in runs["serve"].stderr


def test_serve_starts_on_a_mapping_with_only_warnings_and_says_so(tmp_path: Path) -> None:
    folder = project(tmp_path)
    proc = subprocess.Popen(
        [str(COMMAND), "serve", "--port", "0", "--log-level", "warning"],
        cwd=folder,
        env={**os.environ, **ENV, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        lines: list[str] = []
        assert proc.stdout is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(line.startswith("Press Ctrl-C") for line in lines):
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line.rstrip("\n"))
        banner = "\n".join(lines)
        assert "Mapping warnings:    2 (listed above; they never stop the receiver, --strict does)" in banner, banner
        base = banner.split(" on ", 1)[1].split()[0]
        assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        _, stderr = proc.communicate(timeout=15)
    assert len(warning_lines(stderr)) == 2, stderr
