"""The loyalty store: the contract (`contract`), and its backends chosen by one URL (`make_store`)."""

from __future__ import annotations

from receiver.store.contract import LoyaltyStore
from receiver.store.limits import StoreLimits
from receiver.store.memory.store import MemoryStore


def make_store(
    url: str, limits: StoreLimits | None = None, *, pool_size: int = 5, timeout: float = 5.0
) -> LoyaltyStore:
    """The backend the URL names: `memory://`, `sqlite:///file.db` or `postgresql://…`.

    The SQL backends are imported only when asked for, so the memory store needs no driver.
    """
    if url.startswith("memory:"):
        return MemoryStore(limits)
    from receiver.store.sql.engine import EngineSettings
    from receiver.store.sql.store import SqlStore

    engine = EngineSettings(pool_size=pool_size, connect_timeout=timeout)
    return SqlStore(url, limits, engine)
