"""What the inspection routes and the customer page read: a customer and their history.

The routes reach the store only through here (an import contract says so), so a new store
backend changes nothing above the core, and "no such customer" is decided in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from receiver.store.memory import CustomerSnapshot, LoyaltyStore, StoredEvent


@dataclass(frozen=True)
class History:
    """One page of a customer's events, oldest first, and how many there are in all."""

    events: list[StoredEvent]
    total: int


class Customers:
    """Read-only views of the store for one app."""

    def __init__(self, store: LoyaltyStore) -> None:
        self._store = store

    async def profile(self, customer_id: str) -> CustomerSnapshot | None:
        """The customer's profile, membership and balances; None when there is no such customer."""
        return await self._store.customer(customer_id)

    async def history(self, customer_id: str, *, offset: int, limit: int) -> History | None:
        """A window of the customer's events; None when there is no such customer."""
        found = await self._store.events(customer_id, offset=offset, limit=limit)
        return None if found is None else History(*found)

    async def count(self) -> int:
        """How many customers the store holds (the metrics' store size)."""
        return await self._store.customer_count()
