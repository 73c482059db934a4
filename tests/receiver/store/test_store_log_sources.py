"""`log_sources` on every backend: the newest kept entry's time per source (the dashboard's freshness)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from test_store_records import entry

from receiver.store.contract import LogFilter, LoyaltyStore


def test_the_newest_entry_per_source_within_retention(backend):
    async def body(store: LoyaltyStore) -> None:
        now = datetime.fromtimestamp(backend.clock.now, UTC)
        sources = ["webhook", "segment:analytics.js", None, "segment:analytics.js", "webhook", "segment"]
        written = [
            entry(n, timestamp=now - timedelta(seconds=60 - n * 10, microseconds=n), source=source)
            for n, source in enumerate(sources)
        ]
        await store.log_add("inbound", written)
        await store.log_add("duplicate", [entry(9, timestamp=now, source="segment:analytics-python")])
        assert await store.log_sources("inbound") == {
            "webhook": written[4].timestamp,
            "segment:analytics.js": written[3].timestamp,
            "segment": written[5].timestamp,
        }
        assert await store.log_sources("duplicate") == {"segment:analytics-python": now}
        assert await store.log_sources("outbound") == {}
        found = {e.id: e.source for e in (await store.log_query("inbound", LogFilter(), limit=9, cursor=None)).entries}
        assert found == {f"m-{n}": source for n, source in enumerate(sources) if n}  # m-0 went by count
        backend.clock.now += 55  # m-1 (analytics.js' first) is older than 100 s: its newer m-3 answers
        assert await store.log_sources("inbound") == {
            "webhook": written[4].timestamp,
            "segment:analytics.js": written[3].timestamp,
            "segment": written[5].timestamp,
        }
        backend.clock.now += 30  # m-2 .. m-4 are gone too: only m-5 (segment) is younger than 100 s
        assert await store.log_sources("inbound") == {"segment": written[5].timestamp}

    backend.run(body, log_size=5, log_max_age_seconds=100)
