"""The audit chain on every backend (memory, SQLite, PostgreSQL): appends, filters, verify, concurrency, prune."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import config_states
import pytest
from config_states import Backend

from receiver.store.audit import GENESIS, AuditEntry, AuditFilter, ChainMark, FieldChange, verify
from receiver.store.config_state import ConfigState, StoredMapping
from receiver.store.memory.config_state import MemoryConfigState

backend = config_states.backend
T0 = datetime(2026, 12, 1, 9, 0, 0, 123456, tzinfo=UTC)


def _entry(n: int, actor: str = "ann", action: str = "replay", at: datetime | None = None) -> AuditEntry:
    changes = (FieldChange("outbound.write_key", "not set", "set (…abcd)"), FieldChange("n", [n], {"é": None}))
    when = at or T0 + timedelta(minutes=n)
    return AuditEntry(when, actor, action, f"entry {n}", changes, "editor", "10.0.0.1", f"msg-{n}")


def test_appends_link_one_chain_that_reads_back_exactly_and_verifies(backend: Backend):
    async def body(state: ConfigState) -> None:
        empty = await state.audit_chain()
        assert empty.records == () and verify(empty) == [] and empty.head == ChainMark(0, GENESIS)
        first = await state.append_audit(_entry(1))
        await state.save_settings({"a": 1}, _entry(2, action="settings.save"))
        await state.save_mapping(StoredMapping("m", "name: m\n"), _entry(3, action="mapping.create"))
        await state.delete_mapping("m", _entry(4, action="mapping.delete"))
        chain = await state.audit_chain()
        assert [r.seq for r in chain.records] == [1, 2, 3, 4]
        assert first.prev_hash == GENESIS and chain.records[0] == first
        assert [r.prev_hash for r in chain.records[1:]] == [r.hash for r in chain.records[:-1]]
        assert chain.head == ChainMark(4, chain.records[-1].hash) and chain.anchor == ChainMark(0, GENESIS)
        assert verify(chain) == []
        kept = chain.records[0].entry
        assert kept == _entry(1) and kept.at == T0 + timedelta(minutes=1), "read back to the microsecond"
        assert (kept.actor, kept.role, kept.address, kept.target) == ("ann", "editor", "10.0.0.1", "msg-1")

    backend.run(body)


def test_filters_by_actor_action_prefix_time_and_cursor_newest_first(backend: Backend):
    async def body(state: ConfigState) -> None:
        actions = ["mapping.create", "sign_in", "mapping.edit", "sign_in.failed", "mapping_x", "export"]
        for n, action in enumerate(actions, 1):
            await state.append_audit(_entry(n, "bob" if n % 2 else "ann", action))

        async def seqs(limit: int = 10, **filters: object) -> list[int]:
            return [r.seq for r in await state.audit(limit, AuditFilter(**filters))]  # type: ignore[arg-type]

        assert await seqs() == [6, 5, 4, 3, 2, 1] and await seqs(2) == [6, 5] and await seqs(0) == []
        assert await seqs(actor="ann") == [6, 4, 2]
        assert await seqs(action="mapping.") == [3, 1], "a prefix ends with a dot: mapping_x is not in it"
        assert await seqs(action="sign_in") == [2] and await seqs(action="sign_in.") == [4]
        assert await seqs(action="mapping.", actor="bob") == [3, 1]
        assert await seqs(since=T0 + timedelta(minutes=2), until=T0 + timedelta(minutes=4)) == [3, 2]
        assert await seqs(2, cursor=5) == [4, 3] and await seqs(2, cursor=3) == [2, 1] and await seqs(cursor=1) == []

    backend.run(body)


def test_two_instances_appending_at_once_form_one_valid_chain(backend: Backend):
    async def body(one: ConfigState, two: ConfigState) -> None:
        async def writer(state: ConfigState, who: str) -> None:
            for n in range(15):
                if n % 3 == 0:
                    await state.save_settings({who: n}, _entry(n, who, "settings.save"))
                else:
                    await state.append_audit(_entry(n, who))

        await asyncio.gather(writer(one, "ann"), writer(two, "bob"), writer(one, "cy"), writer(two, "dee"))
        for state in (one, two):
            chain = await state.audit_chain()
            assert [r.seq for r in chain.records] == list(range(1, 61))
            assert verify(chain) == []
            assert sorted(r.entry.actor for r in chain.records).count("bob") == 15

    backend.run(body, instances=2)


def test_prune_removes_the_oldest_run_moves_the_anchor_and_still_verifies(backend: Backend):
    async def body(state: ConfigState) -> None:
        for n in (1, 2, 3, 9, 4, 5):  # seq 4 is newer than the cutoff: it and what follows it stay
            await state.append_audit(_entry(n))
        before = await state.audit_chain()
        assert await state.audit_prune(T0 + timedelta(minutes=4, seconds=30)) == 3
        chain = await state.audit_chain()
        assert [r.seq for r in chain.records] == [4, 5, 6]
        assert chain.anchor == ChainMark(3, before.records[2].hash) and chain.head == before.head
        assert verify(chain) == []
        assert await state.audit_prune(T0) == 0
        await state.append_audit(_entry(10))
        assert verify(await state.audit_chain()) == []
        assert await state.audit_prune(T0 + timedelta(days=1)) == 4
        emptied = await state.audit_chain()
        assert emptied.records == () and emptied.anchor == emptied.head and verify(emptied) == []
        after = await state.append_audit(_entry(11))
        assert after.seq == 8 and after.prev_hash == emptied.head.hash
        assert verify(await state.audit_chain()) == []

    backend.run(body)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_a_changed_row_a_removed_middle_row_and_a_removed_newest_row_are_found(backend: Backend):
    from sqlalchemy import delete, update

    from receiver.store.sql.config_state import SqlConfigState
    from receiver.store.sql.config_tables import audit_records

    async def body(state: ConfigState) -> None:
        assert isinstance(state, SqlConfigState)
        for n in range(1, 7):
            await state.append_audit(_entry(n))
        async with state.engine.begin() as conn:
            await conn.execute(update(audit_records).where(audit_records.c.seq == 2).values(what="nothing happened"))
            await conn.execute(delete(audit_records).where(audit_records.c.seq.in_([4, 6])))
        found = [(p.seq, p.kind) for p in verify(await state.audit_chain())]
        assert found == [(2, "changed"), (4, "missing"), (6, "missing")]

    backend.run(body)


def test_the_memory_trail_stays_bounded_and_keeps_verifying():
    async def main() -> None:
        state = MemoryConfigState(audit_keep=5)
        for n in range(1, 13):
            await state.append_audit(_entry(n))
        chain = await state.audit_chain()
        assert [r.seq for r in chain.records] == [8, 9, 10, 11, 12] and chain.anchor.seq == 7
        assert verify(chain) == []

    asyncio.run(main())


def test_awkward_values_read_back_as_hashed_on_every_backend(backend: Backend):
    """Numbers a database could re-spell, NUL and lone surrogates: stored and read back, the chain still verifies."""
    odd = AuditEntry(
        T0,
        "ann\x00",
        "mapping.edit",
        "what \ud800 \x00",
        (FieldChange("n", 1e16, 0.1), FieldChange("s", "\x00\ud800", [1.0, 2**62, -0.0, {"z": 1, "a": None}])),
        target="t\x00",
    )

    async def body(state: ConfigState) -> None:
        appended = await state.append_audit(odd)
        kept = (await state.audit(1))[0]
        assert kept == appended and kept.entry.actor == "ann\ufffd" and kept.entry.what == "what ? \ufffd"
        assert kept.entry.changes[0].before == 1e16 and kept.entry.changes[1].before == "\x00\ud800"
        assert verify(await state.audit_chain()) == []

    backend.run(body)
