"""Claims on SQL: Idempotency-Keys and Tracking-API messageIds, each a group's worth at once.

A group's claims are read in one statement, decided in order (a key or messageId claimed by an
earlier write of the group is taken for the later ones), and written in one statement for the
new rows. Another process may claim the same one meanwhile: a new row it inserted first is a
primary-key `IntegrityError`, an expired row it renewed first makes the conditional renewal
touch nothing (`Conflict`); either way `group` runs each claim again alone, and it then reads
the winner's row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, update

from receiver.store.contract import IdempotencyClaim, StoredResponse
from receiver.store.sql import statements as sql
from receiver.store.sql import tables as t
from receiver.store.sql.driver import insert_many
from receiver.store.sql.group import Bulk, Conflict


@dataclass
class _Key:
    fingerprint: str
    status: int | None
    body: Any
    locked_until: float
    expires_at: float


@dataclass(frozen=True)
class ClaimKey(Bulk[IdempotencyClaim]):
    """Reserve an Idempotency-Key, or say why not (the stored answer, in progress, or a mismatch)."""

    key: str
    fingerprint: str
    now: float
    ttl: float
    lease: float

    @staticmethod
    def run_many(conn: Connection, works: Sequence[ClaimKey]) -> list[tuple[bool, Any]]:
        answers, fresh = ClaimKey.claim_many(conn, works)
        insert_keys(conn, list(fresh.values()))
        return answers

    @staticmethod
    def claim_many(
        conn: Connection, works: Sequence[ClaimKey]
    ) -> tuple[list[tuple[bool, Any]], dict[str, tuple[Any, ...]]]:
        """The claims' answers, and the rows (`KEY_COLUMNS`) of the keys new to the table, which the caller
        inserts (a unit of work inserts them once, with their answers, instead of a row and then its update)."""
        keys: dict[str, _Key] = {
            row.key: _Key(row.fingerprint, row.status, row.body, row.locked_until, row.expires_at)
            for row in conn.execute(sql.KEYS, {"keys": list({work.key for work in works})})
        }
        stored = set(keys)
        fresh: dict[str, tuple[Any, ...]] = {}
        answers: list[tuple[bool, Any]] = []
        for work in works:
            held = keys.get(work.key)
            free = (
                held is None or held.expires_at <= work.now or (held.status is None and held.locked_until <= work.now)
            )
            if not free and held is not None:
                if held.fingerprint != work.fingerprint:
                    answers.append((True, ("mismatch", held.fingerprint)))
                else:
                    answers.append(
                        (True, "in_progress" if held.status is None else StoredResponse(held.status, held.body))
                    )
                continue
            claim = _Key(work.fingerprint, None, None, work.now + work.lease, work.now + work.ttl)
            keys[work.key] = claim
            if work.key in stored:
                _renew(conn, sql.RENEW_KEY, {"key_": work.key, "now": work.now, **vars(claim)})
            else:
                fresh[work.key] = (work.key, claim.fingerprint, None, None, claim.locked_until, claim.expires_at)
            answers.append((True, "reserved"))
        return answers, fresh


KEY_COLUMNS = ("key", "fingerprint", "status", "body", "locked_until", "expires_at")
"""A key's row as `insert_keys` takes it: `body` as JSON text (or None)."""


def insert_keys(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    insert_many(conn, t.idempotency_keys, KEY_COLUMNS, rows)


def _renew(conn: Connection, statement: Any, values: dict[str, Any]) -> None:
    """Take over an expired (or abandoned) row, only if it still is: else another process was first."""
    if conn.execute(statement, values).rowcount != 1:
        raise Conflict("claimed meanwhile by another process")


def finish_key(key: str, response: StoredResponse, conn: Connection) -> None:
    table = t.idempotency_keys
    conn.execute(update(table).where(table.c.key == key).values(status=response.status, body=response.body))


def release_key(key: str, conn: Connection) -> None:
    table = t.idempotency_keys
    conn.execute(delete(table).where(table.c.key == key, table.c.status.is_(None)))


@dataclass(frozen=True)
class ClaimMessage(Bulk[bool]):
    """Tracking-API dedup: True when the messageId was not claimed within its window."""

    message_id: str
    now: float
    window: float

    @staticmethod
    def run_many(conn: Connection, works: Sequence[ClaimMessage]) -> list[tuple[bool, Any]]:
        ids = list({work.message_id for work in works})
        known = {row.message_id: row.expires_at for row in conn.execute(sql.SEEN, {"ids": ids})}
        fresh: list[tuple[str, float]] = []
        answers: list[tuple[bool, Any]] = []
        for work in works:
            expires = known.get(work.message_id)
            if expires is not None and expires > work.now:
                answers.append((True, False))
                continue
            known[work.message_id] = work.now + work.window
            if expires is None:
                fresh.append((work.message_id, work.now + work.window))
            else:
                renewal = {"message_id_": work.message_id, "expires_at": work.now + work.window, "now": work.now}
                _renew(conn, sql.RENEW_SEEN, renewal)
            answers.append((True, True))
        if fresh:
            insert_many(conn, t.seen_messages, ("message_id", "expires_at"), fresh)
        return answers


def forget_message(message_id: str, conn: Connection) -> None:
    conn.execute(delete(t.seen_messages).where(t.seen_messages.c.message_id == message_id))
