"""Where the receiver's time goes under load: py-spy samples `serve` while wrk drives one path.

The same loads as `receiver_speed.py` (the `point_add` webhook at 50 connections; `/v1/batch`
with 100 `Points Earned` events at 8 connections), on the memory store, with `serve` pinned to
core 0 and wrk to core 1. py-spy (`pip install py-spy`) attaches to the running server and
records the stacks of whichever thread holds the GIL (`--gil`: CPU spent in Python, not idle
threads) without pausing it; the top functions are printed by own time (where the CPU
is) and by total time (what they call included), as shares of all samples.

    python bench/profile_receiver.py [--path webhook|ingest|both] [--seconds 8] [--top 25]
"""

from __future__ import annotations

import argparse
import base64
import collections
import contextlib
import json
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from receiver_speed import (
    LOAD_CPU,
    ROOT,
    SERVERS,
    WEBHOOK,
    WRK_BATCH,
    WRK_WEBHOOK,
    pinned,
    point_add,
    receiver,
    run_wrk,
    with_cpu,
)


@contextlib.contextmanager
def serve(api_key: str, write_key: str, store: str | None = None) -> Iterator[tuple[str, int]]:
    """`serve` as `receiver_speed` starts it (pinned to the server core, `store` migrated first): (base URL, pid)."""
    with receiver(api_key, write_key, store, 1) as url:
        yield url, SERVERS[url]


OWN_CODE = ("receiver/", "destination/")


def _store(store: str | None, folder: str) -> str | None:
    """`sqlite://temporary` is a SQLite file in `folder`; anything else as given."""
    return f"sqlite:///{folder}/profile.db" if store == "sqlite://temporary" else store


def frame_name(frame: str) -> str:
    """`handle (receiver/core/service.py:120)` → `handle (receiver/core/service.py)`: one row per function."""
    name, _, where = frame.partition(" (")
    path = where.rsplit(":", 1)[0]
    for marker in ("site-packages/", str(ROOT) + "/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name} ({path})"


def summarize(raw: Path, top: int) -> str:
    """Own and total shares of the samples, per function, from py-spy's collapsed stacks."""
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in raw.read_text(encoding="utf-8").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue  # py-spy now and then writes a frame it could not read whole (no count to take)
        count = int(count_text)
        frames = [frame_name(frame) for frame in stack.split(";")]
        samples += count
        own[frames[-1]] += count
        for name in set(frames):
            if name.split(" (", 1)[1].startswith(OWN_CODE):
                total[name] += count
    lines = [f"{samples} samples", "  own %   function"]
    lines += [f"  {100 * n / samples:5.1f}   {name}" for name, n in own.most_common(top)]
    lines += ["  total % function (the project's own code, callees included)"]
    lines += [f"  {100 * n / samples:5.1f}   {name}" for name, n in total.most_common(top)]
    return "\n".join(lines)


def profile(path: str, seconds: int, top: int, keep: Path | None = None, store: str | None = None) -> str:
    api_key, write_key = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory() as tmp, serve(api_key, write_key, _store(store, tmp)) as (url, pid):
        raw = Path(tmp) / "stacks.txt"
        spy = subprocess.Popen(
            pinned(
                ["py-spy", "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "250", "--gil"]
                + ["--format", "raw", "--nonblocking", "--output", str(raw)],
                LOAD_CPU,
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.5)
        if path == "webhook":
            script = WRK_WEBHOOK.format(body=json.dumps(point_add(api_key)))
            figures = with_cpu(url, lambda: run_wrk(url, WEBHOOK, script, 50, seconds))
            unit = "req/s"
        else:
            auth = base64.b64encode(f"{write_key}:".encode()).decode()
            script = WRK_BATCH.format(auth=auth, size=100)
            figures = with_cpu(url, lambda: run_wrk(url, "/v1/batch", script, 8, seconds), 100)
            figures.rps *= 100
            unit = "events/s"
        spy.wait(timeout=seconds + 60)
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            shutil.copy(raw, keep / f"{path}.stacks.txt")
        return figures.row(f"{path} under py-spy", unit) + "\n" + summarize(raw, top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--path", choices=("webhook", "ingest", "both"), default="both")
    parser.add_argument("--store", help="a store URL (migrated first), or sqlite://temporary; default memory")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--keep", type=Path, help="folder to keep py-spy's collapsed stacks in (<path>.stacks.txt)")
    args = parser.parse_args()
    if not shutil.which("py-spy") or not shutil.which("wrk"):
        raise SystemExit("needs py-spy (pip install py-spy) and wrk (Debian package wrk) on PATH")
    if args.seconds > 120:
        raise SystemExit("bounded runs only: --seconds <= 120")
    for path in ("webhook", "ingest") if args.path == "both" else (args.path,):
        print(profile(path, args.seconds, args.top, args.keep, args.store), end="\n\n")


if __name__ == "__main__":
    main()
