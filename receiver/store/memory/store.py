"""The in-memory store: everything in one process, gone when it stops (a quick local try, the tests).

One thread lock guards all state: transaction IDs are unique per *account* (across
customers), so a per-customer lock would not be enough, and the work under the lock is a few
dict operations. Maps a caller can fill (idempotency keys, messageIds, sessions, the outbox,
the logs) are bounded by count and, where a caller chooses the size, by bytes, oldest first,
so memory stays bounded whatever the traffic. Keys or messageIds dropped for room before
their window ends shorten the window really kept: `warnings` says so (and `/healthz` shows it).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from receiver.ids import random_id
from receiver.jsontext import json_copy
from receiver.store.batch import accepted_answer, write_by_steps
from receiver.store.contract import (
    BatchMessage,
    BatchWindows,
    Change,
    CustomerSnapshot,
    Decision,
    IdempotencyClaim,
    MessageResult,
    OutboxItem,
    SeenTransaction,
    StoredEvent,
    StoredResponse,
    StoredSession,
)
from receiver.store.keys import MemoryKeys
from receiver.store.limits import StoreLimits
from receiver.store.lineage import Lineage
from receiver.store.memory.expiring import ExpiringMap
from receiver.store.memory.logs import MemoryLogs
from receiver.store.memory.outbox import MemoryOutbox
from receiver.store.memory.quarantine import MemoryQuarantine
from receiver.store.memory.users import MemoryUsers
from receiver.store.memory.windows import WindowWatch

_ABSENT = object()


@dataclass
class _Customer:
    id: str
    created_at: datetime
    profile: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    opted_in: bool | None = None
    balances: dict[str, int] = field(default_factory=dict)
    events: list[StoredEvent] = field(default_factory=list)


class _View:
    """The read-only view a decision gets; it never exposes the mutable records."""

    __slots__ = ("_customer", "_transactions")

    def __init__(self, customer: _Customer | None, transactions: dict[str, dict[str, SeenTransaction]]) -> None:
        self._customer = customer
        self._transactions = transactions

    @property
    def exists(self) -> bool:
        return self._customer is not None

    def balance(self, account: str) -> int:
        return self._customer.balances.get(account, 0) if self._customer else 0

    def transaction_seen(self, account: str, transaction_id: str) -> SeenTransaction | bool:
        return self._transactions.get(account, {}).get(transaction_id) or False


class MemoryStore(MemoryLogs, MemoryOutbox, MemoryQuarantine, MemoryUsers):
    """The whole contract in one process's memory."""

    name = "memory"
    durable = False
    groups_writes = False

    def __init__(self, limits: StoreLimits | None = None) -> None:
        self.limits = limits or StoreLimits()
        self._clock = self.limits.clock
        self._lock = threading.Lock()
        self._customers: dict[str, _Customer] = {}
        self._transactions: dict[str, dict[str, SeenTransaction]] = {}
        self._writes = 0
        limits = self.limits
        self._keys = MemoryKeys(limits.max_keys, limits.idempotency_max_bytes)
        # The window is given with each call (`first_time`); the map's `ttl` follows it.
        self._messages: ExpiringMap[None] = ExpiringMap(
            0.0, limits.max_messages, self._clock, max_bytes=limits.dedup_max_bytes
        )
        self._message_window: float | None = None
        self._windows = WindowWatch()
        self._windows.watch("Idempotency-Keys", "idempotency_ttl_seconds", lambda: self._keys.ttl, self.key_window)
        self._windows.watch(
            "messageIds", "dedup_window_seconds", lambda: self._message_window, lambda: self._messages.effective_window
        )
        self._sessions: OrderedDict[str, StoredSession] = OrderedDict()
        self._open_logs()
        self._open_outbox()
        self._open_quarantine()
        self._open_users()

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def warnings(self) -> list[str]:
        """A window (Idempotency-Keys, messageIds) really kept shorter than configured, because room ran out."""
        return self._windows.warnings()

    # --- what the memory bounds hold (for the operator's figures and the tests) ---------------

    def key_window(self) -> float | None:
        """How long keys were really kept when the last one was dropped for room (None: none was)."""
        return self._keys.window

    def message_window(self) -> float | None:
        """How long messageIds were really kept when the last one was dropped for room (None: none was)."""
        return self._messages.effective_window

    @property
    def key_bytes(self) -> int:
        """Bytes the Idempotency-Keys and their answers are counted as."""
        return self._keys.bytes

    @property
    def key_count(self) -> int:
        with self._lock:
            return self._keys.count(self._clock())

    @property
    def message_bytes(self) -> int:
        return self._messages.bytes

    # --- customers ---------------------------------------------------------------------------

    async def apply(
        self, customer_id: str, decide: Decision, *, idempotency_key: str | None = None, lineage: Lineage | None = None
    ) -> StoredEvent:
        with self._lock:
            record = self._customers.get(customer_id)
            change = decide(_View(record, self._transactions))
            now = self._now()
            event = StoredEvent(
                id=random_id("evt_"),
                customer=customer_id,
                account=change.account,
                action=change.action,
                data=json_copy(dict(change.data)),
                points=change.points,
                received_at=now,
                lineage=lineage,
            )
            # Everything is computed on a copy first, the outbox items included: a failure writes nothing.
            after = _Customer(
                id=customer_id,
                created_at=record.created_at if record is not None else now,
                profile={**(record.profile if record else {}), **change.profile},
                attributes={**(record.attributes if record else {}), **json_copy(dict(change.attributes))},
                opted_in=change.opted_in if change.opted_in is not None else (record.opted_in if record else None),
                balances=dict(record.balances) if record else {},
                events=record.events if record else [],  # shared, not copied: no work grows with the history
            )
            if change.points:
                after.balances[change.account] = after.balances.get(change.account, 0) + change.points
            after.events.append(event)
            try:
                items = self._items(record, after, change, event)
            except BaseException:
                after.events.pop()
                raise
            self._customers[customer_id] = after
            if change.transaction_id is not None:
                seen = SeenTransaction(customer_id, now)
                self._transactions.setdefault(change.account, {})[change.transaction_id] = seen
            self._writes += 1
            if idempotency_key is not None:
                self._keys.answer(idempotency_key, accepted_answer(event))
            self._put(items)
            queued, wake = bool(items), self._wake
        if queued and wake is not None:
            wake()
        return event

    async def write_batch(self, messages: Sequence[BatchMessage], windows: BatchWindows) -> list[MessageResult]:
        return await write_by_steps(self, messages, windows)  # no call here waits: the steps cannot interleave

    def _items(
        self, before: _Customer | None, after: _Customer, change: Change, event: StoredEvent
    ) -> list[OutboxItem]:
        if self._source is None:
            return []
        keys = changed_keys(before.profile if before else {}, before.attributes if before else {}, change)
        snapshot = _snapshot(after)
        merged = {**snapshot.profile, **snapshot.attributes}
        items = self._source.items(snapshot, event, {key: merged[key] for key in keys})
        self._check_room(len(items))
        return items

    async def customer(self, customer_id: str) -> CustomerSnapshot | None:
        with self._lock:
            record = self._customers.get(customer_id)
            return None if record is None else _snapshot(record)

    async def events(self, customer_id: str, *, offset: int, limit: int) -> tuple[list[StoredEvent], int] | None:
        with self._lock:
            record = self._customers.get(customer_id)
            if record is None:
                return None
            return record.events[offset : offset + limit], len(record.events)

    async def customer_count(self) -> int:
        with self._lock:
            return len(self._customers)

    async def holding(self, name: str) -> list[tuple[str, Any]]:
        """Every customer holding `name` in its profile or attributes, oldest first: (ID, value).

        The Customer ID mapping indexes these when it is set to `name` (see `core.customer_ids`).
        """
        with self._lock:
            records = sorted(self._customers.values(), key=lambda record: (record.created_at, record.id))
            return [
                (record.id, record.attributes[name] if name in record.attributes else record.profile[name])
                for record in records
                if name in record.attributes or name in record.profile
            ]

    async def event_count(self) -> int:
        return self._writes

    # --- idempotency and dedup ---------------------------------------------------------------

    async def idempotency_begin(self, key: str, fingerprint: str, *, ttl: float, lease: float) -> IdempotencyClaim:
        with self._lock:
            claim, dropped = self._keys.begin(key, fingerprint, now=self._clock(), ttl=ttl, lease=lease)
        if dropped:
            self._windows.log_shortfalls()
        return claim

    async def idempotency_finish(self, key: str, response: StoredResponse) -> None:
        with self._lock:
            self._keys.answer(key, response)

    async def idempotency_release(self, key: str) -> None:
        with self._lock:
            self._keys.release(key)

    async def first_time(self, message_id: str, *, window: float) -> bool:
        with self._lock:
            self._message_window = self._messages.ttl = window
            before = self._messages.effective_window
            first = self._messages.put_new(message_id, None)
            dropped = self._messages.effective_window is not before
        if dropped:
            self._windows.log_shortfalls()
        return first

    async def forget_message(self, message_id: str) -> None:
        with self._lock:
            self._messages.discard(message_id)

    # --- retention (the logs' rings and the quarantine) ---------------------------------------

    async def retention_sweep(self) -> None:
        """Each log frees what retention says is gone (as it does every `SWEEP_EVERY` entries added), and the quarantine."""
        for log in self._logs.values():
            log.sweep()
        self._sweep_quarantine()

    # --- sessions --------------------------------------------------------------------------------

    async def session_put(self, session: StoredSession) -> None:
        with self._lock:
            while len(self._sessions) >= self.limits.max_sessions:
                self._sessions.popitem(last=False)
            self._sessions[session.digest] = session

    async def session_get(self, digest: str) -> StoredSession | None:
        with self._lock:
            found = self._sessions.get(digest)
            if found is not None and found.expires_at <= self._clock():
                del self._sessions[digest]
                return None
            return found

    async def session_delete(self, digest: str) -> None:
        with self._lock:
            self._sessions.pop(digest, None)


def _snapshot(record: _Customer) -> CustomerSnapshot:
    return CustomerSnapshot(
        id=record.id,
        created_at=record.created_at,
        profile=json_copy(record.profile),
        attributes=json_copy(record.attributes),
        opted_in=record.opted_in,
        balances=dict(record.balances),
        event_count=len(record.events),
    )


def changed_keys(profile: Mapping[str, Any], attributes: Mapping[str, Any], change: Change) -> list[str]:
    """Profile fields and attributes whose value `change` will set to something new."""
    return [
        key
        for current, new in ((profile, change.profile), (attributes, change.attributes))
        for key, value in new.items()
        if current.get(key, _ABSENT) != value
    ]
