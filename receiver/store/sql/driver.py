"""Many-row INSERTs handed to the driver as they are: the hot path's two biggest statements.

Why: through SQLAlchemy each row of an `executemany` costs its parameter processing
(`construct_params`, a bind processor per JSON column) — about a fifth of a `/v1/batch` call's
Python time on SQLite, measured with py-spy (`bench/profile_receiver.py --store sqlite://temporary`).
The event and log rows are plain values already (JSON as text, times as integers), so the text
of each INSERT is written once per dialect and the rows go to the driver (`exec_driver_sql`):
`sqlite3` takes `?` placeholders, asyncpg `$n` (its JSONB codec, set by SQLAlchemy's dialect, takes text).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table

MAX_ROWS = 500
"""Rows per statement at most: SQLite allows 32,766 placeholders (16 columns × 500 stays well inside)."""

EVENT_COLUMNS = ("id", "customer_id", "account", "action", "data", "points", "received_at", "lineage")
LOG_COLUMNS = (
    "kind",
    "id",
    "timestamp",
    "customer_id",
    "event_type",
    "status",
    "response_time",
    "error",
    "error_code",
    "request",
    "response",
    "internal_customer_id",
    "source",
    "subscription",
    "mapping_version",
    "test_run",
    "plan_check",
    "authenticated",
    "truncated",
)


def _marks(dialect: str, start: int, count: int) -> str:
    if dialect == "postgresql":
        return "(" + ", ".join(f"${n}" for n in range(start + 1, start + count + 1)) + ")"
    return "(" + ", ".join("?" * count) + ")"


@lru_cache(maxsize=64)
def _statement(dialect: str, table: str, columns: tuple[str, ...], rows: int, returning: str | None) -> str:
    names = ", ".join(f'"{name}"' for name in columns)
    values = ", ".join(_marks(dialect, n * len(columns), len(columns)) for n in range(rows))
    tail = f" RETURNING {returning}" if returning else ""
    return f'INSERT INTO "{table}" ({names}) VALUES {values}{tail}'


def insert_many(conn: Connection, table: Table, columns: tuple[str, ...], rows: Sequence[tuple[Any, ...]]) -> None:
    """`rows` (tuples in `columns`' order) as one `executemany`."""
    if rows:
        text = _statement(conn.dialect.name, table.name, columns, 1, None)
        conn.exec_driver_sql(text, list(rows))


def insert_returning(
    conn: Connection, table: Table, columns: tuple[str, ...], rows: Sequence[tuple[Any, ...]], returning: str
) -> list[Any]:
    """`rows` as multi-row INSERTs of up to `MAX_ROWS` each; the `returning` column of every row, in no order."""
    found: list[Any] = []
    for start in range(0, len(rows), MAX_ROWS):
        chunk = rows[start : start + MAX_ROWS]
        text = _statement(conn.dialect.name, table.name, columns, len(chunk), returning)
        flat = tuple(value for row in chunk for value in row)
        found.extend(value for (value,) in conn.exec_driver_sql(text, flat))
    return found
