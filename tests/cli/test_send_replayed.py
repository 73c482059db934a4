"""Re-sending a file: `send` says which answers the receiver replayed (a seen Idempotency-Key) and counts them."""

from __future__ import annotations

import re
from pathlib import Path

from installed_cli import run_cli

ROOT = Path(__file__).resolve().parents[2]


def test_sending_the_same_file_twice_says_the_second_answers_were_replayed(receiver_server, tmp_path: Path) -> None:
    settings = tmp_path / "settings.yaml"
    settings.write_text(f"stack: dev\napi_key: {receiver_server.api_key}\n", encoding="utf-8")
    events = str(ROOT / "examples" / "events.jsonl")
    send = ["send", events, "--to", receiver_server.base_url, "--settings", str(settings)]
    first, again = run_cli(*send, cwd=ROOT), run_cli(*send, cwd=ROOT)
    assert (first.returncode, again.returncode) == (0, 0), first.stdout + first.stderr + again.stdout
    accepted = int(re.search(r"(\d+) accepted", first.stdout).group(1))
    assert accepted > 0 and "replayed:" not in first.stdout and ", 0 replayed," in first.stdout
    replayed = [line for line in again.stdout.splitlines() if " 202  (replayed: " in line]
    assert len(replayed) == accepted and f", {accepted} replayed," in again.stdout
    assert receiver_server.writes() == accepted  # and nothing was applied twice
