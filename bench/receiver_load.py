"""Load the reference receiver: N concurrent clients posting point_add and profile updates.

Targets a running receiver (`--url`, `--api-key`), or starts one (`serve`, in its own
process) on a free loopback port when no URL is given. Traffic goes to loopback only; the run is bounded by `--requests`.

    python bench/receiver_load.py --concurrency 32 --requests 5000
    python bench/receiver_load.py --url http://127.0.0.1:8080 --api-key "$ANTAVO_API_KEY"
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import math
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]

WEBHOOK = "/v1/webhook/segment"


def _loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        raise SystemExit(f"refusing to load {host}: this bench only targets loopback addresses")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def local_receiver(api_key: str) -> Iterator[str]:
    """`serve` in its own process on a free 127.0.0.1 port (so client and server do not share a GIL)."""
    port = _free_port()
    code = "import typer; from antavo_actions.cli.serve import serve; typer.run(serve)"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "--port", str(port), "--log-level", "warning", "--stack", "bench"],
        cwd=ROOT,
        env={**os.environ, "ANTAVO_API_KEY": api_key},
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=0.5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit("the receiver did not start")
            time.sleep(0.05)
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def body(n: int, api_key: str) -> dict:
    """Every fourth request is a profile update; the rest add a point to one of 100 customers."""
    customer = f"bench-{n % 100}"
    if n % 4 == 3:
        data = {"first_name": f"Name{n}", "email": f"c{n}@example.com", "tier": "gold"}
        return {"customer": customer, "account": "", "data": data, "action": "profile", "api_key": api_key}
    return {"customer": customer, "action": "point_add", "data": {"points": 1}, "api_key": api_key}


async def drive(url: str, api_key: str, concurrency: int, total: int) -> tuple[list[float], dict[int, int], float]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    counter = iter(range(total))

    async def worker() -> None:
        # One client (one keep-alive connection) per worker: N independent senders, as Segment's are.
        async with httpx.AsyncClient(base_url=url, timeout=30, limits=httpx.Limits(max_connections=1)) as client:
            for n in counter:
                started = time.perf_counter()
                response = await client.post(WEBHOOK, json=body(n, api_key))
                latencies.append(time.perf_counter() - started)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return latencies, statuses, elapsed


def percentile(sorted_values: list[float], p: float) -> float:
    index = max(0, math.ceil(p / 100 * len(sorted_values)) - 1)
    return sorted_values[index]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="A running receiver (loopback only); default: start one here.")
    parser.add_argument("--api-key", help="The receiver's API key (required with --url).")
    parser.add_argument("--concurrency", type=int, default=32, help="Concurrent clients (default 32).")
    parser.add_argument("--requests", type=int, default=5000, help="Requests in total (default 5000).")
    args = parser.parse_args(argv)
    if args.concurrency < 1 or args.requests < 1:
        parser.error("--concurrency and --requests must be at least 1")
    if args.url and not args.api_key:
        parser.error("--api-key is required with --url")

    with contextlib.ExitStack() as stack:
        if args.url:
            _loopback(args.url)
            url, api_key = args.url.rstrip("/"), args.api_key
        else:
            api_key = secrets.token_urlsafe(16)
            url = stack.enter_context(local_receiver(api_key))
        latencies, statuses, elapsed = asyncio.run(drive(url, api_key, args.concurrency, args.requests))

    latencies.sort()
    print(f"target        {url}{WEBHOOK}")
    print(f"requests      {len(latencies)} with {args.concurrency} concurrent clients (3 point_add : 1 profile)")
    print(f"statuses      {dict(sorted(statuses.items()))}")
    print(f"throughput    {len(latencies) / elapsed:,.0f} requests/s over {elapsed:.2f} s")
    print(
        f"latency       p50 {percentile(latencies, 50) * 1000:.2f} ms   p99 {percentile(latencies, 99) * 1000:.2f} ms"
        f"   mean {statistics.fmean(latencies) * 1000:.2f} ms"
    )
    return 0 if set(statuses) == {202} else 1


if __name__ == "__main__":
    raise SystemExit(main())
