"""The pages' masking of personal data: no value under a PII member survives, at any depth, nor where
another part of the page quotes it; what is not PII, and the structure around it, stays."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from destination.delivery.impact import Entry, FieldChange, Impact, Kind
from destination.plan.model import parse_plan
from destination.plan.pii import PiiFields
from receiver.ingest.plan_gate import PlanGate, PlanPii
from receiver.live.impact import RECENT, ImpactRun
from receiver.pages.impact import impact_panel
from receiver.pages.pii import CLEAR, MASK, PII_HIDDEN, mask_values, masker

NAMES = {"email": "email", "phone": "phone", "first_name": "name"}
FIELDS = PiiFields({"traits.email": "email"}, NAMES)
plain_keys = st.text(alphabet="abcdefghij_", min_size=1, max_size=8).filter(lambda k: k not in NAMES)
plain_values = st.one_of(st.none(), st.booleans(), st.integers(-99, 99), st.text(alphabet="xyz ", max_size=6))
planted = st.uuids().map(lambda u: f"secret-{u.hex}")


@st.composite
def bodies(draw: st.DrawFn) -> tuple[object, list[str]]:
    """A nested JSON body with secrets planted under PII names at random depths, and the secrets."""
    secrets: list[str] = []

    def plant() -> object:
        secret = draw(planted)
        secrets.append(secret)
        return draw(st.sampled_from([secret, [secret, 1], {"inner": secret}]))

    def node(depth: int) -> object:
        if depth > 3 or draw(st.integers(0, 3)) == 0:
            return draw(plain_values)
        if draw(st.booleans()):
            return [node(depth + 1) for _ in range(draw(st.integers(0, 3)))]
        out: dict[str, object] = {key: node(depth + 1) for key in draw(st.lists(plain_keys, max_size=3, unique=True))}
        if draw(st.booleans()):
            out[draw(st.sampled_from(sorted(NAMES)))] = plant()
        return out

    body = {"type": "identify", "traits": node(0), "context": {"traits": {"email": plant()}}}
    return body, secrets


@given(bodies())
def test_no_planted_value_survives_masking(drawn: tuple[object, list[str]]) -> None:
    body, secrets = drawn
    quoted = {"message": f"'{secrets[0]}' is not a 'email'"}  # another part of the same page quotes it
    masked_body, masked_quote = mask_values(NAMES, body, quoted)
    text = json.dumps([masked_body, masked_quote])
    assert all(secret not in text for secret in secrets)
    assert masked_body["context"]["traits"]["email"] == MASK  # type: ignore[index]
    assert masked_quote == {"message": f"'{MASK}' is not a 'email'"}


@given(st.recursive(plain_values, lambda inner: st.lists(inner) | st.dictionaries(plain_keys, inner), max_leaves=20))
def test_a_body_without_pii_is_unchanged(body: object) -> None:
    assert mask_values(NAMES, body) == [body]


def test_the_structure_around_masked_values_stays() -> None:
    body = {"data": {"email": "a@b.example", "tier": "gold", "phone": None}, "items": [{"first_name": "Ann"}]}
    assert mask_values(NAMES, body) == [
        {"data": {"email": MASK, "tier": "gold", "phone": None}, "items": [{"first_name": MASK}]}
    ]


def test_a_masker_masks_only_for_who_may_not_see() -> None:
    body = {"email": "a@b.example"}
    hidden = masker(FIELDS, reveal_pii=False)
    assert hidden.one(body) == {"email": MASK} and hidden.notice == PII_HIDDEN
    shown = masker(FIELDS, reveal_pii=True)
    assert shown.one(body) == body and shown.notice is None
    assert masker(PiiFields(), reveal_pii=False).one(body) == body  # no plan, nothing marked
    assert CLEAR(body, 1) == [body, 1]


def test_the_plan_pii_follows_the_running_mappings() -> None:
    plan = parse_plan(
        {"version": 1, "events": [{"type": "identify", "traits": {"properties": {"email": {"pii": "email"}}}}]}
    )
    running: list[dict[str, object]] = []
    pii = PlanPii(PlanGate(plan), lambda: running)
    assert pii.current().names == {"email": "email"}
    running.append({"data": {"contact": {"@path": "$.context.traits.email"}}})
    assert pii.current().kind("contact") == "email"  # a mapping saved since fills `contact` from a PII trait
    assert PlanPii(PlanGate(None)).current().names == {}


def test_the_impact_panel_masks_a_pii_field_before_and_after() -> None:
    changes = (
        FieldChange("/data/email", "changed", "old@b.example", "new@b.example"),
        FieldChange("/data", "changed", {"email": "x@b.example"}, {"email": "y@b.example", "tier": "gold"}),
        FieldChange("/data/tier", "added", None, "gold"),
    )
    entry = Entry(0, "m-1", "Profile updates", Kind.PAYLOAD_CHANGED, changes)
    run = ImpactRun(Impact((entry,), 1, {Kind.PAYLOAD_CHANGED.value: 1}), RECENT, 100, 1)
    hidden = impact_panel(run, masker(FIELDS, reveal_pii=False))
    text = json.dumps(hidden)
    assert all(value not in text for value in ("old@b", "new@b", "x@b", "y@b")) and "gold" in text
    shown = impact_panel(run, masker(FIELDS, reveal_pii=True))
    assert shown["rows"][0]["fields"][0] == {
        "pointer": "/data/email",
        "change": "changed",
        "before": '"old@b.example"',
        "after": '"new@b.example"',
    }
