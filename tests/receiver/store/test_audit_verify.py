"""`verify` on chains built by `link`: an intact chain has no problem, and any single field changed in any
record (entry, seq or hashes), any record removed, and a moved head or anchor are each found."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from receiver.store.audit import (
    START,
    AuditChain,
    AuditEntry,
    AuditRecord,
    ChainMark,
    FieldChange,
    canonical,
    link,
    mark,
    verify,
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)
texts = st.text(max_size=12)
optional = st.none() | texts
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC))
changes = st.builds(FieldChange, texts, json_values, json_values)
entries = st.builds(
    AuditEntry, moments, texts, texts, texts, st.lists(changes, max_size=3).map(tuple), optional, optional, optional
)


def _chain(items: list[AuditEntry], anchor: ChainMark = START) -> AuditChain:
    records, head = [], anchor
    for entry in items:
        record = link(head, entry)
        records.append(record)
        head = mark(record)
    return AuditChain(tuple(records), head, anchor)


def _other(value: Any, draw: Any) -> Any:
    """A value different from `value` (as the canonical form sees it)."""
    if isinstance(value, datetime):
        return value + timedelta(microseconds=draw(st.integers(1, 10**9)))
    if isinstance(value, int):
        return value + draw(st.integers(1, 5))
    if isinstance(value, str):
        return value + draw(st.text(min_size=1, max_size=3))
    return "changed"  # None


@st.composite
def tampered(draw: Any) -> tuple[AuditChain, int]:
    """An intact chain with one field of one record changed, and that record's seq."""
    chain = _chain(draw(st.lists(entries, min_size=1, max_size=6)))
    index = draw(st.integers(0, len(chain.records) - 1))
    record = chain.records[index]
    where = draw(
        st.sampled_from(
            ["seq", "prev_hash", "hash", "at", "actor", "action", "what", "role", "address", "target", "changes"]
        )
    )
    if where in ("seq", "prev_hash", "hash"):
        changed = replace(record, **{where: _other(getattr(record, where), draw)})
    elif where == "changes":
        extra = FieldChange("added", None, draw(json_values))
        dropped = record.entry.changes[:-1] if record.entry.changes else (extra,)
        changed = replace(record, entry=replace(record.entry, changes=dropped))
    else:
        changed = replace(record, entry=replace(record.entry, **{where: _other(getattr(record.entry, where), draw)}))
    records = list(chain.records)
    records[index] = changed
    return replace(chain, records=tuple(records)), record.seq


@settings(max_examples=200, deadline=None)
@given(st.lists(entries, max_size=6))
def test_a_chain_as_linked_verifies_and_its_canonical_form_is_stable(items: list[AuditEntry]):
    chain = _chain(items)
    assert verify(chain) == []
    assert [r.seq for r in chain.records] == list(range(1, len(items) + 1))
    for record in chain.records:
        assert canonical(record.seq, record.entry) == canonical(record.seq, link(START, record.entry).entry)


@settings(max_examples=400, deadline=None)
@given(tampered())
def test_any_single_field_changed_in_any_record_is_found_at_that_record(case: tuple[AuditChain, int]):
    chain, seq = case
    problems = verify(chain)
    assert problems, "a change went unnoticed"
    assert any(p.seq in (seq, seq + 1) for p in problems), problems


@settings(max_examples=200, deadline=None)
@given(st.lists(entries, min_size=2, max_size=6), st.data())
def test_any_removed_record_and_a_moved_head_or_anchor_are_found(items: list[AuditEntry], data: Any):
    chain = _chain(items, ChainMark(41, "a" * 64))
    index = data.draw(st.integers(0, len(chain.records) - 1))
    removed = chain.records[index]
    kept = chain.records[:index] + chain.records[index + 1 :]
    assert [(p.seq, p.kind) for p in verify(replace(chain, records=kept))] == [(removed.seq, "missing")]
    assert verify(replace(chain, anchor=ChainMark(41, "b" * 64)))[0].kind == "link"
    assert [p.kind for p in verify(replace(chain, head=ChainMark(chain.head.seq, "c" * 64)))] == ["head"]
    back = replace(chain, records=chain.records[:-1], head=mark(chain.records[-2]))
    assert verify(back) == [], (
        "only the head, kept apart, tells of a removed newest row: moved back with it, it is whole"
    )


def test_a_problem_names_its_seq_and_kind():
    chain = _chain([AuditEntry(datetime(2026, 1, 1, tzinfo=UTC), "ann", "sign_in", "Signed in")])
    forged = AuditRecord(
        1, replace(chain.records[0].entry, what="x"), chain.records[0].prev_hash, chain.records[0].hash
    )
    assert [str(p) for p in verify(replace(chain, records=(forged,)))] == [
        "seq 1: changed: its content does not match its hash"
    ]
