"""`<action>/__tests__/examples.test.ts`: the project's example events, as Segment's tests are written.

For every example event and every preset whose trigger matches it, a jest test runs the
preset's action through actions-core's `testAction` with the preset's mapping (read from the
exported destination, so the presets are tested too), and expects with nock the exact request
— method, URL and JSON body — that the project's runtime makes for it, or the error message
Segment reports. The expectations are computed when exporting; nothing is written by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from destination.export import tsliteral as ts
from destination.export.segment import header
from destination.export.sources import Definition, Example, Outcome, outcome, trigger_matches

# Setting values the tests use: one per setting type; strings are `test-<key>`.
_TEST_VALUES: dict[str, Any] = {"boolean": True, "number": 1, "integer": 1}


@dataclass(frozen=True)
class Case:
    """One generated test: an example run through a preset, and what Segment does with it."""

    example: Example
    preset: Mapping[str, Any]
    outcome: Outcome


def test_settings(definition: Definition) -> dict[str, Any]:
    """Settings for the tests, derived from the settings' keys and types only."""
    return {k: _TEST_VALUES.get(spec.get("type", ""), f"test-{k}") for k, spec in definition.settings.items()}


def cases_for(
    definition: Definition, presets: Sequence[Mapping[str, Any]], examples: Sequence[Example], action: str
) -> list[Case]:
    """The (example, preset) pairs of one action whose trigger matches, with their outcome."""
    settings = test_settings(definition)
    cases = []
    for example in examples:
        for preset in presets:
            if preset["partnerAction"] != action or not trigger_matches(preset["subscribe"], example.event):
                continue
            mapping = {**definition.action(action).default_mapping, **(preset.get("mapping") or {})}
            cases.append(Case(example, preset, outcome(definition, action, example.event, mapping, settings)))
    return cases


def _indent(text: str, spaces: int) -> str:
    pad = " " * spaces
    return "\n".join(pad + line if line else line for line in text.split("\n"))


def _test(case: Case, action: str) -> str:
    title = f'{case.example.source} with the preset "{case.preset["name"]}"'
    run = ts.literal(
        {
            "event": ts.Raw("event"),
            "settings": ts.Raw("settings"),
            "mapping": ts.Raw(f"presetMapping({ts.string(case.preset['name'])})"),
        },
        3,
    )
    lines = [
        f"    it({ts.string(title)}, async () => {{",
        f"      const event = createTestEvent({ts.literal(case.example.event, 3)})",
        "",
    ]
    result = case.outcome
    if result.error is not None:
        lines += [
            f"      await expect(testDestination.testAction({ts.string(action)}, {run})).rejects.toThrowError(",
            f"        {ts.string(result.error)}",
            "      )",
        ]
    else:
        parts = urlsplit(result.url)
        origin = f"{parts.scheme}://{parts.netloc}"
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        lines += [
            f"      const body = {ts.literal(dict(result.json or {}), 3)}",
            f"      nock({ts.string(origin)}).{result.method.lower()}({ts.string(path)}, body).reply(200, {{}})",
            "",
            f"      const responses = await testDestination.testAction({ts.string(action)}, {run})",
            "",
            "      expect(responses.length).toBe(1)",
            "      expect(responses[0].status).toBe(200)",
            "      expect(responses[0].options.json).toEqual(body)",
        ]
    lines.append("    })")
    return "\n".join(lines)


def action_tests(
    definition: Definition,
    presets: Sequence[Mapping[str, Any]],
    examples: Sequence[Example],
    action: str,
    sources: str,
) -> str | None:
    """The test file for one action, or None when no example matches any of its presets."""
    cases = cases_for(definition, presets, examples, action)
    if not cases:
        return None
    tests = "\n\n".join(_test(case, action) for case in cases)
    return "\n".join(
        [
            header(sources),
            "import nock from 'nock'",
            "import { createTestEvent, createTestIntegration } from '@segment/actions-core'",
            "import destination from '../../index'",
            "",
            "const testDestination = createTestIntegration(destination)",
            f"const settings = {ts.literal(test_settings(definition))}",
            "",
            "// The mapping a workspace starts with when it adds one of the destination's presets.",
            "function presetMapping(name: string) {",
            "  const preset = destination.presets?.find((candidate) => candidate.name === name)",
            "  if (!preset) {",
            "    throw new Error(`The destination has no preset named ${name}`)",
            "  }",
            "  return preset.mapping",
            "}",
            "",
            f"describe({ts.string(definition.name)}, () => {{",
            "  beforeEach(() => {",
            "    nock.cleanAll()",
            "  })",
            "",
            f"  describe({ts.string(action)}, () => {{",
            tests,
            "  })",
            "})",
            "",
        ]
    )
