"""Live plan checks end to end, on every store: Segment's Python library sends planned, unplanned and
violating events to a real receiver checking them against its tracking plan, and the verdicts, the
applied events, the quarantine, a replay after the plan file is fixed and the metric all agree.

The plan (written per test): `Points Earned` omits what it does not declare, `Signed Up` allows (and
records) a violation, `Order Completed` blocks one; an unplanned event is a violation (the plan says
`allow_unplanned: false`) under the plan's default policy, allow.
"""

from __future__ import annotations

from typing import Any

import pytest
from plans import write_plan
from segment.analytics import Client
from verdicts import message_verdict

STORES = pytest.mark.parametrize("receiver_backend", ["memory", "sqlite", "postgresql"], indirect=True)
SHIPPED = ["points-earned.yaml", "order-completed.yaml", "signed-up.yaml"]


def plan(order_id_pattern: str) -> dict[str, Any]:
    return {
        "version": 1,
        "allow_unplanned": False,
        "events": [
            {
                "type": "track",
                "name": "Points Earned",
                "policy": "omit",
                "properties": {
                    "required": ["points"],
                    "properties": {"points": {"type": "integer"}, "source": {"type": "string"}, "reason": {}},
                },
            },
            {
                "type": "track",
                "name": "Signed Up",
                "properties": {
                    "required": ["loyalty_consent"],
                    "properties": {"loyalty_consent": {"type": "boolean"}, "method": {"enum": ["email", "google"]}},
                },
            },
            {
                "type": "track",
                "name": "Order Completed",
                "policy": "block",
                "properties": {
                    "required": ["order_id", "total"],
                    "properties": {"order_id": {"type": "string", "pattern": order_id_pattern}, "total": {}},
                },
            },
        ],
    }


@STORES
def test_planned_unplanned_and_violating_events_follow_their_policy_and_a_fixed_plan_replays(
    start_receiver, write_mappings, receiver_backend, tmp_path
):
    plan_file = write_plan(tmp_path / "tracking_plan.yaml", plan("^ORD-[0-9]+$"), stamp=10**18)
    receiver = start_receiver(
        mappings_dir=write_mappings({}, shipped=SHIPPED), tracking_plan=str(plan_file), metrics=True
    )
    library = Client(receiver.write_key, host=receiver.base_url, sync_mode=True, max_retries=1)
    library.track(
        "p-1", "Points Earned", {"points": 5, "source": "quiz", "reason": "won", "coupon": "X"}, message_id="earn"
    )
    library.track("p-1", "Signed Up", {"loyalty_consent": True, "method": "fax"}, message_id="signup")
    library.track("p-1", "Order Completed", {"order_id": "o-1", "total": 10}, message_id="order-bad")
    library.track("p-1", "Order Completed", {"order_id": "ORD-2", "total": 20}, message_id="order-ok")
    library.track("p-1", "Product Viewed", {"sku": "s"}, message_id="stray")
    library.track("p-1", "Order Completed", {"order_id": "o-1", "total": 10}, message_id="order-bad")  # a copy

    with receiver.client(headers=receiver.auth) as http:
        earn = message_verdict(http, "earn")
        assert earn["outcome"] == "applied"
        assert earn["plan"] == {"policy": "omit", "violations": [], "omitted": ["/properties/coupon"]}
        assert earn["deliveries"][0]["payload"]["data"]["points"] == 5

        signup = message_verdict(http, "signup")
        assert signup["outcome"] == "applied" and signup["plan"]["policy"] == "allow"
        [broken] = signup["plan"]["violations"]
        assert broken["type"] == "Enum-Mismatch" and broken["meta"] == {"instancePath": "/properties/method"}

        blocked = message_verdict(http, "order-bad")
        assert blocked["outcome"] == "blocked" and blocked["deliveries"] == []
        assert blocked["routing"]["status"] == "blocked" and blocked["routing"]["code"] == "PLAN_BLOCKED"
        [pattern] = blocked["plan"]["violations"]
        assert blocked["plan"]["policy"] == "block" and pattern["type"] == "Pattern-Mismatch"
        assert pattern["meta"]["instancePath"] == "/properties/order_id" and len(blocked["duplicates"]) == 1

        ok = message_verdict(http, "order-ok")
        assert ok["outcome"] == "applied" and ok["plan"] == {"policy": "block", "violations": [], "omitted": []}

        stray = message_verdict(http, "stray")
        assert stray["outcome"] == "ignored" and stray["plan"]["policy"] == "allow"
        assert [v["type"] for v in stray["plan"]["violations"]] == ["Unplanned-Event"]

        checkouts = [e for e in http.get("/v1/customers/p-1/events").json()["items"] if e["action"] == "checkout"]
        assert [e["data"]["transaction_id"] for e in checkouts] == ["ORD-2"], "the blocked order was not applied"

        kept = http.get("/v1/quarantine").json()
        assert kept["count"] == 1, "the dropped copy was not quarantined again"
        [item] = kept["items"]
        assert item["message_id"] == "order-bad" and item["message"]["properties"]["order_id"] == "o-1"
        assert item["violations"] == blocked["plan"]["violations"]

        still = http.post("/v1/quarantine/order-bad/replay")
        assert still.status_code == 200 and still.json()["outcome"] == "blocked"
        assert http.get("/v1/quarantine").json()["count"] == 1

        write_plan(plan_file, plan("^(ORD-|o-)[0-9]+$"), stamp=2 * 10**18)
        replayed = http.post("/v1/quarantine/order-bad/replay")
        assert replayed.status_code == 200 and replayed.json()["outcome"] == "released", replayed.text
        assert replayed.json()["plan"]["violations"] == []
        again = http.post("/v1/quarantine/order-bad/replay")
        assert again.status_code == 404 and again.json()["error"]["code"] == "NOT_QUARANTINED"
        assert http.get("/v1/quarantine").json() == {"count": 0, "items": []}

        after = message_verdict(http, "order-bad")
        assert after["outcome"] == "applied" and after["plan"]["violations"] == []
        checkouts = [e for e in http.get("/v1/customers/p-1/events").json()["items"] if e["action"] == "checkout"]
        assert sorted(e["data"]["transaction_id"] for e in checkouts) == ["ORD-2", "o-1"], "delivered once"

        figures = http.get("/dashboard/data", params={"window": "15m"}).json()["plan_violations"]
        by_kind = {(row["event"], row["kind"]): row for row in figures}
        order = by_kind[("track 'Order Completed'", "Pattern-Mismatch")]
        assert order["count"] == 1 and [s["message_id"] for s in order["samples"]] == ["order-bad"]
        assert order["samples"][0]["url"] == "/logs?id=order-bad"
        assert by_kind[("(unplanned)", "Unplanned-Event")]["count"] == 1
        assert by_kind[("track 'Signed Up'", "Enum-Mismatch")]["count"] == 1

        metrics = http.get("/metrics").text
        assert 'antavo_plan_violations_total{event="track \'Order Completed\'",kind="Pattern-Mismatch"} 2.0' in metrics
        assert 'antavo_plan_violations_total{event="(unplanned)",kind="Unplanned-Event"} 1.0' in metrics


def test_a_malformed_plan_stops_serve_naming_the_file_and_its_place(serve_process, tmp_path):
    broken = tmp_path / "tracking_plan.yaml"
    broken.write_text("version: 1\nevents:\n  - type: track\n    name: Order Completed\n    policy: maybe\n")
    env = {"ANTAVO_API_KEY": "e2e-api-key-0123456789", "ANTAVO_TRACKING_PLAN": str(broken)}
    served = serve_process("--store", "memory://", env=env)
    output, _ = served.proc.communicate(timeout=60)
    assert served.proc.returncode != 0
    assert f"{broken}:5:" in output and "policy" in output, output
    assert "Traceback" not in output
