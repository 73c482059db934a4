"""The messages Antavo's Segment source sends, built from what the store committed.

An accepted event whose action is in *Event sync* becomes a `track` call (`event` = the
action, `properties` = the event data, with the points it moved when the data does not say);
a commit that changed an attribute in *Customer fields sync* becomes an `identify` call whose
`traits` hold only the synced attributes it changed. Every message carries the customer's
Segment `userId` (per the customer ID mapping), the event's time, a `messageId` derived from
the stored event (so a re-send of the same event is deduplicated by Segment), and an
`integrations` object turning off the Antavo destination and the Salesforce destinations,
as Antavo's own source does, so nothing loops back into Antavo.

`OutboundSync` is the store observer that hands these messages to the outbox; `Outbound`
bundles the outbound log, the outbox and the app lifespan that runs it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI

from destination.definition.model import Definition
from destination.js.time import iso_string
from receiver.config import ReceiverConfig
from receiver.config.outbound import OutboundConfig
from receiver.core.loyalty import POINTS
from receiver.logs.outbound import OutboundLog
from receiver.logs.ring import bounded_log
from receiver.outbound.outbox import Outbox
from receiver.store.memory import CustomerSnapshot, LoyaltyStore, StoredEvent

TRACK, IDENTIFY = "track", "identify"
SALESFORCE_DESTINATIONS = ("Salesforce (Actions)", "Salesforce Marketing Cloud (Actions)")
"""Destinations Antavo's source turns off besides its own (Antavo syncs Salesforce directly)."""
NO_USER_ID = "NO_USER_ID"


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

    def __init__(self, settings: OutboundConfig, integrations: Mapping[str, Any]) -> None:
        self._events = frozenset(settings.events)
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
    """The store observer: each commit's messages go to the outbox (quickly, under the store's lock).

    Its builder and outbox can be swapped while the app runs (settings saved on `/settings`);
    with no outbox (no write key), commits are not turned into messages at all.
    """

    def __init__(self, builder: MessageBuilder, outbox: Outbox | None) -> None:
        self.builder = builder
        self.outbox = outbox

    def committed(self, customer: CustomerSnapshot, event: StoredEvent, changed: Mapping[str, Any]) -> None:
        outbox = self.outbox
        if outbox is None:
            return
        for item in self.builder.build(customer, event, changed):
            if isinstance(item, Unsendable):
                outbox.refuse(item.message, customer_id=item.customer_id, code=item.code, reason=item.reason)
            else:
                outbox.offer(item.message, customer_id=item.customer_id)


@dataclass
class Outbound:
    """The outbound side of one app: its log, and its outbox when a write key is set."""

    log: OutboundLog
    outbox: Outbox | None
    store: LoyaltyStore | None = None
    sync: OutboundSync | None = None
    running: bool = False
    integrations: dict[str, bool] = field(default_factory=dict)
    """The `integrations` object every outbound message carries (see `source_integrations`)."""

    def lifespan(self) -> Callable[[FastAPI], Any]:
        """Start the outbox with the app; on shutdown flush it (bounded) and log what is left."""

        @asynccontextmanager
        async def run(_app: FastAPI) -> AsyncIterator[None]:
            if self.outbox is not None:
                await self.outbox.start()
            self.running = True
            try:
                yield
            finally:
                self.running = False
                if self.outbox is not None:
                    await self.outbox.stop()

        return run

    async def reconfigure(self, settings: OutboundConfig) -> None:
        """Apply new outbound settings to the running app: the next commit and the next batch use them.

        A first write key starts an outbox; removing it stops the outbox (flushing what is queued).
        """
        builder = MessageBuilder(settings, self.integrations)
        if self.sync is not None:
            self.sync.builder = builder
        if not settings.enabled:
            outbox, self.outbox = self.outbox, None
            if self.sync is not None:
                self.sync.outbox = None
            if outbox is not None and self.running:
                await outbox.stop()
            return
        if self.outbox is not None:
            self.outbox.reconfigure(settings)
            return
        self.outbox = Outbox(settings, self.log)
        if self.running:
            await self.outbox.start()
        if self.sync is None:
            self.sync = OutboundSync(builder, self.outbox)
            if self.store is not None:
                self.store.subscribe(self.sync)
        else:
            self.sync.outbox = self.outbox


def build_outbound(config: ReceiverConfig, store: LoyaltyStore, definition: Definition) -> Outbound:
    """The outbound log (always), and the outbox subscribed to the store when outbound is on."""
    log = bounded_log(config, OutboundLog)
    settings = config.outbound
    if not settings.enabled:
        return Outbound(log, None, store, integrations=source_integrations(definition))
    outbox = Outbox(settings, log)
    integrations = source_integrations(definition)
    sync = OutboundSync(MessageBuilder(settings, integrations), outbox)
    store.subscribe(sync)
    return Outbound(log, outbox, store, sync, integrations=integrations)
