"""`write_batch` on SQL: a Tracking-API call's messages in one transaction, one statement per table.

The unit's steps are the grouped writes' own (`claims.ClaimMessage`, `claims.ClaimKey`,
`ledger.Apply`, `records.AddLog`), each run once for the whole call: the messageIds in one read
and one multi-row insert, the keys likewise, the customers read (and on PostgreSQL locked) in
one statement, events, balances (`INSERT … ON CONFLICT DO UPDATE`), transaction IDs, key answers
and log entries written by `executemany`. The database keeps the last word on the rules
(primary keys, the balance CHECK); a conflict with another process undoes the unit, which
`group` runs again whole, so the decisions then see the rows that won.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from receiver.errors import ApiError
from receiver.store.batch import accepted_answer, key_answer
from receiver.store.contract import (
    BatchMessage,
    BatchRequest,
    BatchWindows,
    LogEntry,
    MessageResult,
    NewLogEntry,
    OutboxItem,
    OutboxSource,
    RequestOutcome,
)
from receiver.store.sql import statements as sql
from receiver.store.sql.claims import ClaimKey, ClaimMessage, insert_keys
from receiver.store.sql.engine import json_text
from receiver.store.sql.ledger import Apply
from receiver.store.sql.records import AddLog


class UnitUndone(Exception):
    """A unit that met an `ApiError` of its own (a full outbox), raised so that its transaction is undone.

    `group` commits what a plain work wrote before an `ApiError` (it takes one for a decision's
    refusal); a unit has written its claims by then, so the error leaves it as this instead,
    and `SqlStore.write_batch` raises the refusal again once nothing of the unit stands.
    """

    def __init__(self, refusal: ApiError) -> None:
        super().__init__(refusal.code)
        self.refusal = refusal


@dataclass(frozen=True)
class WriteBatch:
    """The unit of work (a function of a connection, run by `group` as one transaction)."""

    messages: Sequence[BatchMessage]
    windows: BatchWindows
    now: float
    source: OutboxSource | None
    write_outbox: Callable[[Connection, Sequence[OutboxItem]], bool]
    body_bytes: int

    def __call__(self, conn: Connection) -> tuple[list[MessageResult], bool]:
        """The results in message order, and whether any outbox row was queued."""
        try:
            return self._run(conn)
        except ApiError as refusal:
            raise UnitUndone(refusal) from refusal

    def _run(self, conn: Connection) -> tuple[list[MessageResult], bool]:
        now, windows = self.now, self.windows
        claimed = ClaimMessage.run_many(conn, [ClaimMessage(m.message_id, now, windows.dedup) for m in self.messages])
        first = [bool(answer) for _, answer in claimed]
        # Every request of a first-time message, numbered in order: outcomes and entries are keyed by that number.
        requests = [r for m, new in zip(self.messages, first, strict=True) if new for r in m.requests]
        outcomes: dict[int, RequestOutcome] = {}
        keyed = [n for n, r in enumerate(requests) if r.decide is not None and r.idempotency_key is not None]
        keys, fresh = ClaimKey.claim_many(
            conn,
            [
                ClaimKey(requests[n].idempotency_key or "", requests[n].fingerprint, now, windows.ttl, windows.lease)
                for n in keyed
            ],
        )
        for n, (_, claim) in zip(keyed, keys, strict=True):
            if claim != "reserved":
                outcomes[n] = RequestOutcome(claim=claim)
        to_apply = [n for n, r in enumerate(requests) if r.decide is not None and n not in outcomes]
        queued = self._apply(conn, requests, to_apply, outcomes, fresh)
        entries = self._log(conn, requests, outcomes)
        results: list[MessageResult] = []
        n = 0
        for message, new in zip(self.messages, first, strict=True):
            if not new:
                results.append(MessageResult(duplicate=True))
                continue
            own = range(n, n + len(message.requests))
            n = own.stop
            results.append(
                MessageResult(
                    False, tuple(outcomes.get(k, RequestOutcome()) for k in own), tuple(entries.get(k) for k in own)
                )
            )
        duplicates = [m.duplicate() for m, new in zip(self.messages, first, strict=True) if not new]
        if duplicates:
            AddLog.run_many(conn, [AddLog("duplicate", duplicates, self.body_bytes)])
        return results, queued

    def _apply(
        self,
        conn: Connection,
        requests: list[BatchRequest],
        chosen: list[int],
        outcomes: dict[int, RequestOutcome],
        fresh: dict[str, tuple[Any, ...]],
    ) -> bool:
        """The decisions in order, as one `Apply` group; each reserved key gets its request's answer.

        A key new to the table (`fresh`) is inserted here once, with its answer; a key taken over
        from an expired row was renewed by its claim, and its answer is an update (by `Apply` for
        an accepted request, here for a refused one).
        """
        works = []
        for n in chosen:
            r = requests[n]
            assert r.decide is not None  # chosen: the requests with a decision
            updated = r.idempotency_key if r.idempotency_key not in fresh else None
            works.append(Apply(r.customer_id, r.decide, updated, self.now, self.source, self.write_outbox, r.lineage))
        queued = False
        refused: list[dict[str, Any]] = []
        rows: list[tuple[Any, ...]] = []
        for n, (ok, answer) in zip(chosen, Apply.run_many(conn, works) if works else [], strict=True):
            if ok:
                event, items = answer
                queued = queued or items
                outcomes[n] = RequestOutcome(event=event)
                stored = accepted_answer(event)
            else:
                outcomes[n] = RequestOutcome(refusal=answer)
                stored = key_answer(answer)
            key = requests[n].idempotency_key
            if key in fresh:
                row = fresh.pop(key)
                rows.append((*row[:2], stored.status, json_text(stored.body), *row[4:]))
            elif key is not None and not ok:
                refused.append({"key_": key, "status": stored.status, "body": stored.body})
        if refused:
            conn.execute(sql.KEY_ANSWER, refused)
        insert_keys(conn, rows + list(fresh.values()))  # (none left in `fresh`: every reserved key's request ran)
        return queued

    def _log(
        self, conn: Connection, requests: list[BatchRequest], outcomes: dict[int, RequestOutcome]
    ) -> dict[int, LogEntry]:
        """Each request's inbound entry from its outcome, all in one statement."""
        made: list[tuple[int, NewLogEntry]] = []
        for n, request in enumerate(requests):
            entry = request.entry(outcomes.get(n, RequestOutcome()))
            if entry is not None:
                made.append((n, entry))
        if not made:
            return {}
        [(_, written)] = AddLog.run_many(conn, [AddLog("inbound", [entry for _, entry in made], self.body_bytes)])
        return {n: entry for (n, _), entry in zip(made, written, strict=True)}
