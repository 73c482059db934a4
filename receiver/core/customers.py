"""What the inspection routes and the customer page read: a customer and their history.

The routes reach the store only through here (an import contract says so), so a new store
backend changes nothing above the core, and "no such customer" is decided in one place. A
customer is found by either ID: the store's own, or the external ID the Customer ID mapping
names (see `core.customer_ids`).
"""

from __future__ import annotations

from dataclasses import dataclass

from receiver.core.customer_ids import CustomerIds
from receiver.store.contract import CustomerSnapshot, LoyaltyStore, StoredEvent

__all__ = ["Customers", "History", "StoredEvent"]


@dataclass(frozen=True)
class History:
    """One page of a customer's events, oldest first, and how many there are in all."""

    events: list[StoredEvent]
    total: int


class Customers:
    """Read-only views of the store for one app."""

    def __init__(self, store: LoyaltyStore, ids: CustomerIds | None = None) -> None:
        self._store = store
        self._ids = ids

    async def profile(self, customer_id: str) -> CustomerSnapshot | None:
        """The customer's profile, membership and balances; None when there is no such customer."""
        if self._ids is not None:
            return await self._ids.find(customer_id)
        return await self._store.customer(customer_id)

    async def history(self, customer_id: str, *, offset: int, limit: int) -> History | None:
        """A window of the customer's events; None when there is no such customer."""
        internal = await self._ids.internal_id(customer_id) if self._ids is not None else customer_id
        found = await self._store.events(internal, offset=offset, limit=limit) if internal is not None else None
        return None if found is None else History(*found)

    async def count(self) -> int:
        """How many customers the store holds (the metrics' store size)."""
        return await self._store.customer_count()

    async def external_ids(self, customer_id: str) -> dict[str, str]:
        """The external IDs (by attribute) recorded for an internal customer ID."""
        return await self._ids.external_ids(customer_id) if self._ids is not None else {}
