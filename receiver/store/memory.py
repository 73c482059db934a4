"""The loyalty store: one small async interface, and the in-memory implementation.

The routes only ever call `LoyaltyStore.apply` (check and write, atomically) and the two
read methods, so a Redis-backed store can implement the same protocol later (e.g. with
WATCH/MULTI around `apply`) without touching the routes or the business rules.

`apply` takes a *decision*: a function from a read-only view of the customer to the
`Change` to write. It runs under the store's lock, so the rules see the state they change
(no lost updates), and a decision that raises leaves the store exactly as it was.

Observers (`subscribe`) hear about every committed event, in commit order, with the customer
as it now is and the profile fields / attributes the event changed: the outbound sync uses
this to send the store's changes back out without the webhook code knowing about it.
"""

from __future__ import annotations

import copy
import logging
import threading
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

logger = logging.getLogger("receiver.store.memory")
_ABSENT = object()


@dataclass(frozen=True)
class StoredEvent:
    """One accepted event, written once and never changed."""

    id: str
    customer: str
    account: str
    action: str
    data: Mapping[str, Any]
    points: int
    received_at: datetime


@dataclass(frozen=True)
class Change:
    """What an accepted event writes: the history entry plus its effects on the customer."""

    account: str
    action: str
    data: Mapping[str, Any]
    points: int = 0
    profile: Mapping[str, Any] = field(default_factory=dict)
    attributes: Mapping[str, Any] = field(default_factory=dict)
    opted_in: bool | None = None
    transaction_id: str | None = None


@dataclass(frozen=True)
class CustomerSnapshot:
    """A customer as the inspection endpoint shows it (a copy, safe to hand out)."""

    id: str
    created_at: datetime
    profile: dict[str, Any]
    attributes: dict[str, Any]
    opted_in: bool | None
    balances: dict[str, int]
    event_count: int


@dataclass(frozen=True)
class SeenTransaction:
    """Who recorded a transaction ID in an account, and when: what a 409 may tell the brand's key holder."""

    customer_id: str
    recorded_at: datetime


class CustomerView(Protocol):
    """What a decision may read while the store is locked."""

    @property
    def exists(self) -> bool: ...

    def balance(self, account: str) -> int: ...

    def transaction_seen(self, account: str, transaction_id: str) -> SeenTransaction | bool:
        """Falsy when unseen; a backend that knows who recorded it answers a `SeenTransaction`."""
        ...


Decision = Callable[[CustomerView], Change]


class StoreObserver(Protocol):
    """Told about each committed event; called under the store's lock, so it must be quick.

    `changed` maps each profile field or attribute whose value the event changed (or set for
    the first time) to its new value. An observer that raises is logged and ignored: the
    event is already committed, and the webhook's answer must say so.
    """

    def committed(self, customer: CustomerSnapshot, event: StoredEvent, changed: Mapping[str, Any]) -> None: ...


@runtime_checkable
class LoyaltyStore(Protocol):
    """The store the routes use; every implementation must make `apply` atomic."""

    async def apply(self, customer_id: str, decide: Decision) -> StoredEvent:
        """Run `decide` on the customer's current state and write its `Change`, atomically."""
        ...

    async def customer(self, customer_id: str) -> CustomerSnapshot | None: ...

    async def events(self, customer_id: str, *, offset: int, limit: int) -> tuple[list[StoredEvent], int] | None:
        """A page of the customer's history (oldest first) and the total count; None if unknown."""
        ...

    async def customer_count(self) -> int: ...

    def subscribe(self, observer: StoreObserver) -> None:
        """Call `observer` after every committed event, in commit order."""
        ...


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


def _now() -> datetime:
    return datetime.now(UTC)


class MemoryStore:
    """Everything in one process, guarded by one lock.

    Transaction IDs are unique per *account* (across customers), so a per-customer lock would
    not be enough for checkouts; the work under the lock is a few dict operations, so one lock
    costs nothing measurable. It is a thread lock so tests may read from another thread.
    """

    def __init__(self, clock: Callable[[], datetime] = _now) -> None:
        self._lock = threading.Lock()
        self._customers: dict[str, _Customer] = {}
        self._transactions: dict[str, dict[str, SeenTransaction]] = {}
        self._clock = clock
        self._writes = 0
        self._observers: list[StoreObserver] = []

    def subscribe(self, observer: StoreObserver) -> None:
        with self._lock:
            self._observers.append(observer)

    @property
    def writes(self) -> int:
        """How many events were ever accepted: a cheap way to see that a refusal wrote nothing."""
        return self._writes

    async def apply(self, customer_id: str, decide: Decision) -> StoredEvent:
        return self.apply_sync(customer_id, decide)

    def apply_sync(self, customer_id: str, decide: Decision) -> StoredEvent:
        with self._lock:
            record = self._customers.get(customer_id)
            change = decide(_View(record, self._transactions))
            now = self._clock()
            if record is None:
                record = _Customer(id=customer_id, created_at=now)
                self._customers[customer_id] = record
            event = StoredEvent(
                id=f"evt_{uuid.uuid4().hex}",
                customer=customer_id,
                account=change.account,
                action=change.action,
                data=copy.deepcopy(dict(change.data)),
                points=change.points,
                received_at=now,
            )
            changed = _changed_keys(record, change) if self._observers else ()
            record.profile.update(change.profile)
            record.attributes.update(copy.deepcopy(dict(change.attributes)))
            if change.opted_in is not None:
                record.opted_in = change.opted_in
            if change.points:
                record.balances[change.account] = record.balances.get(change.account, 0) + change.points
            if change.transaction_id is not None:
                seen = SeenTransaction(customer_id, now)
                self._transactions.setdefault(change.account, {})[change.transaction_id] = seen
            record.events.append(event)
            self._writes += 1
            if self._observers:
                self._notify(record, event, changed)
            return event

    def _notify(self, record: _Customer, event: StoredEvent, changed_keys: Collection[str]) -> None:
        snapshot = _snapshot(record)
        merged = {**snapshot.profile, **snapshot.attributes}
        changed = {key: merged[key] for key in changed_keys}
        for observer in self._observers:
            try:
                observer.committed(snapshot, event, changed)
            except Exception:
                logger.exception("a store observer failed on event %s", event.id)

    async def customer(self, customer_id: str) -> CustomerSnapshot | None:
        return self.customer_sync(customer_id)

    def customer_sync(self, customer_id: str) -> CustomerSnapshot | None:
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


def _snapshot(record: _Customer) -> CustomerSnapshot:
    return CustomerSnapshot(
        id=record.id,
        created_at=record.created_at,
        profile=copy.deepcopy(record.profile),
        attributes=copy.deepcopy(record.attributes),
        opted_in=record.opted_in,
        balances=dict(record.balances),
        event_count=len(record.events),
    )


def _changed_keys(record: _Customer, change: Change) -> list[str]:
    """Profile fields and attributes whose value `change` will set to something new."""
    return [
        key
        for current, new in ((record.profile, change.profile), (record.attributes, change.attributes))
        for key, value in new.items()
        if current.get(key, _ABSENT) != value
    ]


STORES: dict[str, Callable[[], LoyaltyStore]] = {"memory": MemoryStore}


def make_store(backend: str) -> LoyaltyStore:
    """The store named in the settings (`store: memory`)."""
    try:
        return STORES[backend]()
    except KeyError:
        raise ValueError(f"unknown store backend {backend!r}; known: {', '.join(STORES)}") from None
