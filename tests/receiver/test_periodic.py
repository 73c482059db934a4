"""The one background loop: work every interval, a failure logged and tried again, one task at most, stop ends it."""

from __future__ import annotations

import asyncio
import logging

import pytest

from receiver.periodic import Periodic


def test_work_repeats_survives_failures_and_stops(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []

    async def work() -> None:
        calls.append(len(calls))
        if len(calls) == 2:
            raise RuntimeError("database down")

    async def main() -> None:
        loop = Periodic("test-loop", 0.01, work, failed="the test work failed", wait_first=False)
        loop.start()
        loop.start()  # a second start does not make a second task
        for _ in range(500):
            if len(calls) >= 4:
                break
            await asyncio.sleep(0.01)
        await loop.stop()
        assert not loop.running
        stopped_at = len(calls)
        await asyncio.sleep(0.05)
        assert len(calls) == stopped_at

    with caplog.at_level(logging.ERROR, logger="receiver.periodic"):
        asyncio.run(main())
    assert len(calls) >= 4
    assert [r.getMessage() for r in caplog.records] == ["the test work failed (tried again in 0.01 s)"]


def test_wait_first_waits_one_interval() -> None:
    calls: list[float] = []

    async def main() -> None:
        async def work() -> None:
            calls.append(asyncio.get_running_loop().time())

        started = asyncio.get_running_loop().time()
        loop = Periodic("test-wait", 0.2, work, failed="x")
        loop.start()
        await asyncio.sleep(0.1)
        assert calls == []
        for _ in range(100):
            if calls:
                break
            await asyncio.sleep(0.02)
        await loop.stop()
        assert calls and calls[0] - started >= 0.19

    asyncio.run(main())
