"""The in-memory ConfigState: versions move on every save, the audit is newest first, external IDs are unique."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from receiver.store.config_state import AuditEntry, FieldChange, MemoryConfigState, StoredMapping


def _entry(what: str) -> AuditEntry:
    return AuditEntry(datetime.now(UTC), "session x", what, (FieldChange("f", None, 1),))


def test_settings_and_mappings_have_their_own_versions_and_one_audit_trail():
    async def run() -> None:
        state = MemoryConfigState()
        assert await state.settings() == (0, {})
        assert await state.save_settings({"outbound": {"region": "eu"}}, _entry("one")) == 1
        assert await state.settings() == (1, {"outbound": {"region": "eu"}})
        assert await state.mappings_version() == 0
        assert await state.save_mapping(StoredMapping("a", "name: a\n"), _entry("two")) == 1
        assert await state.delete_mapping("missing", _entry("nothing")) == 1
        assert await state.delete_mapping("a", _entry("three")) == 2
        assert [e.what for e in await state.audit(10)] == ["three", "two", "one"]
        assert [e.what for e in await state.audit(1)] == ["three"]

    asyncio.run(run())


@given(st.lists(st.sampled_from(["x1", "x2", "x3"]), min_size=1, max_size=40))
def test_every_claim_of_one_external_id_gets_the_first_owner(claims: list[str]):
    """However many claims race (interleaved on one loop), each external ID has exactly one owner."""

    async def run() -> None:
        state = MemoryConfigState()
        owners = await asyncio.gather(
            *(state.claim_external_id("crm_id", ext, f"cus_{i}") for i, ext in enumerate(claims))
        )
        first = {ext: f"cus_{claims.index(ext)}" for ext in claims}
        assert owners == [first[ext] for ext in claims]
        for ext, owner in first.items():
            assert await state.external_id_owner("crm_id", ext) == owner
            assert await state.external_ids_of(owner) == {"crm_id": ext}
        assert await state.external_id_owner("other", claims[0]) is None

    asyncio.run(run())
