"""Group commit: the writes waiting at one moment reach the database as one transaction.

Why: a transaction costs a BEGIN, a COMMIT and (on SQLite) the single writer's turn, whatever
it holds. Under load many requests' writes wait at once, and one transaction for all of them
costs little more than one for one — the same reason databases group their own log flushes.
A write that arrives while the database is idle runs at once, alone: grouping adds no wait.

Each write keeps its own answer. A decision's refusal (`ApiError`, raised before its write
wrote anything — the store contract's rule) goes to its caller alone and the group goes on.
A conflict the database reports (a transaction ID or a first insert another process won, a
deadlock) undoes the whole group, which then runs once more: the other transaction has
committed by then, so the decisions see its rows and refuse what it took. A group that still
conflicts, or in which one write fails on its own, runs each write in a transaction of its
own, where a conflict is retried, so that only that write fails. This is the store's one retry
rule for conflicts. Only a database that is down fails the whole group at once.

Neighbouring writes of one kind may run as one (`Bulk.run_many`): the customers of a group's
events read in one statement, their log entries written in one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from functools import partial
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError

from receiver.errors import ApiError
from receiver.store.sql.convert import is_down
from receiver.store.sql.runner import Runner, Work

T = TypeVar("T")
MAX_GROUP = 256
"""Writes per transaction at most (bounds a transaction's time and its locks)."""
MAX_CONFLICT_RETRIES = 5
GROUP_ATTEMPTS = 2
"""A conflicting group runs once more whole (the other side has committed by then) before each write alone."""
CONFLICT_STATES = {"40001", "40P01"}
"""PostgreSQL's serialization failure and deadlock: the transaction may simply run again."""

logger = logging.getLogger(__name__)


class Conflict(Exception):
    """A write found that another process changed its rows first (without a database error to say so)."""


def is_conflict(error: BaseException) -> bool:
    """The database undid the transaction because of a concurrent one; running it again is the answer."""
    if isinstance(error, IntegrityError | Conflict):
        return True
    if isinstance(error, DBAPIError):
        orig = error.orig
        state = getattr(orig, "pgcode", None) or getattr(orig, "sqlstate", None)
        return state in CONFLICT_STATES
    return False


class Bulk(Generic[T]):
    """A write whose neighbours of the same type in a group run as one (`run_many`); alone, it is a
    group of one. `run_many` answers each write with (True, result) or (False, its refusal)."""

    @staticmethod
    def run_many(conn: Connection, works: Sequence[Any]) -> list[tuple[bool, Any]]:
        raise NotImplementedError

    def __call__(self, conn: Connection) -> T:
        [(ok, answer)] = type(self).run_many(conn, [self])
        if not ok:
            raise answer
        return answer


class _Pending:
    __slots__ = ("work", "future")

    def __init__(self, work: Work[Any], future: asyncio.Future[Any]) -> None:
        self.work, self.future = work, future


def _run_group(pending: Sequence[_Pending], conn: Connection) -> list[tuple[bool, Any]]:
    answers: list[tuple[bool, Any]] = []
    index = 0
    while index < len(pending):
        work = pending[index].work
        if not isinstance(work, Bulk):
            try:
                answers.append((True, work(conn)))
            except ApiError as refusal:
                answers.append((False, refusal))
            index += 1
            continue
        end = index + 1
        while end < len(pending) and type(pending[end].work) is type(work):
            end += 1
        answers.extend(type(work).run_many(conn, [item.work for item in pending[index:end]]))
        index = end
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

    def __init__(self, runner: Runner, *, max_group: int = MAX_GROUP) -> None:
        self._runner = runner
        self._max = max_group
        self._waiting: list[_Pending] = []
        self._task: asyncio.Task[None] | None = None
        self.groups = 0
        """Transactions run so far (what the tests and benchmarks read to see grouping happen)."""

    async def write(self, work: Work[T]) -> T:
        """Run `work` in a transaction, perhaps with other writes; its own result or exception comes back."""
        return await self.submit(work)

    def submit(self, work: Work[T]) -> asyncio.Future[T]:
        """Queue `work` now (writes run in the order queued); the future holds its result."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._waiting.append(_Pending(work, future))
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
                item.future.cancel()
            self._waiting = []

    async def _commit(self, group: list[_Pending]) -> None:
        if len(group) == 1:
            await self._alone(group[0])
            return
        for attempt in range(GROUP_ATTEMPTS):
            self.groups += 1
            try:
                answers = await self._runner.write(partial(_run_group, group))
            except Exception as error:
                if is_conflict(error) and attempt < GROUP_ATTEMPTS - 1:
                    continue  # the other transaction has committed: the decisions now see its rows
                if is_down(error) and not is_conflict(error):
                    for item in group:
                        _settle(item.future, False, error)
                    return
                # Still conflicting, or one write's own failure: each runs alone, so only that one fails.
                logger.debug("group of %d writes undone (%s); each runs alone", len(group), type(error).__name__)
                break
            else:
                for item, (ok, value) in zip(group, answers, strict=True):
                    _settle(item.future, ok, value)
                return
        for item in group:
            await self._alone(item)

    async def _alone(self, item: _Pending) -> None:
        self.groups += 1
        for attempt in range(MAX_CONFLICT_RETRIES):
            try:
                answer = await self._runner.write(partial(_run_group, [item]))
            except Exception as error:
                if is_conflict(error) and attempt < MAX_CONFLICT_RETRIES - 1:
                    continue
                _settle(item.future, False, error)
                return
            _settle(item.future, *answer[0])
            return
