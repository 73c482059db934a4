"""Mappings saved on the Mappings page are what `map` and `send --mappings-from URL` run, so the command
line and the pages agree (the installed command, against a real receiver)."""

from __future__ import annotations

import json
from pathlib import Path

from installed_cli import run_cli
from mapping_forms import QUIZ_WON_FORM
from signed_in import Browser

QUIZ = {
    "type": "track",
    "event": "Quiz Won",
    "userId": "cli-q1",
    "messageId": "cli-quiz-1",
    "properties": {"points": 4},
}


def test_map_and_send_run_the_receivers_saved_mappings(receiver_server, tmp_path: Path) -> None:
    browser = Browser(receiver_server.base_url, receiver_server.api_key)
    assert browser.post("/mappings/edit", {**QUIZ_WON_FORM, "op": "save"}).status_code == 303
    (tmp_path / "quiz.json").write_text(json.dumps(QUIZ), encoding="utf-8")
    env = {"ANTAVO_API_KEY": receiver_server.api_key}

    local = run_cli("map", "quiz.json", cwd=tmp_path, env=env)
    assert "Quiz Won → point_add" not in local.stdout  # the project's files know nothing of it
    mapped = run_cli("map", "quiz.json", "--mappings-from", receiver_server.base_url, cwd=tmp_path, env=env)
    assert mapped.returncode == 0, mapped.stdout + mapped.stderr
    assert "Quiz Won → point_add → action event  ✔ matches" in mapped.stdout and '"points": 4' in mapped.stdout

    send = ["send", "quiz.json", "--to", receiver_server.base_url, "--stack", "dev"]
    sent = run_cli(*send, "--mappings-from", receiver_server.base_url, cwd=tmp_path, env=env)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert "cli-quiz-1  Quiz Won → point_add  202" in sent.stdout
    assert receiver_server.customer("cli-q1").balances == {"default": 4}


def test_mappings_from_names_what_went_wrong(receiver_server, tmp_path: Path) -> None:
    (tmp_path / "quiz.json").write_text(json.dumps(QUIZ), encoding="utf-8")
    wrong = run_cli(
        "map",
        "quiz.json",
        "--mappings-from",
        receiver_server.base_url,
        cwd=tmp_path,
        env={"ANTAVO_API_KEY": "nope-0123456789"},
    )
    assert wrong.returncode == 2 and "the receiver answered 401 to GET /v1/mappings" in wrong.stderr
    assert "nope-0123456789" not in wrong.stderr + wrong.stdout
    nobody = run_cli(
        "map", "quiz.json", "--mappings-from", "http://127.0.0.1:9", cwd=tmp_path, env={"ANTAVO_API_KEY": "k"}
    )
    assert nobody.returncode == 2 and "cannot reach the receiver" in nobody.stderr and "Traceback" not in nobody.stderr
    both = run_cli("map", "quiz.json", "--action", "event", "--mappings-from", "http://127.0.0.1:9", cwd=tmp_path)
    assert both.returncode == 2 and "at most one of" in both.stderr
