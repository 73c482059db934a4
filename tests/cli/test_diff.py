"""`antavo-actions diff`, installed and run as CI runs it, on an edited copy of the shipped mappings:
one changed `@path` (order total), one narrowed trigger (sign-up), one field that fails validation (points)."""

from __future__ import annotations

import json
from pathlib import Path

from installed_cli import run_cli

ROOT = Path(__file__).resolve().parents[2]
EDITED = "tests/fixtures/impact/edited"
EVENTS = ("--events", "examples/events.jsonl")


def test_text_names_each_change_and_exits_1() -> None:
    done = run_cli("diff", *EVENTS, "--against", EDITED, cwd=ROOT)
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines() == [
        "#2 ajs-next-98be1d3f02  Signed Up → opt_in: no longer matched",
        "#3 ajs-next-1f4c9a2b7e  Order Completed → checkout: payload changed",
        "    /data/total: 129.9 → 119.9",
        "#4 antavo-2c7a99f0-5b1e  Points Earned → point_add: new validation error",
        "    error now: The root value is missing the required field 'customer'. (field: /customer)",
        "4 events: 1 no longer matched, 1 payload changed, 1 new validation error, 1 unchanged",
    ]


def test_no_change_exits_0_and_exit_zero_keeps_0() -> None:
    same = run_cli("diff", *EVENTS, "--mappings-from", "mappings", "--against", "mappings", cwd=ROOT)
    assert (same.returncode, same.stdout) == (0, "4 events: 4 unchanged\n")
    kept = run_cli("diff", *EVENTS, "--against", EDITED, "--exit-zero", cwd=ROOT)
    assert kept.returncode == 0 and "payload changed" in kept.stdout


def test_json_for_scripts() -> None:
    done = run_cli(
        "diff", "--events", "examples/order-completed.json", *EVENTS, "--against", EDITED, "--format", "json", cwd=ROOT
    )
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["events"] == 5 and report["changed"] is True
    assert report["summary"]["by_kind"]["payload changed"] == 2
    first = report["entries"][0]
    assert first["kind"] == "payload changed"
    assert first["fields"] == [{"pointer": "/data/total", "change": "changed", "old": 129.9, "new": 119.9}]


def test_github_markdown_for_a_pull_request() -> None:
    done = run_cli("diff", *EVENTS, "--against", EDITED, "--format", "github", cwd=ROOT)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0] == "### Mapping impact: changes what Antavo receives"
    assert "| Order Completed → checkout | 0 | 0 | 1 | 0 | 0 | 0 | 0 |" in lines
    assert "  - `/data/total: 129.9 → 119.9`" in lines
    assert "</details>" in lines


def test_one_edited_file_against_the_shipped_folder() -> None:
    done = run_cli("diff", *EVENTS, "--against", f"{EDITED}/order-completed.yaml", cwd=ROOT)
    assert done.returncode == 1
    assert "3 no longer matched" in done.stdout  # the other three subscriptions are not in the edited set


def test_broken_inputs_exit_2_naming_the_file() -> None:
    cases = {
        ("--against", "nowhere"): "error: --against nowhere: no such folder or file (expected a mappings folder",
        ("--against", "tests/fixtures/invalid/unknown-action.yaml"): (
            "tests/fixtures/invalid/unknown-action.yaml:3:16: unknown-action: unknown action 'refund'"
        ),
        (
            "--against",
            "tests/fixtures/invalid/yaml-syntax.yaml",
        ): "tests/fixtures/invalid/yaml-syntax.yaml:6:11: yaml-syntax:",
        ("--against", "http://127.0.0.1:9"): "error: --against http://127.0.0.1:9: expected a mappings folder or file",
    }
    for args, message in cases.items():
        done = run_cli("diff", *EVENTS, *args, cwd=ROOT)
        assert done.returncode == 2, args
        assert message in done.stderr, done.stderr
    missing = run_cli("diff", "--events", "nope.json", "--against", "mappings", cwd=ROOT)
    assert (missing.returncode, missing.stderr.strip()) == (
        2,
        "nope.json:1:1: read: cannot read: No such file or directory",
    )


def test_help_documents_the_exit_codes() -> None:
    done = run_cli("diff", "--help", cwd=ROOT)
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    assert "0 when no event's outcome changes, 1 when one does" in text
    assert "--exit-zero" in text


def _batch_of_the_examples(tmp_path: Path) -> Path:
    """The example events as one Tracking-API batch body, their `context` moved to the batch (as a library sends)."""
    events = [json.loads(line) for line in (ROOT / "examples/events.jsonl").read_text().splitlines() if line.strip()]
    shared = {"library": {"name": "analytics-python", "version": "2.3.3"}}
    items = [{**e, "context": {k: v for k, v in e.get("context", {}).items() if k != "library"}} for e in events]
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps({"batch": items, "context": shared, "writeKey": "wk"}))
    return batch


def test_a_tracking_api_batch_and_ndjson_are_events_too(tmp_path: Path) -> None:
    expected = run_cli("diff", *EVENTS, "--against", EDITED, "--format", "json", cwd=ROOT).stdout
    batch = _batch_of_the_examples(tmp_path)
    from_batch = run_cli("diff", "--events", str(batch), "--against", EDITED, "--format", "json", cwd=ROOT)
    assert from_batch.returncode == 1, from_batch.stderr
    assert json.loads(from_batch.stdout) == json.loads(expected)
    # Newline-delimited JSON whose lines are events or whole batches (a log of request bodies).
    lines = (ROOT / "examples/events.jsonl").read_text().splitlines()
    mixed = tmp_path / "mixed.ndjson"
    mixed.write_text(lines[0] + "\n\n" + json.dumps({"batch": [json.loads(x) for x in lines[1:3]]}) + "\n" + lines[3])
    from_lines = run_cli("diff", "--events", str(mixed), "--against", EDITED, "--format", "json", cwd=ROOT)
    assert json.loads(from_lines.stdout) == json.loads(expected)


def test_a_broken_batch_names_its_item(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"batch": [{"type": "track", "event": "A"}, 7]}))
    done = run_cli("diff", "--events", str(broken), "--against", EDITED, cwd=ROOT)
    assert done.returncode == 2
    assert f"{broken}:1:1: events: batch item 1 is int, expected a JSON object" in done.stderr
    empty = tmp_path / "empty.json"
    empty.write_text('{"batch": []}')
    done = run_cli("diff", "--events", str(empty), "--against", EDITED, cwd=ROOT)
    assert (done.returncode, done.stderr.strip()) == (2, f"{empty}:1:1: events: no events (the batch is empty)")
