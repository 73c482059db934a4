"""The messages Antavo's Segment source sends, built from what the store committed.

An accepted event whose action is in *Event sync* becomes a `track` call (`event` = the
action, `properties` = the event data, with the points it moved when the data does not say);
a commit that changed an attribute in *Customer fields sync* becomes an `identify` call whose
`traits` hold only the synced attributes it changed. Every message carries the customer's
Segment `userId` (per the customer ID mapping), the event's time, a `messageId` derived from
the stored event (so a re-send of the same event is deduplicated by Segment), and an
`integrations` object turning off the Antavo destination and the Salesforce destinations,
as Antavo's own source does, so nothing loops back into Antavo. With `outbound.hash_pii` on, the
values of members the tracking plan marks `pii` go out as their SHA-256 (`destination.plan.pii`).

`OutboundSync` is the store's outbox source (the messages are queued in the commit's own
transaction); `Outbound` bundles the outbound log and the outbox sender.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from destination.definition.model import Definition
from destination.js.time import iso_string
from destination.plan.pii import PiiFields, hash_members
from receiver.config import ReceiverConfig
from receiver.config.outbound import MAX_MESSAGE_BYTES, OutboundConfig
from receiver.core.loyalty import POINTS
from receiver.logs.stored import StoredLog
from receiver.outbound.outbox import Outbox
from receiver.store.contract import CustomerSnapshot, LoyaltyStore, OutboxItem, StoredEvent

TRACK, IDENTIFY = "track", "identify"
SALESFORCE_DESTINATIONS = ("Salesforce (Actions)", "Salesforce Marketing Cloud (Actions)")
"""Destinations Antavo's source turns off besides its own (Antavo syncs Salesforce directly)."""
NO_USER_ID = "NO_USER_ID"
PiiSource = Callable[[], PiiFields]
"""The tracking plan's personal data as it is now (`receiver.ingest.plan_gate.PlanPii.current`)."""


def source_integrations(definition: Definition) -> dict[str, bool]:
    """The `integrations` object on every outbound message: the destination itself is off (no loop)."""
    return {definition.name: False, **{name: False for name in SALESFORCE_DESTINATIONS}}


@dataclass(frozen=True)
class Outgoing:
    """One message to send, and the store's customer it is about (for the outbound log)."""

    customer_id: str
    message: dict[str, Any]


@dataclass(frozen=True)
class Unsendable:
    """A message that cannot be sent (no `userId`): logged as refused, never dropped silently."""

    customer_id: str
    message: dict[str, Any]
    code: str
    reason: str


class MessageBuilder:
    """Turns one commit into the `track` / `identify` messages the settings select."""

    def __init__(self, settings: OutboundConfig, integrations: Mapping[str, Any], pii: PiiSource | None = None) -> None:
        self._events = frozenset(settings.events)
        self._pii = pii if settings.hash_pii else None
        self._fields = tuple(settings.customer_fields)
        self._user_id_attribute = settings.user_id_attribute
        self._integrations = dict(integrations)

    def build(
        self, customer: CustomerSnapshot, event: StoredEvent, changed: Mapping[str, Any]
    ) -> list[Outgoing | Unsendable]:
        messages: list[dict[str, Any]] = []
        if event.action in self._events:
            properties = dict(event.data)
            if event.points and POINTS not in properties:
                properties[POINTS] = event.points
            messages.append({"type": TRACK, "event": event.action, "properties": properties})
        traits = {name: changed[name] for name in self._fields if name in changed}
        if traits:
            messages.append({"type": IDENTIFY, "traits": traits})
        if not messages:
            return []
        if self._pii is not None:
            fields = self._pii()
            for message in messages:
                section = "properties" if message["type"] == TRACK else "traits"
                message[section] = hash_members(message[section], fields)
        user_id = self.user_id(customer)
        built: list[Outgoing | Unsendable] = []
        for message in messages:
            message.update(
                userId=user_id,
                timestamp=iso_string(event.received_at),
                messageId=f"{event.id}-{message['type']}",
                integrations=dict(self._integrations),
            )
            if user_id is None:
                del message["userId"]
                reason = f"The customer has no '{self._user_id_attribute}' attribute to send as the Segment userId."
                built.append(Unsendable(customer.id, message, NO_USER_ID, reason))
            else:
                built.append(Outgoing(customer.id, message))
        return built

    def user_id(self, customer: CustomerSnapshot) -> str | None:
        """The customer's own ID, or the external ID in the mapped attribute (None when it has none)."""
        name = self._user_id_attribute
        if name is None:
            return customer.id
        value = customer.attributes.get(name, customer.profile.get(name))
        if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
            return None
        return str(value)


class OutboundSync:
    """The store's outbox source: each commit's messages, queued in the commit's own transaction.

    It runs inside the store's write transaction, so it only builds messages; a message too
    large for Segment or without a userId is queued as a refusal, to be logged by the sender.
    """

    def __init__(self, builder: MessageBuilder) -> None:
        self.builder = builder
        """Swapped when settings are saved on `/settings` (the next commit uses the new one)."""

    def items(self, customer: CustomerSnapshot, event: StoredEvent, changed: Mapping[str, Any]) -> list[OutboxItem]:
        return [
            outbox_item(built.customer_id, built.message, (built.code, built.reason))
            if isinstance(built, Unsendable)
            else outbox_item(built.customer_id, built.message)
            for built in self.builder.build(customer, event, changed)
        ]


def outbox_item(customer_id: str, message: dict[str, Any], refusal: tuple[str, str] | None = None) -> OutboxItem:
    """A message as the outbox keeps it; one too large for Segment is queued as a refusal (to be logged)."""
    if refusal is None and len(orjson.dumps(message)) > MAX_MESSAGE_BYTES:
        refusal = ("MESSAGE_TOO_LARGE", f"The message is larger than {MAX_MESSAGE_BYTES} bytes.")
    kind = message.get("type")
    return OutboxItem(
        customer_id=customer_id,
        message_id=str(message.get("messageId", "")),
        event_type=kind if isinstance(kind, str) else None,
        message=message,
        refusal=refusal,
    )


@dataclass
class Outbound:
    """The outbound side of one app: its log, and its outbox sender when a write key is set."""

    log: StoredLog
    outbox: Outbox | None
    store: LoyaltyStore | None = None
    sync: OutboundSync | None = None
    running: bool = False
    integrations: dict[str, bool] = field(default_factory=dict)
    """The `integrations` object every outbound message carries (see `source_integrations`)."""
    pii: PiiSource | None = None

    async def start(self) -> None:
        self.running = True
        if self.outbox is not None:
            await self.outbox.start()

    async def stop(self) -> None:
        """Flush the outbox (bounded); what is left is logged (memory) or kept for the next start (durable)."""
        self.running = False
        if self.outbox is not None:
            await self.outbox.stop()

    async def reconfigure(self, settings: OutboundConfig) -> None:
        """Apply new outbound settings to the running app: the next commit and the next batch use them.

        A first write key starts an outbox sender; removing it stops the sender (and commits stop
        queueing messages); what is already queued stays in the store.
        """
        builder = MessageBuilder(settings, self.integrations, self.pii)
        if self.sync is not None:
            self.sync.builder = builder
        if not settings.enabled:
            outbox, self.outbox = self.outbox, None
            if self.store is not None:
                self.store.set_outbox_source(None)
            if outbox is not None and self.running:
                await outbox.stop()
            return
        if self.outbox is not None:
            self.outbox.reconfigure(settings)
            return
        if self.store is None:
            return
        self.outbox = Outbox(settings, self.store, self.log)
        self.sync = self.sync or OutboundSync(builder)
        self.store.set_outbox_source(self.sync, self.outbox.signal)
        if self.running:
            await self.outbox.start()


def build_outbound(
    config: ReceiverConfig, store: LoyaltyStore, definition: Definition, pii: PiiSource | None = None
) -> Outbound:
    """The outbound log (always), and the outbox fed by the store commits when outbound is on; `pii`
    names what `outbound.hash_pii` hashes."""
    log = StoredLog(store, "outbound")
    settings = config.outbound
    if not settings.enabled:
        return Outbound(log, None, store, integrations=source_integrations(definition), pii=pii)
    outbox = Outbox(settings, store, log)
    integrations = source_integrations(definition)
    sync = OutboundSync(MessageBuilder(settings, integrations, pii))
    store.set_outbox_source(sync, outbox.signal)
    return Outbound(log, outbox, store, sync, integrations=integrations, pii=pii)
