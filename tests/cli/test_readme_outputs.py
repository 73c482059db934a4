"""Every output the README shows is what the command prints, run as a person runs it: in the project
folder, at a terminal (a pseudo-terminal, so `presets` draws its table), with the receiver of the
README's first command for `send` and `curl`, in the README's order.

A shown line `…` stands for any number of lines, and `…` inside a line for any text (IDs, times, the
checkout's path). A command followed by no output is a failure: the README shows what it prints.
Only the commands in `NOT_RUN` are left out, each for the reason given.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import shlex
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from test_readme import first_screen_commands

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
README_URL = "http://127.0.0.1:8080"
NOT_RUN = {
    "antavo-actions serve": "runs until Ctrl-C; its banner is checked by test_serve_prints_where_the_pages_are",
    "antavo-actions export segment": "needs a checkout of segmentio/action-destinations beside this one",
    "node harness/segment/record.js --rerecord": "re-records the committed corpus (minutes of Node)",
    "python bench/": "benchmarks run for minutes and print this machine's figures",
}
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
TIMEOUT = 120


@dataclass(frozen=True)
class Shown:
    command: str
    lines: list[str]
    line: int  # in the README

    @property
    def needs_receiver(self) -> bool:
        return README_URL in self.command


def shown_commands() -> list[Shown]:
    """Each `$ command` of the README's console blocks, with the lines shown under it."""
    found: list[Shown] = []
    for block in re.finditer(r"```console\n(.*?)```", README, re.S):
        start = README[: block.start()].count("\n") + 2
        rows = block.group(1).splitlines()
        n = 0
        while n < len(rows):
            if not rows[n].startswith("$ "):
                raise AssertionError(f"README.md:{start + n}: a console block starts with a `$ ` command")
            at, command = start + n, rows[n][2:]
            while command.endswith("\\"):
                n += 1
                command = command[:-1] + rows[n].strip()
            n += 1
            output = []
            while n < len(rows) and not rows[n].startswith("$ "):
                output.append(rows[n])
                n += 1
            found.append(Shown(re.sub(r"\s{2,}# .*$", "", command).strip(), output, at))
    return found


def left_out(command: str) -> str | None:
    return next((why for start, why in NOT_RUN.items() if command.startswith(start)), None)


def pattern(lines: list[str]) -> re.Pattern[str]:
    """The shown lines as a pattern over the printed text (`…` as described above)."""
    parts = []
    for line in lines:
        if line.strip() == "…":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(r"[^\n]*?".join(re.escape(piece) for piece in line.split("…")) + r"\n")
    return re.compile("".join(parts))


def at_a_terminal(command: str, env: dict[str, str]) -> str:
    """What `command` prints in bash at a 120-column terminal, as text (colours off)."""
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 120, 0, 0))
    proc = subprocess.Popen(["bash", "-c", command], cwd=ROOT, env=env, stdin=child, stdout=child, stderr=child)
    os.close(child)
    chunks, deadline = [], time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 1.0)
        if not ready:
            if proc.poll() is not None:
                break
            continue
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: the command and its children closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)
    text = ANSI.sub("", b"".join(chunks).decode("utf-8", "replace")).replace("\r\n", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n"))


def environment(extra: dict[str, str]) -> dict[str, str]:
    venv_bin = str(Path(sys.executable).parent)
    base = {k: v for k, v in os.environ.items() if not k.startswith("ANTAVO_")}
    return {**base, **extra, "PATH": f"{venv_bin}:{base.get('PATH', '')}", "NO_COLOR": "1", "COLUMNS": "120"}


def first_command_environment() -> dict[str, str]:
    """The variables the README's first command sets before `antavo-actions serve`."""
    run, _ = first_screen_commands()
    words = shlex.split(run.split("&&")[-1])
    return dict(word.split("=", 1) for word in words if re.fullmatch(r"[A-Z_]+=.*", word))


def test_every_console_command_is_run_or_left_out_for_a_reason() -> None:
    shown = shown_commands()
    assert len(shown) > 15
    for item in shown:
        if left_out(item.command) is None:
            assert item.lines, f"README.md:{item.line}: `{item.command}` shows no output"


def test_the_readme_shows_what_each_command_prints(serve_process, tmp_path: Path) -> None:
    receiver_env = first_command_environment()
    assert set(receiver_env) >= {"ANTAVO_API_KEY", "ANTAVO_WRITE_KEY"}
    running = serve_process(env=receiver_env)
    assert running.until(lambda base: httpx.get(f"{base}/healthz").status_code == 200)
    env = environment({})
    differ = []
    for item in shown_commands():
        if left_out(item.command):
            continue
        command = item.command.replace(README_URL, running.base_url)
        command = command.replace("> results.jsonl", f"> {tmp_path / 'results.jsonl'}")
        printed = at_a_terminal(command, env)
        expected = [line.replace(README_URL, running.base_url) for line in item.lines]
        if not pattern(expected).fullmatch(printed.strip("\n") + "\n"):  # blank lines around the output aside
            differ.append(f"README.md:{item.line}: `{item.command}` printed:\n{printed}")
    running.interrupt()
    assert not differ, "\n\n".join(differ)
