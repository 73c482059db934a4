"""The periodic retention sweep: a quiet receiver's logs are freed too, and the audit trail is pruned.

Each store already sweeps every `SWEEP_EVERY` writes; a receiver that receives little would
keep what retention says is gone (reads never show it, but it holds room). So once an hour
(`SWEEP_SECONDS`) this task asks the store to sweep now and prunes the audit trail past
`audit_days`, through `prune_audit`, the one place that prunes it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from receiver.periodic import Periodic
from receiver.store.config_state import ConfigState
from receiver.store.contract import LoyaltyStore
from receiver.store.retention import Retention

SWEEP_SECONDS = 3600.0


async def prune_audit(state: ConfigState, older_than: datetime) -> int:
    """Prune the audit trail's entries older than `older_than`: the one place that does; how many went.

    `ConfigState.audit_prune` moves the chain's anchor with what it removes, so the kept chain still
    verifies (`antavo-actions audit verify`).
    """
    return await state.audit_prune(older_than)


class RetentionTask:
    """Every `every` seconds: the store's retention sweep, then the audit trail's pruning."""

    def __init__(
        self,
        store: LoyaltyStore,
        state: ConfigState,
        retention: Retention,
        *,
        every: float = SWEEP_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store, self._state, self._retention = store, state, retention
        self._clock = clock
        failed = "the retention sweep failed (the reads stay right)"
        self._loop = Periodic("antavo-retention", every, self.run_once, failed=failed)

    async def run_once(self) -> int:
        """One sweep of the store and one pruning of the audit trail; how many audit entries went."""
        await self._store.retention_sweep()
        cutoff = self._retention.audit_cutoff(self._clock())
        return 0 if cutoff is None else await prune_audit(self._state, cutoff)

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()
