"""End to end with Segment's own Python library (`segment-analytics-python`) against a real receiver.

The library batches calls (100 per request) and POSTs them to `{host}/v1/batch` with the
write key as the Basic user; the receiver maps each message through the subscriptions and
applies it in process. Every message must end up applied to the store or in the inbound log
with its reason.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from segment.analytics import Client
from served import on_every_store

pytest_generate_tests = on_every_store

POINTS_REDEEMED = """
name: Points Redeemed → point_subtract
enabled: true
subscribe: type = "track" and event = "Points Redeemed"
partnerAction: event
mapping:
  action: point_subtract
  data:
    points: {"@path": $.properties.points}
"""
APPLIED, IGNORED = "applied", "ignored"


@pytest.fixture
def mappings_dir(write_mappings: Callable[..., Path]) -> Path:
    """The shipped mappings plus one that redeems points (so a business rule can refuse)."""
    return write_mappings({"points-redeemed": POINTS_REDEEMED}, shipped=True)


@pytest.fixture
def make_client() -> Iterator[Callable[..., tuple[Client, list[Any]]]]:
    """Library clients that report upload errors into a list; shut down after the test."""
    clients: list[Client] = []

    def make(write_key: str, host: str, **options: Any) -> tuple[Client, list[Any]]:
        errors: list[Any] = []
        client = Client(
            write_key,
            host=host,
            on_error=lambda error, batch: errors.append((error, len(batch))),
            max_retries=1,
            upload_interval=0.05,
            **options,
        )
        clients.append(client)
        return client, errors

    yield make
    for client in clients:
        client.shutdown()


@dataclass
class Model:
    """What the receiver must make of the events, worked out event by event, in sending order."""

    balances: Counter[str] = field(default_factory=Counter)
    orders: list[str] = field(default_factory=list)
    opted_in: set[str] = field(default_factory=set)
    expected: dict[str, str] = field(default_factory=dict)  # messageId -> APPLIED / IGNORED / error code


def send_mixed_events(client: Client, count: int, rng: random.Random) -> Model:
    model = Model()
    users = [f"cust-{n:03d}" for n in range(40)]
    kinds = [
        "identify",
        "identify_bad_date",
        "earn",
        "earn_no_points",
        "redeem",
        "order",
        "order_again",
        "order_anonymous",
        "signup",
        "signup_no_consent",
        "browse",
        "page",
    ]
    weights = [10, 3, 20, 6, 12, 12, 4, 4, 6, 5, 10, 8]
    for n in range(count):
        user, kind, message_id = rng.choice(users), rng.choices(kinds, weights)[0], f"msg-{n:04d}"
        outcome = APPLIED
        if kind == "identify":
            client.identify(
                user,
                {
                    "first_name": f"F{n}",
                    "email": f"{user}@example.com",
                    "birthday": "1990-12-10",
                    "tier": rng.choice(["gold", "silver"]),
                },
                message_id=message_id,
            )
        elif kind == "identify_bad_date":
            client.identify(user, {"birthday": "1990-02-30"}, message_id=message_id)
            outcome = "INVALID_DATE"
        elif kind == "earn":
            points = rng.randint(1, 50)
            client.track(
                user, "Points Earned", {"points": points, "source": "quiz", "reason": "won"}, message_id=message_id
            )
            model.balances[user] += points
        elif kind == "earn_no_points":
            client.track(user, "Points Earned", {"source": "quiz"}, message_id=message_id)
            outcome = "INVALID_POINTS"
        elif kind == "redeem":
            points = rng.randint(1, 60)
            client.track(user, "Points Redeemed", {"points": points}, message_id=message_id)
            if model.balances[user] >= points:
                model.balances[user] -= points
            else:
                outcome = "INSUFFICIENT_POINTS"
        elif kind in ("order", "order_again"):
            again = kind == "order_again" and bool(model.orders)
            order_id = rng.choice(model.orders) if again else f"order-{n}"
            total = round(rng.uniform(1, 200), 2)
            client.track(
                user,
                "Order Completed",
                {"order_id": order_id, "total": total, "currency": "EUR"},
                message_id=message_id,
            )
            if again:
                outcome = "ERR_TX_ALREADY_EXISTS"  # transaction IDs are unique per account
            else:
                model.orders.append(order_id)
                model.balances[user] += math.floor(total)
        elif kind == "order_anonymous":
            client.track(
                event="Order Completed",
                anonymous_id=f"anon-{n}",
                properties={"order_id": f"a-{n}", "total": 5},
                message_id=message_id,
            )
            outcome = "MAPPING_FAILED"  # the customer field maps from userId: the payload misses it
        elif kind == "signup":
            client.track(user, "Signed Up", {"loyalty_consent": True}, message_id=message_id)
            model.opted_in.add(user)
        elif kind == "signup_no_consent":
            client.track(user, "Signed Up", {"loyalty_consent": False}, message_id=message_id)
            outcome = IGNORED
        elif kind == "browse":
            client.track(user, "Product Viewed", {"sku": f"sku-{n}"}, message_id=message_id)
            outcome = IGNORED
        else:
            client.page(user, name="Home", properties={"path": "/"}, message_id=message_id)
            outcome = IGNORED
        model.expected[message_id] = outcome
    return model


def read_log(server: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    with server.client(headers=server.auth) as http:
        for _ in range(100):  # bounded paging
            params = {"limit": 500, **({"cursor": cursor} if cursor else {})}
            page = http.get("/v1/logs", params=params).raise_for_status().json()
            items += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return items
    raise AssertionError("the log did not end")


def outcome_of(entry: dict[str, Any]) -> str:
    if entry["status"] == 202:
        return APPLIED
    if entry["status"] == 200 and entry["response"].get("status") == IGNORED:
        return IGNORED
    return entry["error_code"]


@pytest.mark.parametrize("receiver_backend", ["memory", "sqlite", "postgresql"], indirect=True)
def test_a_thousand_mixed_library_events_are_each_applied_or_logged_with_their_reason(
    start_receiver, mappings_dir, make_client, receiver_backend
):
    """Each message's outcome is the one a sequential model predicts, on the memory store and on
    SQLite and PostgreSQL, where a batch call is one unit of work (`LoyaltyStore.write_batch`)."""
    server = start_receiver(mappings_dir=str(mappings_dir), log_size=5000)
    client, errors = make_client(server.write_key, server.base_url)
    model = send_mixed_events(client, 1000, random.Random(20240501))
    client.flush()
    assert errors == []

    expected = Counter(model.expected.values())
    applied = expected[APPLIED]
    refused_by_rules = (
        expected["INVALID_DATE"]
        + expected["INVALID_POINTS"]
        + expected["INSUFFICIENT_POINTS"]
        + expected["ERR_TX_ALREADY_EXISTS"]
    )
    mapping_failed, ignored = expected["MAPPING_FAILED"], expected[IGNORED]
    assert applied + refused_by_rules + mapping_failed + ignored == 1000
    assert all(count > 0 for count in expected.values()) and len(expected) == 7

    log = read_log(server)
    by_message = Counter(entry["id"] for entry in log)
    assert set(by_message) == set(model.expected) and set(by_message.values()) == {1}  # one entry per message
    actual = {entry["id"]: outcome_of(entry) for entry in log}
    assert Counter(actual.values()) == expected
    assert actual == model.expected  # and each message got exactly its own outcome
    refusals = [entry for entry in log if entry["error"] is not None]
    assert len(refusals) == refused_by_rules + mapping_failed and all(entry["error"] for entry in refusals)

    customers = [server.customer(user) for user in {f"cust-{n:03d}" for n in range(40)}]
    known = [c for c in customers if c is not None]
    assert sum(c.event_count for c in known) == applied == server.writes()
    assert {c.id: sum(c.balances.values()) for c in known if sum(c.balances.values())} == +model.balances
    assert {c.id for c in known if c.opted_in} == model.opted_in

    stats = server.app.state.ingest.fanout.stats
    assert (stats.accepted, stats.duplicates, stats.delivered) == (1000, 0, applied)
    assert (stats.refused, stats.mapping_failed, stats.unmatched) == (refused_by_rules, mapping_failed, ignored)
    batches = [line for line in server.log_lines if "POST /v1/batch" in line and " 200" in line]
    assert len(batches) >= 10  # the library sent them 100 (or fewer) at a time
    if receiver_backend != "memory":
        # One transaction per call (its claims, events, answers and entries), not the 3,000+ writes one by one;
        # besides them only the retention sweeps (every `SWEEP_EVERY` writes) and the outbox's own.
        print(f"\n{server.store.transactions} transactions for {len(batches)} batches")
        assert server.store.transactions <= len(batches) + 3 * 1000 // 1024 + 2
    print(f"\n1,000 library events: {dict(expected)} in {len(batches)} batches")


def test_a_duplicate_message_id_is_applied_once(receiver_server, make_client):
    client, errors = make_client(receiver_server.write_key, receiver_server.base_url)
    for _ in range(2):
        client.track("dup-user", "Points Earned", {"points": 7, "source": "s", "reason": "r"}, message_id="dup-1")
    client.flush()
    client.track("dup-user", "Points Earned", {"points": 7, "source": "s", "reason": "r"}, message_id="dup-1")
    client.flush()  # a retry of an already-delivered batch, as a library sends it
    assert errors == []
    assert receiver_server.customer("dup-user").balances == {"default": 7}
    with receiver_server.client(headers=receiver_server.auth) as http:
        assert len(http.get("/v1/logs", params={"id": "dup-1"}).json()["items"]) == 1
    assert receiver_server.app.state.ingest.fanout.stats.duplicates == 2


def test_the_library_is_told_401_for_a_wrong_write_key(receiver_server, make_client):
    client, errors = make_client("not-the-write-key", receiver_server.base_url)
    client.identify("u-401", {"first_name": "Ada"})
    client.flush()
    [(error, size)] = errors
    assert (error.status, error.code, size) == (401, "UNAUTHORIZED", 1)
    assert receiver_server.writes() == 0


def test_gzip_batches_from_the_library_are_accepted(receiver_server, make_client):
    client, errors = make_client(receiver_server.write_key, receiver_server.base_url, gzip=True)
    client.identify("u-gz", {"first_name": "Grace", "tier": "gold"})
    client.track("u-gz", "Signed Up", {"loyalty_consent": True})
    client.flush()
    assert errors == []
    customer = receiver_server.customer("u-gz")
    assert customer.profile == {"first_name": "Grace"} and customer.attributes == {"tier": "gold"}
    assert customer.opted_in is True


def test_server_logs_never_show_the_write_key(receiver_server, make_client):
    client, _ = make_client(receiver_server.write_key, receiver_server.base_url)
    client.track("u-log", "Points Earned", {"points": 1, "source": receiver_server.write_key, "reason": "r"})
    client.flush()
    httpx.post(
        f"{receiver_server.base_url}/v1/track", json={"writeKey": receiver_server.write_key, "userId": "u"}, timeout=10
    )
    assert receiver_server.log_lines and not any(
        receiver_server.write_key in line for line in receiver_server.log_lines
    )


def test_a_birthday_held_as_a_python_datetime_is_stored_as_that_day(receiver_server, make_client):
    """The library writes `datetime(1943, 2, 4)` as `1943-02-04T00:00:00`; Antavo's date field takes
    the day, and a birthday at any other time of day is refused alone, with its field named."""
    client, errors = make_client(receiver_server.write_key, receiver_server.base_url)
    client.identify("u-bd", {"first_name": "Ada", "birthday": datetime(1943, 2, 4)}, message_id="bd-1")
    client.identify("u-bd2", {"first_name": "Alan", "birthday": datetime(1912, 6, 23, 13, 5)}, message_id="bd-2")
    client.flush()
    assert errors == []
    assert receiver_server.customer("u-bd").profile == {"first_name": "Ada", "birth_date": "1943-02-04"}
    assert receiver_server.customer("u-bd2") is None
    with receiver_server.client(headers=receiver_server.auth) as http:
        [refused] = http.get("/v1/logs", params={"id": "bd-2"}).json()["items"]
    assert (refused["status"], refused["error_code"]) == (422, "INVALID_DATE")
    assert "midnight" in refused["error"] and refused["response"]["error"]["field"] == "data.birth_date"
