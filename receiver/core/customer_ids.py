"""Customer ID mapping, inbound: the webhook's `customer` may be an external ID held in an attribute.

Antavo's module settings name the attribute ("Customer ID mapping"); the same setting picks
Segment's `userId` outbound (`outbound.user_id_attribute`). With it set, an inbound event's
customer is looked up in the store's external-ID index; the first event for an unknown
external ID claims a fresh internal ID (`cus_…`) for it, atomically, so concurrent first
events end up on one customer. The decision the store runs is wrapped so the customer holds
the external ID in that attribute, always: an event cannot move a customer off its own ID.

When the mapping is set to an attribute, the customers already holding it are indexed first
(`use_attribute`), and only then does the webhook read IDs as external ones: a customer
created earlier under its Antavo ID with `crm_id: X` is found by `X`, never duplicated. Two
customers holding one value cannot both own it: the oldest does, and the others are reported
(`conflicts`, the log, the settings page). Unset, the event's `customer` is the internal ID,
as before; the index is kept, so switching the mapping back on finds the same customers.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, replace
from typing import Any, Protocol, runtime_checkable

from receiver.ids import random_id
from receiver.store.config_state import ConfigState
from receiver.store.contract import Change, CustomerSnapshot, CustomerView, Decision, LoyaltyStore

logger = logging.getLogger(__name__)
INTERNAL_PREFIX = "cus_"


def new_internal_id() -> str:
    """An internal customer ID no external ID is likely to collide with."""
    return random_id(INTERNAL_PREFIX)


@runtime_checkable
class HoldingScan(Protocol):
    """A store that lists the customers holding an attribute (to index them when the mapping is set)."""

    async def holding(self, name: str) -> list[tuple[str, Any]]: ...


@dataclass(frozen=True)
class Resolved:
    """Whom an event is for: the internal ID, the external ID it was sent as (or None), and what to run."""

    customer: str
    external: str | None
    decide: Decision


@dataclass(frozen=True)
class Conflict:
    """A customer holding an external ID that another (older) customer owns: events for it go to the owner."""

    attribute: str
    external_id: str
    customer: str
    owner: str


class CustomerIds:
    """Resolves inbound customer IDs and finds customers by either ID, per the current mapping."""

    def __init__(
        self,
        state: ConfigState,
        store: LoyaltyStore,
        refresh: Callable[[], Awaitable[Any]],
        profile_fields: Collection[str] = (),
    ) -> None:
        self._state = state
        self._store = store
        self._refresh = refresh
        self._profile_fields = frozenset(profile_fields)
        self.attribute: str | None = None
        """The attribute in use: set by `use_attribute` once the customers holding it are indexed."""
        self.conflicts: list[Conflict] = []
        self.indexed = 0
        """How many existing customers the last `use_attribute` indexed (or found indexed)."""
        self.scannable = isinstance(store, HoldingScan)

    async def use_attribute(self, attribute: str | None) -> None:
        """Switch the mapping to `attribute`, indexing the customers that already hold it first."""
        if attribute == self.attribute:
            return
        if attribute is not None and isinstance(self._store, HoldingScan):
            self.conflicts, self.indexed = await self._index(self._store, attribute)
        else:
            self.conflicts, self.indexed = [], 0
        self.attribute = attribute

    async def _index(self, store: HoldingScan, attribute: str) -> tuple[list[Conflict], int]:
        conflicts: list[Conflict] = []
        indexed = 0
        for customer, value in await store.holding(attribute):
            if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
                continue
            external = str(value)
            owner = await self._state.claim_external_id(attribute, external, customer)
            if owner == customer:
                indexed += 1
                continue
            conflicts.append(Conflict(attribute, external, customer, owner))
            logger.warning(
                "customers %s and %s both hold %s=%s: events for it go to %s", owner, customer, attribute, value, owner
            )
        return conflicts, indexed

    async def resolve(self, given: str, decide: Decision) -> Resolved:
        """The internal customer an event for `given` goes to, claiming one for a new external ID."""
        await self._refresh()
        attribute = self.attribute
        if attribute is None:
            return Resolved(given, None, decide)
        owner = await self._state.external_id_owner(attribute, given)
        if owner is None:
            owner = await self._state.claim_external_id(attribute, given, new_internal_id())
        in_profile = attribute in self._profile_fields

        def holding(view: CustomerView) -> Change:
            change = decide(view)
            if in_profile:
                return replace(change, profile={**change.profile, attribute: given})
            return replace(change, attributes={**change.attributes, attribute: given})

        return Resolved(owner, given, holding)

    async def find(self, customer_id: str) -> CustomerSnapshot | None:
        """A customer by its internal ID, or by the external ID the current mapping names."""
        found = await self._store.customer(customer_id)
        if found is not None:
            return found
        internal = await self.internal_id(customer_id)
        return await self._store.customer(internal) if internal is not None else None

    async def internal_id(self, customer_id: str) -> str | None:
        """The internal ID for an ID that is either one: itself if the store knows it, else the index's."""
        if await self._store.customer(customer_id) is not None:
            return customer_id
        await self._refresh()
        attribute = self.attribute
        return await self._state.external_id_owner(attribute, customer_id) if attribute else None

    async def external_ids(self, customer_id: str) -> dict[str, str]:
        return await self._state.external_ids_of(customer_id)
