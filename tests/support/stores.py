"""Store URLs for tests: a migrated SQLite file, and the helpers the contract suite shares."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from receiver.store.contract import CustomerSnapshot, Decision, LoyaltyStore, StoredEvent
from receiver.store.sql.migrate import upgrade


def migrate(url: str) -> str:
    """Bring the database at `url` to the code's schema (as `antavo-actions db upgrade` does); the URL.

    On its own thread, so a caller with a running event loop (Playwright's sync API) can use it too."""
    with ThreadPoolExecutor(max_workers=1) as worker:
        worker.submit(asyncio.run, upgrade(url)).result(timeout=120)
    return url


def sqlite_url(path: Path) -> str:
    """A fresh, migrated SQLite database in `path`."""
    return migrate(f"sqlite:///{path}")


def apply_sync(store: LoyaltyStore, customer_id: str, decide: Decision) -> StoredEvent:
    """`store.apply` from synchronous test code (stores whose connections are not tied to a loop)."""
    return asyncio.run(store.apply(customer_id, decide))


def customer_sync(store: LoyaltyStore, customer_id: str) -> CustomerSnapshot | None:
    return asyncio.run(store.customer(customer_id))
