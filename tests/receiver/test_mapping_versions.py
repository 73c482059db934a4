"""Mapping versions: one digest per mapping as it runs, a new one for any edit, each recorded before it is named."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from destination.definition.model import load_definition
from destination.definition.subscriptions import subscription_from
from receiver.ingest.versions import DIGEST_LENGTH, MappingVersions, version_of
from receiver.store.lineage import MappingVersion

DEFINITION = load_definition()
BASE = {
    "name": "Quiz Won → point_add",
    "subscribe": 'type = "track" and event = "Quiz Won"',
    "partnerAction": "event",
    "mapping": {"action": "point_add", "data": {"points": {"@path": "$.properties.points"}}},
}


def test_the_digest_is_of_what_the_mapping_says_not_of_where_it_came_from():
    one = subscription_from(BASE, DEFINITION, "file:a.yaml")
    two = subscription_from(dict(reversed(list(BASE.items()))), DEFINITION, "saved:b.yaml")
    assert version_of(one).digest == version_of(two).digest
    assert len(version_of(one).digest) == DIGEST_LENGTH and int(version_of(one).digest, 16) >= 0
    assert version_of(one).definition["mapping"]["customer"] == {"@path": "$.userId"}  # as run, with defaults


@settings(max_examples=30, deadline=None)
@given(path=st.text("abcdefghij.", min_size=1, max_size=12), field=st.sampled_from(["name", "subscribe"]))
def test_any_edit_makes_a_new_version(path: str, field: str):
    edited_mapping = {**BASE, "mapping": {"action": "point_add", "data": {"points": {"@path": f"$.{path}x"}}}}
    edited_field = {**BASE, field: BASE[field] + " "}
    digests = {version_of(subscription_from(data, DEFINITION)).digest for data in (BASE, edited_mapping, edited_field)}
    assert len(digests) == 3


def test_each_version_is_recorded_once_before_it_is_named_and_a_running_one_is_known():
    recorded: list[list[MappingVersion]] = []

    async def record(versions):
        recorded.append(list(versions))

    running = subscription_from(BASE, DEFINITION)
    tried = replace(running, subscribe='type = "track"')  # a tester's subscription, not in the running set
    versions = MappingVersions(record)
    versions.use([running])
    assert versions.known(running) is None  # not recorded yet: the first request records it

    async def body() -> list[str]:
        return [await versions.digest(s) for s in (running, running, tried, tried)]

    first, again, other, other_again = asyncio.run(body())
    assert first == again and other == other_again and first != other
    assert [[v.digest for v in batch] for batch in recorded] == [[first], [other]]
    assert versions.running(first) and not versions.running(other)
    assert versions.known(running) == first and versions.known(tried) is None  # a tester's is not of the set
