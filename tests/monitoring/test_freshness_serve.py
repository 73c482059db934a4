"""The freshness alert over a real `serve`'s own series: traffic, then silence, then the shipped rule fires.

The `serve` command runs in a child process with metrics on; webhook requests and Tracking-API
messages arrive, then stop. Two scrapes a moment apart show each source's newest-event time no
longer moving. Those scraped values go to `promtool test rules` with the shipped rules file, as
the series Prometheus would go on scraping: the scrape's wall time is the test's time 0, and each
value is shifted by the same amount, so `time() - value` (the silence) is the real one. The rule
must not fire 10 minutes later and must fire at 21 (15 minutes silent, then 5 pending).
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from alerting import RULES, alert_rules, run_promtool, sample_values
from ruamel.yaml import YAML

API_KEY = "freshness-api-key-0123456789"
WRITE_KEY = "freshness-write-key-0123456789"
LAST_EVENT = "antavo_receiver_inbound_last_event_timestamp_seconds"
LIBRARY = "analytics-node"
FIRES_AT_MINUTES = 21


def _send_traffic(base: str) -> None:
    webhook = {"customer": "fresh-1", "action": "point_add", "account": "", "api_key": API_KEY, "data": {"points": 1}}
    with httpx.Client(base_url=base, timeout=10) as client:
        for _ in range(3):
            assert client.post("/v1/webhook/segment", json=webhook).status_code == 202
            message = {
                "type": "track",
                "event": "Points Earned",
                "userId": "fresh-1",
                "messageId": str(uuid.uuid4()),
                "properties": {"points": 2, "source": "s", "reason": "r"},
                "context": {"library": {"name": LIBRARY}},
            }
            assert client.post("/v1/track", json=message, auth=(WRITE_KEY, "")).status_code == 200


def _scrape(base: str) -> tuple[float, dict[str, float]]:
    """(wall time of the answer, newest-event time per source)."""
    answer = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {API_KEY}"}, timeout=10)
    assert answer.status_code == 200, answer.text
    return time.time(), {labels["source"]: value for labels, value in sample_values(answer.text, LAST_EVENT)}


def _humanize_duration(seconds: float) -> str:
    """Prometheus' `humanizeDuration` for a duration of a minute up to an hour."""
    whole = int(seconds)
    assert 60 <= whole < 3600
    return f"{whole // 60}m {whole % 60}s"


def _render(template: str, source: str, value: float) -> str:
    text = template.replace("{{ $labels.source }}", source).replace(
        "{{ $value | humanizeDuration }}", _humanize_duration(value)
    )
    assert "{{" not in text, f"the test does not render {text!r}"
    return text


def _unit_test(instance: str, scraped_at: float, newest: dict[str, float]) -> dict[str, Any]:
    [rule] = [rule for rule in alert_rules() if rule["alert"] == "AntavoSourceSilent"]
    labels = {"job": "antavo-receiver", "instance": instance}
    series = []
    expected = []
    for source, moment in sorted(newest.items()):
        shifted = moment - scraped_at  # the value at test time 0, when the real scrape happened
        selector = ", ".join(f'{name}="{value}"' for name, value in {**labels, "source": source}.items())
        series.append({"series": f"{LAST_EVENT}{{{selector}}}", "values": f"{shifted!r}x{FIRES_AT_MINUTES + 5}"})
        silence = FIRES_AT_MINUTES * 60 - shifted
        expected.append(
            {
                "exp_labels": {"severity": rule["labels"]["severity"], "job": labels["job"], "source": source},
                "exp_annotations": {name: _render(text, source, silence) for name, text in rule["annotations"].items()},
            }
        )
    return {
        "rule_files": [str(RULES)],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": series,
                "alert_rule_test": [
                    {"eval_time": "10m", "alertname": rule["alert"], "exp_alerts": []},
                    {"eval_time": f"{FIRES_AT_MINUTES}m", "alertname": rule["alert"], "exp_alerts": expected},
                ],
            }
        ],
    }


def test_the_freshness_rule_fires_over_a_real_serves_series_once_its_traffic_stops(serve_process, tmp_path: Path):
    running = serve_process(
        "--log-level",
        "warning",
        env={"ANTAVO_API_KEY": API_KEY, "ANTAVO_WRITE_KEY": WRITE_KEY, "ANTAVO_METRICS": "true"},
    )
    assert running.until(lambda base: httpx.get(f"{base}/healthz", timeout=1).status_code == 200), running.interrupt()
    _send_traffic(running.base_url)
    first_at, first = _scrape(running.base_url)
    time.sleep(1.5)
    scraped_at, newest = _scrape(running.base_url)
    assert set(newest) == {"webhook", f"segment:{LIBRARY}"}
    assert newest == first, "with no traffic, the newest-event times must stay where they were"
    assert all(0 <= first_at - moment < 30 for moment in newest.values())
    assert scraped_at - first_at >= 1.5
    test_file = tmp_path / "freshness.test.yml"
    with test_file.open("w", encoding="utf-8") as out:
        YAML(typ="safe").dump(_unit_test(f"127.0.0.1:{running.port}", scraped_at, newest), out)
    done = run_promtool("test", "rules", test_file)
    output = running.interrupt()
    assert done.returncode == 0, done.stdout + done.stderr + output
    assert "SUCCESS" in done.stdout
