"""Customer ID mapping, inbound: the webhook's `customer` may be an external ID held in an attribute.

Antavo's module settings name the attribute ("Customer ID mapping"); the same setting picks
Segment's `userId` outbound (`outbound.user_id_attribute`). With it set, an inbound event's
customer is looked up in the store's external-ID index; the first event for an unknown
external ID claims a fresh internal ID (`cus_…`) for it, atomically, so concurrent first
events end up on one customer. The decision the store runs is wrapped so the customer holds
the external ID in that attribute, always: an event cannot move a customer off its own ID.

Unset, the event's `customer` is the internal ID, as before; the index is kept, so switching
the mapping back on finds the same customers.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, replace

from receiver.store.config_state import ConfigState
from receiver.store.memory import Change, CustomerSnapshot, CustomerView, Decision, LoyaltyStore

INTERNAL_PREFIX = "cus_"


def new_internal_id() -> str:
    """An internal customer ID no external ID is likely to collide with."""
    return f"{INTERNAL_PREFIX}{uuid.uuid4().hex}"


@dataclass(frozen=True)
class Resolved:
    """Whom an event is for: the internal ID, the external ID it was sent as (or None), and what to run."""

    customer: str
    external: str | None
    decide: Decision


class CustomerIds:
    """Resolves inbound customer IDs and finds customers by either ID, per the current mapping."""

    def __init__(
        self,
        state: ConfigState,
        store: LoyaltyStore,
        attribute: Callable[[], Awaitable[str | None]],
        profile_fields: Collection[str] = (),
    ) -> None:
        self._state = state
        self._store = store
        self._attribute = attribute
        self._profile_fields = frozenset(profile_fields)

    async def resolve(self, given: str, decide: Decision) -> Resolved:
        """The internal customer an event for `given` goes to, claiming one for a new external ID."""
        attribute = await self._attribute()
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
        attribute = await self._attribute()
        return await self._state.external_id_owner(attribute, customer_id) if attribute else None

    async def external_ids(self, customer_id: str) -> dict[str, str]:
        return await self._state.external_ids_of(customer_id)
