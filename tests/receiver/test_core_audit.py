"""`receiver.core.audit`: the masked diff every audited change uses, and who a page session acts as."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from receiver.core.audit import API_KEY_ACTOR, Actor, changes_between, page_actor
from receiver.store.audit import FieldChange

values = st.none() | st.integers(-3, 3) | st.text(max_size=12) | st.lists(st.integers(0, 2), max_size=2)


def test_the_diff_names_each_changed_key_in_order_and_masks_secrets():
    before = {"region": "us", "write_key": "old-key-00001111", "events": ["a"], "same": 1}
    after = {"region": "eu", "write_key": "new-key-00002222", "events": ["a"], "same": 1, "new": True}
    assert changes_between(before, after, {"write_key"}) == (
        FieldChange("region", "us", "eu"),
        FieldChange("write_key", "set (…1111)", "set (…2222)"),
        FieldChange("new", None, True),
    )
    assert changes_between({"write_key": None}, {"write_key": "short"}, {"write_key"}) == (
        FieldChange("write_key", "not set", "set"),
    )
    assert changes_between(after, after, {"write_key"}) == ()


@given(st.dictionaries(st.sampled_from("abcde"), values), st.dictionaries(st.sampled_from("abcde"), values))
def test_no_secret_value_ever_reaches_a_change(before: dict[str, Any], after: dict[str, Any]):
    secret = {"b", "d"}
    found = changes_between(before, after, secret)
    assert {c.field for c in found} == {k for k in {*before, *after} if before.get(k) != after.get(k)}
    for change in found:
        if change.field in secret:
            assert change.before in ("not set", "set") or str(change.before).startswith("set (…")
            assert change.after in ("not set", "set") or str(change.after).startswith("set (…")
            assert len(str(change.before)) <= 12 and len(str(change.after)) <= 12


def test_a_session_acts_as_its_user_or_the_api_key():
    assert page_actor(None, "admin", "10.0.0.2") == Actor(API_KEY_ACTOR, "admin", "10.0.0.2")
    assert page_actor("ann", "auditor", None) == Actor("ann", "auditor", None)
