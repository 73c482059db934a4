"""The loyalty store: the contract (`contract`), its backends chosen by one URL (`make_store`), and
what lives beside it on the same backend (`config_state_for`, `recent_messages_for`)."""

from __future__ import annotations

import weakref
from typing import Any

from receiver.store.config_state import ConfigState
from receiver.store.contract import LoyaltyStore
from receiver.store.limits import StoreLimits
from receiver.store.memory.config_state import MemoryConfigState
from receiver.store.memory.recent import MemoryRecentMessages
from receiver.store.memory.store import MemoryStore
from receiver.store.recent import RecentBounds, RecentMessages


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


def _engine_of(store: object) -> Any:
    """The database engine behind `store`, or None for the memory store: the one place the backend is asked."""
    return getattr(store, "engine", None)


def config_state_for(store: LoyaltyStore) -> ConfigState:
    """What the pages configure lives where the store does: on its database when it has one."""
    engine = _engine_of(store)
    if engine is None:
        return MemoryConfigState()
    from receiver.store.sql.config_state import SqlConfigState

    return SqlConfigState(engine, getattr(store, "read", None))


_IN_MEMORY: weakref.WeakKeyDictionary[object, MemoryRecentMessages] = weakref.WeakKeyDictionary()


def recent_messages_for(store: object, bounds: RecentBounds) -> RecentMessages:
    """Recent messages live where the store does: on its database when it has one, else beside the
    memory store object itself (one list per store, however many apps share it)."""
    engine = _engine_of(store)
    if engine is None:
        return _IN_MEMORY.setdefault(store, MemoryRecentMessages(bounds))
    from receiver.store.sql.recent import SqlRecentMessages

    return SqlRecentMessages(engine, bounds)
