"""The alert rules, checked and unit-tested by the real `promtool`, and the runbooks they link to.

`promtool test rules` runs every "fires" and "does not fire" case of the rules' test file; a
rules file with a weakened threshold must make it fail (so the cases hold the thresholds, not
just the syntax). Every alert has a severity, a summary, a description and a runbook page that
exists; every runbook page belongs to an alert.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from alerting import (
    PROMETHEUS_CONFIG,
    ROOT,
    RULE_TESTS,
    RULES,
    RUNBOOKS,
    alert_rules,
    load_yaml,
    run_promtool,
)

SEVERITIES = {"critical", "warning"}
RUNBOOK_SECTIONS = ("**What it means.**", "**How to check.**", "**How to fix.**")


def test_promtool_checks_the_rules() -> None:
    done = run_promtool("check", "rules", RULES)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(alert_rules())} rules found" in done.stdout


def test_promtool_unit_tests_of_every_alert_pass() -> None:
    done = run_promtool("test", "rules", RULE_TESTS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_every_alert_has_a_case_where_it_fires_and_one_where_it_does_not() -> None:
    cases = [case for test in load_yaml(RULE_TESTS)["tests"] for case in test.get("alert_rule_test", [])]
    for rule in alert_rules():
        mine = [case for case in cases if case["alertname"] == rule["alert"]]
        assert any(case["exp_alerts"] for case in mine), f"{rule['alert']}: no case where it fires"
        assert any(not case["exp_alerts"] for case in mine), f"{rule['alert']}: no case where it does not fire"


def test_a_weakened_threshold_fails_the_unit_tests(tmp_path: Path) -> None:
    """The cases pin the thresholds: the freshness alert at 30 minutes instead of 15 must fail them."""
    text = RULES.read_text(encoding="utf-8")
    assert text.count("> 15 * 60") == 1
    (tmp_path / RULES.name).write_text(text.replace("> 15 * 60", "> 30 * 60"), encoding="utf-8")
    shutil.copy(RULE_TESTS, tmp_path / RULE_TESTS.name)
    done = run_promtool("test", "rules", tmp_path / RULE_TESTS.name)
    assert done.returncode != 0
    assert "AntavoSourceSilent" in done.stdout + done.stderr


def test_the_example_prometheus_config_loads_the_rules(tmp_path: Path) -> None:
    """`promtool check config` reads the credentials file too, so the copy points at one that exists."""
    key = tmp_path / "antavo-api-key"
    key.write_text("an-api-key-for-the-check\n", encoding="utf-8")
    text = PROMETHEUS_CONFIG.read_text(encoding="utf-8")
    assert "/etc/prometheus/antavo-api-key" in text
    (tmp_path / PROMETHEUS_CONFIG.name).write_text(text.replace("/etc/prometheus/antavo-api-key", str(key)))
    shutil.copy(RULES, tmp_path / RULES.name)
    done = run_promtool("check", "config", tmp_path / PROMETHEUS_CONFIG.name)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(alert_rules())} rules found" in done.stdout


def test_every_alert_has_a_severity_a_summary_and_a_runbook_that_exists() -> None:
    for rule in alert_rules():
        name = rule["alert"]
        assert rule["labels"]["severity"] in SEVERITIES, name
        notes = rule["annotations"]
        assert notes["summary"].strip() and notes["description"].strip(), name
        assert notes["runbook_url"] == f"docs/runbooks/{name}.md", name
        page = ROOT / notes["runbook_url"]
        assert page.is_file(), f"{name}: {page} does not exist"
        text = page.read_text(encoding="utf-8")
        assert text.startswith(f"# {name} ({rule['labels']['severity']})"), f"{page}: its title names another alert"
        for section in RUNBOOK_SECTIONS:
            assert section in text, f"{page}: no {section} section"


def test_every_runbook_page_belongs_to_an_alert_and_its_links_resolve() -> None:
    alerts = {rule["alert"] for rule in alert_rules()}
    pages = {page.stem for page in RUNBOOKS.glob("*.md")} - {"README"}
    assert pages == alerts
    for page in RUNBOOKS.glob("*.md"):
        text = page.read_text(encoding="utf-8")
        for target in _relative_links(text):
            assert (page.parent / target).is_file(), f"{page.name}: the link to {target} leads nowhere"


def _relative_links(text: str) -> list[str]:
    return [target for target in re.findall(r"\]\(([^)#]+)\)", text) if "://" not in target]
