"""Segment's runtime as a long-lived peer: `node harness/segment/record.js` speaking JSON Lines.

One process answers many cases (a case per line in, an answer per line out, in order), so a
property test can ask Segment about each example it draws for about a millisecond. Every read
has a deadline: a peer that hangs or dies fails the test with what it printed, never blocks it.
"""

from __future__ import annotations

import collections
import json
import os
import queue
import subprocess
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import pytest
from segment_node import HARNESS, require_node

RECORDER = HARNESS / "record.js"
ANSWER_TIMEOUT = 30.0


class LineProcess:
    """A child process spoken to in lines: one in, one answer out, each read under a deadline.

    Why one home: every Node peer of the suite (Segment's runtime, `new Date`) must fail a test with
    what it printed when it hangs or dies, never block it, and stop when the module is done.
    """

    what = "the process"

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._errors: collections.deque[str] = collections.deque(maxlen=50)  # stderr's last lines, bounded
        assert process.stdout is not None
        threading.Thread(target=self._pump, args=(process.stdout,), daemon=True).start()
        if process.stderr is not None:
            threading.Thread(target=self._errors.extend, args=(process.stderr,), daemon=True).start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._lines.put(line)
        self._lines.put(None)  # end of output: the process exited

    def send(self, lines: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(lines)
        self.process.stdin.flush()

    def answer(self) -> str:
        """The next line it printed, within ANSWER_TIMEOUT."""
        try:
            line = self._lines.get(timeout=ANSWER_TIMEOUT)
        except queue.Empty:
            raise AssertionError(f"{self.what} gave no answer in {ANSWER_TIMEOUT} s") from None
        if line is None:
            raise AssertionError(f"{self.what} exited ({self.process.wait(5)}): {''.join(self._errors)}")
        return line

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


class SegmentPeer(LineProcess):
    """A running recorder; `ask` sends cases and returns Segment's answers (without `id`)."""

    what = "Segment's runtime"

    def ask(self, cases: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        self.send("".join(json.dumps(dict(case, id=str(n))) + "\n" for n, case in enumerate(cases)))
        answers = []
        for n in range(len(cases)):
            answer = json.loads(self.answer())
            assert answer.pop("id") == str(n), "answers come back in order"
            answers.append(answer)
        return answers


def start_peer(cwd: Path = HARNESS) -> SegmentPeer:
    require_node()
    if not (HARNESS / "node_modules" / "@segment" / "action-destinations" / "package.json").is_file():
        pytest.fail("harness/segment/node_modules lacks @segment/action-destinations: npm ci --prefix harness/segment")
    process = subprocess.Popen(
        ["node", str(RECORDER)],
        cwd=cwd,
        env={**os.environ, "TZ": "UTC"},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    return SegmentPeer(process)


@pytest.fixture(scope="module")
def segment() -> Iterator[SegmentPeer]:
    """Segment's runtime, one process for the module."""
    peer = start_peer()
    yield peer
    peer.close()
