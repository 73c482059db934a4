"""Conversions between rows and the contract's dataclasses, and the errors that mean "database down"."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any, TypeVar

from sqlalchemy import exc

from receiver.store.bodies import BoundedFields, plan_json
from receiver.store.contract import LogEntry, NewLogEntry, StoredEvent, StoreUnavailable
from receiver.store.entries import dump_json
from receiver.store.lineage import lineage_from
from receiver.store.retention import REMOVED_TEXT
from receiver.store.times import from_micros

logger = logging.getLogger(__name__)
T = TypeVar("T")


def event_of(row: Any) -> StoredEvent:
    return StoredEvent(
        id=row.id,
        customer=row.customer_id,
        account=row.account,
        action=row.action,
        data=row.data,
        points=row.points,
        received_at=from_micros(row.received_at),
        lineage=lineage_from(row.lineage),
    )


def log_entry_of(row: Any) -> LogEntry:
    """The entry of a row; one read with a `bodies_removed` column shows bodies the retention sweep removed."""
    removed = bool(getattr(row, "bodies_removed", False))
    return LogEntry(
        seq=row.seq,
        id=row.id,
        timestamp=from_micros(row.timestamp),
        customer_id=row.customer_id,
        event_type=row.event_type,
        status=row.status,
        response_time=row.response_time,
        error=row.error,
        error_code=row.error_code,
        request_json=REMOVED_TEXT if removed else dump_json(row.request),
        response_json=REMOVED_TEXT if removed else dump_json(row.response),
        internal_customer_id=row.internal_customer_id,
        source=row.source,
        subscription=row.subscription,
        mapping_version=row.mapping_version,
        test_run=row.test_run,
        plan_json=plan_json(row.plan_check),
        truncated=row.truncated,
        authenticated=row.authenticated,
    )


def log_entry_from(entry: NewLogEntry, kept: BoundedFields, seq: int) -> LogEntry:
    """The entry as written (`kept`: its parts cut to the log's bounds), without reading it back
    (its `seq` is all the database adds)."""
    return LogEntry._quick(
        {
            "seq": seq,
            "id": kept.id,
            "timestamp": entry.timestamp,
            "customer_id": kept.customer_id,
            "event_type": entry.event_type,
            "status": entry.status,
            "response_time": entry.response_time,
            "error": kept.error,
            "error_code": entry.error_code,
            "request_json": kept.request.text,
            "response_json": kept.response.text,
            "truncated": kept.truncated,
            "authenticated": entry.authenticated,
            "internal_customer_id": entry.internal_customer_id,
            "source": entry.source,
            "subscription": entry.subscription,
            "mapping_version": entry.mapping_version,
            "test_run": entry.test_run,
            "plan_json": plan_json(entry.plan_check),
        }
    )


_DOWN = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError, OSError, TimeoutError, asyncio.TimeoutError)


def is_down(error: BaseException) -> bool:
    """The database is unreachable, too slow or locked past the busy timeout (not a bug in a query)."""
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, _DOWN)


async def guarded(call: Awaitable[T]) -> T:
    """`call`'s result; "database down" raised as `StoreUnavailable` (503 with Retry-After), anything else as is.

    Awaits the call rather than wrapping a block: an async context manager around every store
    call cost more than some of the calls (`bench/ingest_budget.py`).
    """
    try:
        return await call
    except StoreUnavailable:
        raise
    except Exception as error:
        if not is_down(error):
            raise
        logger.warning("store unavailable: %s: %s", type(error).__name__, error)
        raise StoreUnavailable(f"{type(error).__name__}: {error}") from error
