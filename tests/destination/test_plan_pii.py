"""The one normalisation and hashing of personal data, against published vectors, and the plan's PII."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from destination.definition.project import project_root
from destination.plan.docs import markdown
from destination.plan.model import PlanError, load_plan
from destination.plan.pii import (
    KINDS,
    PERSONAL,
    PiiFields,
    hash_json,
    hash_members,
    hash_value,
    is_hashed,
    normalise,
    pii_fields,
)

# FIPS 180-2, appendix B.1: SHA-256("abc").
FIPS_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
# segmentio/action-destinations, packages/destination-actions/src/destinations/facebook-conversions-api/
# __tests__/purchase.test.ts ("should handle a basic event": email 'nicholas.aguilar@segment.com' → `em`).
FB_EMAIL = ("nicholas.aguilar@segment.com", "eeaf810ee0e3cef3307089f22c3804f54c79eed19ef29bf70df864b43862c380")
# ... __tests__/shared-tests/user-data.test.ts ("if value is undefined or empty string …"): phone
# '510 555 0011' → `ph`, gender 'm' → `ge` (a single normalised word, as our names are).
FB_PHONE = ("510 555 0011", "cf9b0227ee02d8f8f9dbb6060fa2941bb667efc71f6ee2e6ee17b40121a5f4a6")
FB_NAME = ("m", "62c66a7a5dd70c3146618063c344e531e6d4b59e379808443ce962b3abd63c5a")
# ... the same file, "if values are already hashed, should not hash again": these pass unchanged.
FB_HASHED = (
    "2d2fb2388f17f86affee71d632978425a3037fa8eed5b3f2baaa458c80d495ed",
    "92b5be0b4bcd88dbe1c5f7de1cc3f479fa8a702bd02b9905a5bc14bf66243c05",
    "3b67f1c91f4f245f6e219b364782ac53e912420f2284bf6a700e9cf71fbeafac",
)


def test_fips_vector() -> None:
    assert hash_value(PERSONAL, "abc") == FIPS_ABC
    assert hash_value(PERSONAL, "  abc \n") == FIPS_ABC  # trimmed


@pytest.mark.parametrize(
    ("kind", "given_value", "expected"),
    [
        ("email", FB_EMAIL[0], FB_EMAIL[1]),
        ("email", "  Nicholas.Aguilar@Segment.COM ", FB_EMAIL[1]),
        ("phone", FB_PHONE[0], FB_PHONE[1]),
        ("phone", "(510) 555-0011", FB_PHONE[1]),
        ("name", FB_NAME[0], FB_NAME[1]),
        ("name", " M ", FB_NAME[1]),
    ],
)
def test_segment_facebook_conversions_vectors(kind: str, given_value: str, expected: str) -> None:
    assert hash_value(kind, given_value) == expected


@pytest.mark.parametrize("digest", FB_HASHED)
@pytest.mark.parametrize("kind", KINDS)
def test_an_already_hashed_value_is_not_hashed_again(kind: str, digest: str) -> None:
    assert is_hashed(digest)
    assert hash_value(kind, digest) == digest
    assert hash_value(kind, digest.upper()) == digest


def test_normalisation_per_kind() -> None:
    assert normalise("email", "  A@B.Example ") == "a@b.example"
    assert normalise("phone", "+36 (1) 234-5678") == "3612345678"
    assert normalise("name", "  Ágnes Kovács ") == "ágnes kovács"
    assert normalise(PERSONAL, " 1990-01-31 ") == "1990-01-31"
    with pytest.raises(ValueError, match="unknown PII kind 'zip'"):
        normalise("zip", "1011")


def test_json_values_are_hashed_without_leaking() -> None:
    assert hash_json("phone", 5105550011) == FB_PHONE[1]
    assert hash_json("email", [FB_EMAIL[0], None]) == [FB_EMAIL[1], None]
    assert hash_json("email", None) is None
    hashed = hash_json(PERSONAL, {"street": "Fő utca 1"})
    assert is_hashed(hashed) and "Fő" not in hashed


def test_members_named_as_pii_are_hashed_at_any_depth() -> None:
    fields = PiiFields({}, {"email": "email", "phone": "phone"})
    body = {"email": FB_EMAIL[0], "tier": "gold", "guests": [{"phone": FB_PHONE[0], "seat": 3}]}
    assert hash_members(body, fields) == {
        "email": FB_EMAIL[1],
        "tier": "gold",
        "guests": [{"phone": FB_PHONE[1], "seat": 3}],
    }
    assert hash_members(body, PiiFields()) == body


kinds = st.sampled_from(KINDS)


@given(kinds, st.text())
def test_normalise_is_idempotent(kind: str, value: str) -> None:
    once = normalise(kind, value)
    assert normalise(kind, once) == once


@given(kinds, st.text())
def test_hashing_is_idempotent(kind: str, value: str) -> None:
    digest = hash_value(kind, value)
    assert is_hashed(digest) and digest == digest.lower()
    assert hash_value(kind, digest) == digest


@given(kinds, st.text(), st.text())
def test_equal_after_normalising_means_equal_hashes(kind: str, a: str, b: str) -> None:
    if is_hashed(a) or is_hashed(b):
        return  # a digest stands for itself, not for its text
    assert (normalise(kind, a) == normalise(kind, b)) == (hash_value(kind, a) == hash_value(kind, b))


@given(kinds, st.text(alphabet=" \t\n"), st.emails(), st.text(alphabet=" \t"))
def test_padding_and_case_do_not_change_an_email_hash(kind: str, before: str, email: str, after: str) -> None:
    assert hash_value("email", f"{before}{email.upper()}{after}") == hash_value("email", email)


def test_the_project_plan_marks_its_personal_data() -> None:
    plan = load_plan(project_root() / "tracking_plan.yaml")
    found = pii_fields(
        plan, [{"data": {"birth_date": {"@path": "$.traits.birthday"}, "x": {"@path": "$.traits.tier"}}}]
    )
    assert found.paths["traits.email"] == "email"
    assert found.kind("phone") == found.kind("mobile_phone") == "phone"
    assert found.kind("first_name") == "name"
    assert found.kind("birthday") == found.kind("birth_date") == PERSONAL  # filled from a PII path
    assert found.kind("tier") is None and found.kind("x") is None
    assert pii_fields(None).names == {}


def test_nested_and_array_members_are_found(tmp_path: Path) -> None:
    plan = tmp_path / "tracking_plan.yaml"
    plan.write_text(
        "version: 1\nevents:\n  - type: track\n    name: Gift Sent\n    properties:\n      properties:\n"
        "        to:\n          type: object\n          properties:\n            email: {type: string, pii: email}\n"
        "        guests:\n          type: array\n          items:\n            properties:\n"
        "              phone: {type: string, pii: phone}\n"
        "        email: {type: string, pii: true}\n"
    )
    found = pii_fields(load_plan(plan))
    assert found.paths == {
        "properties.to.email": "email",
        "properties.guests[].phone": "phone",
        "properties.email": PERSONAL,
    }
    assert found.kind("email") == "email"  # the more specific kind wins for a name planned twice
    assert "| `to.email` | string | no |  | email |" in markdown(load_plan(plan))


def test_an_unknown_kind_is_named_at_its_line(tmp_path: Path) -> None:
    plan = tmp_path / "tracking_plan.yaml"
    plan.write_text(
        "version: 1\nevents:\n  - type: identify\n    traits:\n      properties:\n        zip: {pii: postcode}\n"
    )
    with pytest.raises(PlanError, match=r"tracking_plan.yaml:6:\d+: .*pii.*'postcode' is not one of"):
        load_plan(plan)
