"""Event-loop stalls under load: asyncio debug's slow-callback log, side by side with a bare endpoint.

Each server runs in a child process on the stdlib asyncio loop in debug mode with
`loop.slow_callback_duration = 0.005`, so every callback (one step of a request's task)
that holds the loop for 5 ms or more is logged with what it ran; the child also times every
garbage collection (`gc.callbacks`). wrk drives it (the same `point_add` webhook body as
`receiver_speed.py`, 50 connections; then `/v1/batch` with 100 `Points Earned` events, 8
connections; each in a fresh server), the server pinned to core 0 and wrk to core 1. Each callback is also timed by the
thread's CPU clock, and so is each collection: on a machine other work is sharing, the wall
times include waiting for the core, the CPU times only what the loop itself did. The reference is
`bench/bare_endpoint.py` (parse + `jsonschema`) under the same instrumentation and load, in the
same run: on a shared machine, a stall the bare endpoint shows too is the machine, not the receiver.

Debug mode slows every step, so the request rates printed here are lower than
`receiver_speed.py`'s; the stall counts are what this script is for.

    python bench/loop_stalls.py [--seconds 8] [--worst 8] [--no-freeze]
    python bench/loop_stalls.py --child receiver|bare PORT REPORT.json   (what the parent runs)
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import gc
import json
import logging
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from receiver_speed import (
    ROOT,
    SERVER_CPU,
    SERVERS,
    WEBHOOK,
    WRK_BATCH,
    WRK_WEBHOOK,
    Figures,
    free_port,
    pinned,
    point_add,
    run_wrk,
    wait_ready,
    with_cpu,
)

SLOW = 0.005
_EXECUTING = re.compile(r"Executing (.*) took ([\d.]+) seconds", re.S)


class _Seen:
    """What the child saw while under load (cleared on SIGUSR1, when the parent starts the load)."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.stalls: list[tuple[float, str]] = []
        """asyncio's log: (wall seconds, callback) for every callback that held the loop >= SLOW."""
        self.cpu: list[tuple[float, str]] = []
        """The same callbacks timed by the thread's CPU clock: a stall of our own making, not the machine's."""
        self.gc: list[tuple[int, float, float]] = []
        """Every collection: (generation, wall seconds, CPU seconds)."""


class _SlowCallbacks(logging.Handler):
    """Collects asyncio's "Executing <callback> took N seconds" warnings."""

    def __init__(self, seen: _Seen) -> None:
        super().__init__(logging.WARNING)
        self.seen = seen

    def emit(self, record: logging.LogRecord) -> None:
        found = _EXECUTING.match(record.getMessage())
        if found:
            self.seen.stalls.append((float(found.group(2)), _short(found.group(1))))


def _short(callback: str) -> str:
    """A handle's repr, down to the coroutine (or function) and where it was."""
    coro = re.search(r"coro=<(\S+) (running at|done, defined at) (\S+?)>", callback)
    text = f"{coro.group(1)} {coro.group(2)} {coro.group(3)}" if coro else callback.split(" created at ")[0]
    for prefix in (str(ROOT) + "/", sys.prefix + "/", sys.base_prefix + "/"):
        text = text.replace(prefix, "")
    return re.sub(r"\s+", " ", text)[:160]


def _describe(handle: asyncio.Handle) -> str:
    callback = handle._callback  # type: ignore[attr-defined]
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, asyncio.Task):
        coro = owner.get_coro()
        return f"task {getattr(coro, '__qualname__', coro)}"
    return str(getattr(callback, "__qualname__", callback))


def _time_callbacks_by_cpu(seen: _Seen) -> None:
    """Every callback the loop runs is also timed by the thread's CPU clock."""
    run = asyncio.Handle._run

    def timed(handle: asyncio.Handle) -> None:
        started = time.thread_time()
        run(handle)
        spent = time.thread_time() - started
        if spent >= SLOW:
            seen.cpu.append((spent, _describe(handle)))

    asyncio.Handle._run = timed  # type: ignore[method-assign]


def child(kind: str, port: int, report: Path) -> None:
    """Serve `kind` on the debug asyncio loop until SIGTERM, then write what was seen to `report`."""
    import uvicorn

    seen = _Seen()
    logging.getLogger("asyncio").addHandler(_SlowCallbacks(seen))
    _time_callbacks_by_cpu(seen)
    started: dict[int, tuple[float, float]] = {}

    def timing(phase: str, info: dict[str, int]) -> None:
        generation = info["generation"]
        if phase == "start":
            started[generation] = (time.perf_counter(), time.thread_time())
        elif generation in started:
            wall, cpu = started.pop(generation)
            seen.gc.append((generation, time.perf_counter() - wall, time.thread_time() - cpu))

    if kind == "bare":
        sys.path.insert(0, str(ROOT / "bench"))
        from bare_endpoint import app

        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, loop="asyncio", log_level="warning"))
    else:
        from receiver.app import create_app
        from receiver.config import load_config
        from receiver.web.server import make_server

        settings = load_config(None)
        freeze = {"freeze_heap": True} if os.environ.get("BENCH_FREEZE", "1") == "1" else {}
        options: dict[str, Any] = {"host": "127.0.0.1", "port": port, "loop": "asyncio", "log_level": "warning"}
        server = make_server(create_app(settings), settings, **options, **freeze)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.slow_callback_duration = SLOW
        gc.callbacks.append(timing)
        await server.serve()

    signal.signal(signal.SIGTERM, lambda *_: setattr(server, "should_exit", True))
    signal.signal(signal.SIGUSR1, lambda *_: seen.clear())
    asyncio.run(main(), debug=True)
    gc.callbacks.remove(timing)
    report.write_text(json.dumps({"stalls": seen.stalls, "cpu": seen.cpu, "gc": seen.gc}), encoding="utf-8")


@contextlib.contextmanager
def instrumented(kind: str, env: dict[str, str]) -> Iterator[tuple[str, Path]]:
    """The child serving `kind`; once it is up, its counts are cleared (startup is not under load)."""
    port = free_port()
    report = Path(tempfile.mkdtemp()) / "report.json"
    cmd = pinned([sys.executable, __file__, "--child", kind, str(port), str(report)], SERVER_CPU)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ready(f"{url}/{'docs' if kind == 'bare' else 'healthz'}")
        SERVERS[url] = proc.pid
        time.sleep(0.5)
        proc.send_signal(signal.SIGUSR1)
        time.sleep(0.2)
        yield url, report
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def read_report(report: Path) -> dict[str, Any]:
    empty: dict[str, Any] = {"stalls": [], "cpu": [], "gc": []}
    return json.loads(report.read_text(encoding="utf-8")) if report.exists() else empty


def summary(label: str, figures: Figures, unit: str, found: dict[str, Any], worst: int) -> list[str]:
    stalls = sorted(found["stalls"], reverse=True)
    cpu = sorted(found["cpu"], reverse=True)
    pauses = found["gc"]
    full = [p for p in pauses if p[0] == 2]

    def longest(items: list[Any], at: int = 0) -> float:
        return max((item[at] for item in items), default=0.0) * 1000

    return [
        figures.row(label, unit),
        f"  {'':<34} loop held >= {SLOW * 1000:.0f} ms: {len(stalls):>5} times (wall; longest {longest(stalls):6.1f} ms), "
        f"{len(cpu):>5} of them by its own CPU (longest {longest(cpu):6.1f} ms)",
        f"  {'':<34} GC: {len(pauses)} runs, {len(full)} full; longest {longest(pauses, 2):.1f} ms CPU "
        f"({longest(pauses, 1):.1f} ms wall); full GC CPU total {sum(p[2] for p in full) * 1000:.1f} ms",
        *(f"      {seconds * 1000:7.1f} ms CPU  {callback}" for seconds, callback in cpu[:worst]),
        *(f"      {seconds * 1000:7.1f} ms wall {callback}" for seconds, callback in stalls[:worst]),
    ]


def measure(args: argparse.Namespace) -> None:
    api_key, write_key = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    webhook_script = WRK_WEBHOOK.format(body=json.dumps(point_add(api_key)))
    base_env = {**os.environ, "ANTAVO_API_KEY": api_key, "ANTAVO_WRITE_KEY": write_key}
    base_env["BENCH_FREEZE"] = "0" if args.no_freeze else "1"
    print(f"asyncio debug loop, slow_callback_duration {SLOW * 1000:.0f} ms; servers on core 0, wrk on core 1")
    lines: list[str] = []
    with instrumented("bare", base_env) as (url, report):
        bare = with_cpu(url, lambda: run_wrk(url, WEBHOOK, webhook_script, args.connections, args.seconds))
    lines += summary("bare FastAPI + jsonschema (webhook)", bare, "req/s", read_report(report), args.worst)
    label = f"receiver [memory{', no gc.freeze' if args.no_freeze else ''}]"
    with instrumented("receiver", base_env) as (url, report):
        hook = with_cpu(url, lambda: run_wrk(url, WEBHOOK, webhook_script, args.connections, args.seconds))
    lines += summary(f"{label} webhook", hook, "req/s", read_report(report), args.worst)
    auth = base64.b64encode(f"{write_key}:".encode()).decode()
    with instrumented("receiver", base_env) as (url, report):
        script = WRK_BATCH.format(auth=auth, size=100)
        calls = with_cpu(url, lambda: run_wrk(url, "/v1/batch", script, 8, args.seconds), 100)
    calls.rps *= 100
    lines += summary(f"{label} /v1/batch x100", calls, "events/s", read_report(report), args.worst)
    print("\n".join(lines))


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--worst", type=int, default=8, help="how many of the longest stalls to show")
    parser.add_argument("--no-freeze", action="store_true", help="serve without gc.freeze() after startup")
    args = parser.parse_args()
    if args.seconds > 120 or args.connections > 500:
        raise SystemExit("bounded runs only: --seconds <= 120, --connections <= 500")
    measure(args)


if __name__ == "__main__":
    main()
