"""Group commit: the writes waiting at one moment reach the database as one transaction.

Why: a transaction costs a BEGIN, a COMMIT and (on SQLite) the single writer's turn, whatever
it holds. Under load many requests' writes wait at once, and one transaction for all of them
costs little more than one for one — the same reason databases group their own log flushes.
A write that arrives while the database is idle runs at once, alone: grouping adds no wait.

Each write keeps its own answer. A decision's refusal (`ApiError`, raised before its write
wrote anything — the store contract's rule) goes to its caller alone and the group goes on.
A conflict the database reports (a transaction ID or a first insert another process won, a
deadlock) undoes the whole group; each write then runs again in a transaction of its own,
where a conflict is retried so that its decision sees the row that won. This is the store's
one retry rule for conflicts.

Writes that lock rows name what they lock (`key`); on PostgreSQL the group takes those locks
first, in one sorted statement, so two processes' groups never lock in opposite orders.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError

from receiver.errors import ApiError
from receiver.store.sql.runner import Runner, Work

T = TypeVar("T")
MAX_GROUP = 256
"""Writes per transaction at most (bounds a transaction's time and its locks)."""
MAX_CONFLICT_RETRIES = 5
CONFLICT_STATES = {"40001", "40P01"}
"""PostgreSQL's serialization failure and deadlock: the transaction may simply run again."""
Prelock = Callable[[Connection, Sequence[str]], None]

logger = logging.getLogger("receiver.store")


def is_conflict(error: BaseException) -> bool:
    """The database undid the transaction because of a concurrent one; running it again is the answer."""
    if isinstance(error, IntegrityError):
        return True
    if isinstance(error, DBAPIError):
        orig = error.orig
        state = getattr(orig, "pgcode", None) or getattr(orig, "sqlstate", None)
        return state in CONFLICT_STATES
    return False


class _Pending:
    __slots__ = ("work", "key", "future")

    def __init__(self, work: Work[Any], key: str | None, future: asyncio.Future[Any]) -> None:
        self.work, self.key, self.future = work, key, future


def _run_group(prelock: Prelock | None, pending: Sequence[_Pending], conn: Connection) -> list[tuple[bool, Any]]:
    if prelock is not None and len(pending) > 1:
        keys = sorted({item.key for item in pending if item.key is not None})
        if len(keys) > 1:
            prelock(conn, keys)
    answers: list[tuple[bool, Any]] = []
    for item in pending:
        try:
            answers.append((True, item.work(conn)))
        except ApiError as refusal:
            answers.append((False, refusal))
    return answers


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():
        return  # its caller went away; the write stands (or not) as the transaction decided
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


class GroupCommit:
    """The write queue of one store instance."""

    def __init__(self, runner: Runner, prelock: Prelock | None = None, *, max_group: int = MAX_GROUP) -> None:
        self._runner = runner
        self._prelock = prelock
        self._max = max_group
        self._waiting: list[_Pending] = []
        self._task: asyncio.Task[None] | None = None
        self.groups = 0
        """Transactions run so far (what the tests and benchmarks read to see grouping happen)."""

    async def write(self, work: Work[T], *, key: str | None = None) -> T:
        """Run `work` in a transaction, perhaps with other writes; its own result or exception comes back."""
        return await self.submit(work, key=key)

    def submit(self, work: Work[T], *, key: str | None = None) -> asyncio.Future[T]:
        """Queue `work` now (writes run in the order queued); the future holds its result."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._waiting.append(_Pending(work, key, future))
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._drain())
        return future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                group, self._waiting = self._waiting[: self._max], self._waiting[self._max :]
                await self._commit(group)
        finally:
            # Cancelled (the app is stopping): nobody may wait forever for a write that will not run.
            for item in self._waiting:
                _settle(item.future, False, asyncio.CancelledError())
            self._waiting = []

    async def _commit(self, group: list[_Pending]) -> None:
        if len(group) == 1:
            await self._alone(group[0])
            return
        self.groups += 1
        try:
            answers = await self._runner.write(partial(_run_group, self._prelock, group))
        except Exception as error:
            if not is_conflict(error):
                for item in group:
                    _settle(item.future, False, error)
                return
            logger.debug("group of %d writes undone by a conflict; running each alone", len(group))
            for item in group:
                await self._alone(item)
            return
        for item, (ok, value) in zip(group, answers, strict=True):
            _settle(item.future, ok, value)

    async def _alone(self, item: _Pending) -> None:
        self.groups += 1
        for attempt in range(MAX_CONFLICT_RETRIES):
            try:
                answer = await self._runner.write(partial(_run_group, self._prelock, [item]))
            except Exception as error:
                if is_conflict(error) and attempt < MAX_CONFLICT_RETRIES - 1:
                    continue
                _settle(item.future, False, error)
                return
            _settle(item.future, *answer[0])
            return
