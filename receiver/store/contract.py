"""The store contract: everything the receiver keeps, behind one async protocol.

Every piece of state the receiver holds — customers, balances, the event history,
transaction IDs, idempotency keys, seen messageIds, the inbound and outbound logs, page
sessions and the outbound queue — goes through `LoyaltyStore`, so a backend (memory, SQLite,
PostgreSQL) is chosen by one setting and the routes and rules never know which one runs.

`apply` takes a *decision*: a function from a read-only view of the customer to the `Change`
to write. It runs inside the backend's write transaction (under a lock, or on a locked row),
so the rules see the state they change, and a decision that raises writes nothing. The
outbox rows the commit causes (see `OutboxSource`) and the idempotency key's first answer are
written in that same transaction: a crash can lose neither half of an accepted event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

from receiver.errors import ApiError
from receiver.store.entries import LogEntry, LogFilter, LogPage
from receiver.store.lineage import Lineage
from receiver.store.quarantine import NewQuarantined, Quarantined, QuarantineStore
from receiver.store.users import NewUser, StoredSession, StoredUser, UserStore

__all__ = [
    "IN_PROGRESS",
    "Change",
    "BatchMessage",
    "BatchRequest",
    "BatchWindows",
    "CustomerSnapshot",
    "CustomerView",
    "Decision",
    "IdempotencyClaim",
    "LogEntry",
    "LogFilter",
    "LogKind",
    "LogPage",
    "Lineage",
    "LoyaltyStore",
    "MessageResult",
    "NewLogEntry",
    "NewQuarantined",
    "NewUser",
    "OutboxItem",
    "OutboxRow",
    "OutboxSource",
    "Quarantined",
    "RequestOutcome",
    "SeenTransaction",
    "StoreUnavailable",
    "StoredEvent",
    "StoredResponse",
    "StoredSession",
    "StoredUser",
]

LogKind = Literal["inbound", "outbound", "duplicate"]
"""The store's logs: webhook requests, messages sent to Segment, and Tracking-API duplicates dropped."""
RETRY_AFTER_SECONDS = 2


class StoreUnavailable(ApiError):
    """The database cannot be reached (or answer) in time: 503 with `Retry-After`, never a 500 or a hang."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            503,
            "STORE_UNAVAILABLE",
            "The receiver's database is not reachable right now; retry shortly.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
        self.detail = detail


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
    lineage: Lineage | None = None  # see receiver.store.lineage


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
    """What a decision may read inside the write transaction."""

    @property
    def exists(self) -> bool: ...

    def balance(self, account: str) -> int: ...

    def transaction_seen(self, account: str, transaction_id: str) -> SeenTransaction | bool:
        """Falsy when unseen; else who recorded it and when."""
        ...


Decision = Callable[[CustomerView], Change]


@dataclass(frozen=True)
class StoredResponse:
    """The answer an idempotency key replays: status and JSON body, exactly as first sent."""

    status: int
    body: dict[str, Any]


IN_PROGRESS = "in_progress"
IdempotencyClaim = Literal["reserved", "in_progress"] | StoredResponse | tuple[Literal["mismatch"], str]
"""`reserved`: this caller runs the request; `in_progress`: another one still does; a
`StoredResponse`: replay it; `("mismatch", fingerprint)`: the key came with another body."""


@dataclass(frozen=True)
class OutboxItem:
    """A message a commit causes; `refusal` (code, reason) marks one that must be logged, not sent."""

    customer_id: str
    message_id: str
    event_type: str | None
    message: dict[str, Any]
    refusal: tuple[str, str] | None = None


@dataclass(frozen=True)
class OutboxRow:
    """A queued message as the sender claims it (`seq` orders and identifies it)."""

    seq: int
    item: OutboxItem
    attempts: int


class OutboxSource(Protocol):
    """Turns one commit into outbox items; called inside the write transaction, so it must be quick and pure.

    `changed` maps each profile field or attribute whose value the event changed (or set for
    the first time) to its new value.
    """

    def items(self, customer: CustomerSnapshot, event: StoredEvent, changed: Mapping[str, Any]) -> list[OutboxItem]: ...


@dataclass(frozen=True)
class NewLogEntry:
    """A log entry to write (the store gives it its `seq`)."""

    id: str
    timestamp: datetime
    customer_id: str | None
    event_type: str | None
    status: int
    response_time: float
    error: str | None
    error_code: str | None
    request: Any
    response: Any
    authenticated: bool = True
    """False for a refusal whose sender is unknown: the memory store keeps those in their own small share."""
    internal_customer_id: str | None = None
    """The store's own ID when `customer_id` was an external ID (Customer ID mapping)."""
    source: str | None = None
    """Who sent it: `webhook`, or `segment:<library>` for a Tracking-API message (`receiver.logs.sources`)."""
    subscription: str | None = None
    mapping_version: str | None = None
    test_run: str | None = None
    """Which mapping (and version) made the logged request, and the test run it came in (`LogEntry`)."""
    plan_check: dict[str, Any] | None = None
    """The tracking plan's verdict on the message (`LogEntry.plan_check`)."""


# --- a Tracking-API call as one unit of work (`LoyaltyStore.write_batch`, see `receiver.store.batch`) ---


@dataclass(frozen=True)
class RequestOutcome:
    """What became of one request: its event, its refusal, or (a key not reserved) the key's claim."""

    event: StoredEvent | None = None
    refusal: ApiError | None = None
    claim: IdempotencyClaim | None = None
    """Set only when the key was not reserved: a `StoredResponse` to replay, `in_progress`, or a mismatch."""

    @property
    def deferred(self) -> bool:
        """Another request holds the key: nothing was written, the caller runs this one again on its own."""
        return self.claim == "in_progress"


@dataclass(frozen=True)
class BatchRequest:
    """One webhook request of a message; without `decide` it is a note (its entry alone is written)."""

    entry: Callable[[RequestOutcome], NewLogEntry | None]
    """Its inbound-log entry from its outcome (None: nothing is logged). Pure and quick: it runs in the transaction."""
    customer_id: str = ""
    decide: Decision | None = None
    idempotency_key: str | None = None
    fingerprint: str = ""
    lineage: Lineage | None = None


@dataclass(frozen=True)
class BatchMessage:
    """A message: its messageId claim, the entry it leaves if a duplicate, and its requests in order."""

    message_id: str
    duplicate: Callable[[], NewLogEntry]
    """Its entry in the duplicate log, made only when it is one (most messages are not)."""
    requests: tuple[BatchRequest, ...] = ()


@dataclass(frozen=True)
class BatchWindows:
    """How long claims last: messageIds (`dedup`), and Idempotency-Keys' answers (`ttl`) and reservations (`lease`)."""

    dedup: float
    ttl: float
    lease: float


@dataclass(frozen=True)
class MessageResult:
    """One message's result: a duplicate (its entry in the duplicate log), or one outcome and entry per request."""

    duplicate: bool
    outcomes: tuple[RequestOutcome, ...] = ()
    entries: tuple[LogEntry | None, ...] = ()


@runtime_checkable
class LoyaltyStore(QuarantineStore, UserStore, Protocol):
    """What every backend implements; see each method for the rule it must hold under concurrency."""

    name: str
    """`memory`, `sqlite` or `postgresql` (shown by `serve` and `/healthz`)."""
    durable: bool
    groups_writes: bool
    """True when writes queued at one moment commit as one transaction (the SQL stores): a caller
    with many writes queues them together. False when each write finishes at once (memory)."""

    def warnings(self) -> list[str]:
        """What the operator should know about this store now (shown by `/healthz`): e.g. the memory
        store keeping Idempotency-Keys or messageIds for less than their configured window."""
        ...

    async def open(self) -> None:
        """Connect and check the schema is current (raises `SchemaBehind` from `receiver.store.sql` if not)."""
        ...

    async def close(self) -> None: ...

    async def retention_sweep(self) -> None:
        """Free now what retention and expiry say is gone (reads never show it; each backend sweeps every few writes too)."""
        ...

    def set_outbox_source(self, source: OutboxSource | None, wake: Callable[[], None] | None = None) -> None:
        """Write `source`'s items with every commit; call `wake` after a commit that queued any."""
        ...

    # --- customers and their history -------------------------------------------------------

    async def apply(
        self, customer_id: str, decide: Decision, *, idempotency_key: str | None = None, lineage: Lineage | None = None
    ) -> StoredEvent:
        """Run `decide` on the customer's current state and write its `Change`, atomically.

        A transaction ID is unique per account, enforced by the backend (not only by the
        decision); a balance never goes below zero. With `idempotency_key`, the key's answer
        (202 and the event's ID) is stored in the same transaction. `lineage` is kept on the event.
        """
        ...

    async def write_batch(self, messages: Sequence[BatchMessage], windows: BatchWindows) -> list[MessageResult]:
        """A call's messages as one unit of work (one transaction on SQL), one result per message in order.

        Each message's messageId claim, its requests' key claims, events, key answers and log
        entries, with `apply`'s rules; a refusal refuses its own request only (`receiver.store.batch`).
        """
        ...

    async def customer(self, customer_id: str) -> CustomerSnapshot | None: ...

    async def events(self, customer_id: str, *, offset: int, limit: int) -> tuple[list[StoredEvent], int] | None:
        """A page of the customer's history (oldest first) and the total count; None if unknown."""
        ...

    async def customer_count(self) -> int: ...

    async def holding(self, name: str) -> list[tuple[str, Any]]:
        """Every customer holding `name` in its profile or attributes, oldest first: (ID, value)."""
        ...

    async def event_count(self) -> int:
        """How many events were ever accepted: a cheap way to see that a refusal wrote nothing."""
        ...

    # --- idempotency keys and seen messages ------------------------------------------------

    async def idempotency_begin(self, key: str, fingerprint: str, *, ttl: float, lease: float) -> IdempotencyClaim:
        """Reserve `key` for `lease` seconds (one caller wins), or say why not; answers live `ttl` seconds."""
        ...

    async def idempotency_finish(self, key: str, response: StoredResponse) -> None:
        """Store the answer of a reserved key whose request wrote nothing (a refusal)."""
        ...

    async def idempotency_release(self, key: str) -> None:
        """Forget a reservation whose processing failed, so a retry runs afresh."""
        ...

    async def first_time(self, message_id: str, *, window: float) -> bool:
        """Claim `message_id` for `window` seconds; False when it was already claimed within it."""
        ...

    async def forget_message(self, message_id: str) -> None:
        """Unclaim `message_id`: its processing did not finish (the store was down), so the
        sender's retry must run it again rather than be dropped as a duplicate."""
        ...

    # --- logs --------------------------------------------------------------------------------

    async def log_add(self, kind: LogKind, entries: Sequence[NewLogEntry]) -> list[LogEntry]:
        """Append entries (one transaction); old ones go by age and count as the settings say."""
        ...

    async def log_query(self, kind: LogKind, where: LogFilter, *, limit: int, cursor: int | None) -> LogPage:
        """Matching entries, newest first, older than `cursor` (a `seq` from a previous page)."""
        ...

    async def log_count(self, kind: LogKind, where: LogFilter) -> int: ...

    async def log_forget(self, kind: LogKind, where: LogFilter) -> int:
        """Delete the matching entries (a test run's reset); how many went."""
        ...

    async def log_sources(self, kind: LogKind) -> dict[str, datetime]:
        """The newest kept entry's time per `source` (entries without a source are left out)."""
        ...

    # --- the outbox --------------------------------------------------------------------------

    async def outbox_put(self, items: Sequence[OutboxItem]) -> None:
        """Queue items outside a commit (messages that are not about an event)."""
        ...

    async def outbox_claim(self, limit: int, *, lease: float) -> list[OutboxRow]:
        """The oldest unclaimed rows, claimed for `lease` seconds; no two callers get the same row."""
        ...

    async def outbox_extend(self, seqs: Sequence[int], *, lease: float) -> None: ...

    async def outbox_done(self, seqs: Sequence[int]) -> None:
        """Remove rows that reached their end (sent, refused or given up)."""
        ...

    async def outbox_release(self, seqs: Sequence[int]) -> None:
        """Give claimed rows back unsent (they are claimed again at once)."""
        ...

    async def outbox_pending(self) -> int: ...
