"""The monitoring files (alert rules, their promtool tests, the Grafana dashboard) and what they name.

`promtool()` finds the binary the way `scripts/test-deps` checks for it (`command -v promtool`); when
it is missing the test fails saying to run that script, never skips. `selectors` reads the metric
names, label matchers and `by (...)` labels out of a PromQL expression, so tests can hold them
against a real `/metrics`.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "monitoring"
RULES = MONITORING / "prometheus" / "antavo-receiver.rules.yml"
RULE_TESTS = MONITORING / "prometheus" / "antavo-receiver.rules.test.yml"
PROMETHEUS_CONFIG = MONITORING / "prometheus" / "prometheus.example.yml"
DASHBOARD = MONITORING / "grafana" / "dashboards" / "antavo-receiver.json"
RUNBOOKS = ROOT / "docs" / "runbooks"
PROMTOOL_TIMEOUT = 60.0
TARGET_LABELS = frozenset({"job", "instance"})
"""Labels Prometheus adds to every scraped series (the target's), never served by the receiver."""
PROMETHEUS_OWN = frozenset({"up"})
"""Series Prometheus writes itself for each scrape target."""
_SELECTOR = re.compile(r"\b(antavo_[a-z0-9_]+|up)\b(?:\{([^}]*)\})?")
_MATCHER = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"([^"]*)"')
_BY = re.compile(r"\bby\s*\(([^)]*)\)")


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.fail("promtool is not installed: run scripts/test-deps (it installs Debian's `prometheus`)")
    return found


def run_promtool(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool(), *map(str, args)], capture_output=True, text=True, timeout=PROMTOOL_TIMEOUT, cwd=cwd
    )


def load_yaml(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def alert_rules() -> list[dict[str, Any]]:
    """Every alerting rule of the rules file, in order."""
    return [rule for group in load_yaml(RULES)["groups"] for rule in group["rules"] if "alert" in rule]


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return loaded


def dashboard_queries() -> Iterator[tuple[str, str]]:
    """(panel title, PromQL) for every query of every panel."""
    for panel in dashboard()["panels"]:
        for target in panel.get("targets", []):
            yield panel["title"], target["expr"]


@dataclass(frozen=True)
class Selector:
    """One series selector of an expression: the metric and its label matchers (name, op, value)."""

    metric: str
    matchers: tuple[tuple[str, str, str], ...]


def selectors(expr: str) -> list[Selector]:
    return [Selector(name, tuple(_MATCHER.findall(inside or ""))) for name, inside in _SELECTOR.findall(expr)]


def by_labels(expr: str) -> set[str]:
    """The labels the expression aggregates by, less the target's own."""
    return {label.strip() for group in _BY.findall(expr) for label in group.split(",") if label.strip()} - TARGET_LABELS


def served_series(text: str) -> dict[str, list[dict[str, str]]]:
    """Sample name (`x_total`, `x_bucket`, …) -> the label sets served under it, from a real scrape."""
    series: dict[str, list[dict[str, str]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            series.setdefault(sample.name, []).append(dict(sample.labels))
    return series


def sample_values(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    """The (labels, value) of every sample of this name in a real scrape."""
    return [
        (dict(sample.labels), sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    ]
