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

from receiver.store.batch import key_answer
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
from receiver.store.sql.claims import ClaimKey, ClaimMessage
from receiver.store.sql.ledger import Apply
from receiver.store.sql.records import AddLog


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
        now, windows = self.now, self.windows
        claimed = ClaimMessage.run_many(conn, [ClaimMessage(m.message_id, now, windows.dedup) for m in self.messages])
        first = [bool(answer) for _, answer in claimed]
        # Every request of a first-time message, numbered in order: outcomes and entries are keyed by that number.
        requests = [r for m, new in zip(self.messages, first, strict=True) if new for r in m.requests]
        outcomes: dict[int, RequestOutcome] = {}
        keyed = [n for n, r in enumerate(requests) if r.decide is not None and r.idempotency_key is not None]
        keys = ClaimKey.run_many(
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
        queued = self._apply(conn, requests, to_apply, outcomes)
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
        self, conn: Connection, requests: list[BatchRequest], chosen: list[int], outcomes: dict[int, RequestOutcome]
    ) -> bool:
        """The decisions in order, as one `Apply` group; a refused keyed request's answer is stored as the key's."""
        if not chosen:
            return False
        works = []
        for n in chosen:
            r = requests[n]
            assert r.decide is not None  # chosen: the requests with a decision
            works.append(Apply(r.customer_id, r.decide, r.idempotency_key, self.now, self.source, self.write_outbox))
        queued = False
        refused: list[dict[str, Any]] = []
        for n, (ok, answer) in zip(chosen, Apply.run_many(conn, works), strict=True):
            if ok:
                event, items = answer
                queued = queued or items
                outcomes[n] = RequestOutcome(event=event)
                continue
            outcomes[n] = RequestOutcome(refusal=answer)
            key = requests[n].idempotency_key
            if key is not None:
                stored = key_answer(answer)
                refused.append({"key_": key, "status": stored.status, "body": stored.body})
        if refused:
            conn.execute(sql.KEY_ANSWER, refused)
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
