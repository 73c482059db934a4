"""The installed command as a new user runs it (issue 16): `send`'s explanations, `serve` on a busy port,
plain output in pipes, and project files found from the folder the user is in."""

from __future__ import annotations

import json
import re
import shutil
import socket
from pathlib import Path
from typing import Any

from installed_cli import run_cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
POINTS = json.dumps(
    {"type": "track", "userId": "cust-nu-1", "event": "Points Earned", "messageId": "nu-1", "properties": {"points": 5}}
)


def test_send_shows_the_servers_explanation_connection_errors_and_missing_types(
    receiver_server: Any, tmp_path: Path
) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text(POINTS + "\n" + json.dumps({"event": "Typeless", "messageId": "nu-2"}) + "\n", encoding="utf-8")
    wrong = run_cli(
        "send", str(events), "--to", receiver_server.base_url, "--stack", "dev", "--api-key", "nope", cwd=ROOT
    )
    assert wrong.returncode == 1, wrong.stdout + wrong.stderr
    assert "401: UNAUTHORIZED: " in wrong.stdout and "HTTP 401 Unauthorized" not in wrong.stdout
    assert re.search(r"nu-2 +unmatched: the event has no \"type\"", wrong.stdout), wrong.stdout
    assert "2 events, 1 unmatched, 0 accepted, 0 replayed, 1 refused, 0 not sent" in wrong.stdout
    with socket.socket() as sock:  # a loopback port with nobody listening
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    gone = run_cli("send", "-", "--to", closed, "--stack", "dev", "--api-key", "k", cwd=ROOT, input=POINTS)
    assert "not sent: ConnectError" in gone.stdout, gone.stdout
    assert "0 refused, 1 not sent" in gone.stdout and gone.returncode == 1


def test_serve_on_a_busy_port_says_which_option_changes_it(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = run_cli("serve", "--port", str(port), cwd=tmp_path, env={"ANTAVO_API_KEY": "k-0123456789abcdef"})
    output = result.stdout + result.stderr
    assert result.returncode == 2 and "--port" in output and "another program" in output, output
    assert "Errno" not in output and "Antavo receiver (stack" not in output


def test_map_and_presets_print_plain_lines_into_a_pipe() -> None:
    mapped = run_cli("map", str(EXAMPLES / "points-earned.json"), "--mapping", "mappings/points-earned.yaml", cwd=ROOT)
    assert mapped.returncode == 0 and '"points": 250' in mapped.stdout
    assert [line for line in mapped.stdout.splitlines() if line != line.rstrip()] == []
    listed = run_cli("presets", cwd=ROOT, env={"COLUMNS": "60"})
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    assert rows[0] == ["Preset Name", "Trigger", "Default Action"]
    assert ["Product Reviewed", 'type = "track" and event = "Product Reviewed"', "Loyalty events"] in rows


def test_project_files_come_from_the_current_folder_or_its_parents(tmp_path: Path) -> None:
    project = tmp_path / "integration-repo"
    (project / "mappings").mkdir(parents=True)
    shutil.copy(ROOT / "mappings" / "points-earned.yaml", project / "mappings" / "mine.yaml")
    text = (project / "mappings" / "mine.yaml").read_text(encoding="utf-8")
    (project / "mappings" / "mine.yaml").write_text(text.replace("name: Points Earned", "name: Mine"), "utf-8")
    inside = project / "sub" / "dir"
    inside.mkdir(parents=True)
    mapped = run_cli("map", str(EXAMPLES / "points-earned.json"), "--json", cwd=inside)
    assert [r["name"] for r in json.loads(mapped.stdout)] == ["Mine → point_add"], mapped.stdout
    checked = run_cli("validate", cwd=inside)
    assert checked.returncode == 0 and f"project files from {project} (a parent folder)" in checked.stderr
    assert "presets.yaml" not in checked.stdout  # presets come from the installed copy, and are fine
    elsewhere = run_cli(
        "map", str(EXAMPLES / "points-earned.json"), "--json", cwd=inside, env={"ANTAVO_ACTIONS_HOME": str(ROOT)}
    )
    assert "Mine → point_add" not in elsewhere.stdout and "Points Earned → point_add" in elsewhere.stdout
    overridden = run_cli("validate", cwd=inside, env={"ANTAVO_ACTIONS_HOME": str(ROOT)})
    assert f"project files from {ROOT} (set by ANTAVO_ACTIONS_HOME)" in overridden.stderr
