"""Every backend keeps which mapping made a logged request and the test run it came in, filters a log
by run, and forgets a run's entries (and only those) when the run is reset.

Hypothesis draws which entries belong to which run, so the reset is checked against the model of
"the others stay, in order", not against one sample.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_store_records import entry

from receiver.store.contract import LogFilter, LoyaltyStore

RUNS = st.lists(st.sampled_from([None, "ci-1", "ci-2"]), min_size=1, max_size=12)
ROUNDS = iter(range(10**6))


def test_an_entry_keeps_its_mapping_version_and_test_run(backend):
    async def body(store: LoyaltyStore) -> None:
        made = entry(1, subscription="Points Earned → point_add", mapping_version="0123456789abcdef", test_run="ci-1")
        [written] = await store.log_add("inbound", [made])
        [plain] = await store.log_add("inbound", [entry(2)])
        page = await store.log_query("inbound", LogFilter(), limit=10, cursor=None)
        back = {e.id: e for e in page.entries}
        for kept in (written, back["m-1"]):
            assert (kept.subscription, kept.mapping_version, kept.test_run) == (
                "Points Earned → point_add",
                "0123456789abcdef",
                "ci-1",
            )
            assert kept.public()["test_run"] == "ci-1"
        assert (back["m-2"].subscription, back["m-2"].mapping_version, back["m-2"].test_run) == (None, None, None)
        assert plain.test_run is None
        only = await store.log_query("inbound", LogFilter(test_run="ci-1"), limit=10, cursor=None)
        assert [e.id for e in only.entries] == ["m-1"]
        assert await store.log_count("inbound", LogFilter(test_run="ci-1")) == 1

    backend.run(body)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(runs=RUNS)
def test_forgetting_a_run_removes_its_entries_and_keeps_every_other(backend, runs: list[str | None]):
    round_ = next(ROUNDS)  # the examples share the test's store: each draws its own IDs

    async def body(store: LoyaltyStore) -> None:
        await store.log_forget("inbound", LogFilter())  # what earlier examples left
        written = [entry(n, id=f"r{round_}-{n}", test_run=run) for n, run in enumerate(runs)]
        await store.log_add("inbound", written)
        await store.log_add("duplicate", [entry(0, id=f"r{round_}-dup", test_run="ci-1")])
        gone = await store.log_forget("inbound", LogFilter(test_run="ci-1"))
        assert gone == runs.count("ci-1")
        left = (await store.log_query("inbound", LogFilter(), limit=50, cursor=None)).entries
        expected = [e.id for e in reversed(written) if e.test_run != "ci-1"]
        assert [e.id for e in left] == expected
        assert await store.log_count("duplicate", LogFilter(test_run="ci-1")) >= 1  # another log is untouched
        assert await store.log_forget("inbound", LogFilter(test_run="ci-1")) == 0

    backend.run(body)
