"""The data dictionary: every planned event and what it carries, as Markdown or HTML.

Product, analytics and privacy people read the plan here rather than in YAML; PII is marked.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from destination.plan.model import PlannedEvent, TrackingPlan
from destination.plan.pii import PERSONAL, kind_of


@dataclass(frozen=True)
class Row:
    """One property or trait (a nested one is named with dots: `address.city`)."""

    name: str
    type: str
    required: bool
    rule: str  # its enum or pattern (and format), "" when none
    pii: str  # "yes" (pii: true), the kind (email, phone, name), "" when not personal data
    description: str


def _rule(spec: Mapping[str, Any]) -> str:
    parts = []
    if "enum" in spec:
        parts.append("one of " + ", ".join(map(_shown, spec["enum"])))
    if "pattern" in spec:
        parts.append(f"matches {spec['pattern']}")
    if "format" in spec:
        parts.append(f"format {spec['format']}")
    return "; ".join(parts)


def _pii(marked: Any) -> str:
    kind = kind_of(marked)
    return "" if kind is None else "yes" if kind == PERSONAL else kind


def _shown(value: Any) -> str:
    return "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def rows(schema: Mapping[str, Any], prefix: str = "") -> Iterator[Row]:
    """The rows of an object schema, each nested object's members after it."""
    required = schema.get("required") or []
    for name, spec in (schema.get("properties") or {}).items():
        kind = spec.get("type", "any")
        yield Row(
            f"{prefix}{name}",
            " or ".join(kind) if isinstance(kind, list) else kind,
            name in required,
            _rule(spec),
            _pii(spec.get("pii")),
            spec.get("description", ""),
        )
        if "properties" in spec:
            yield from rows(spec, f"{prefix}{name}.")
        elif isinstance(spec.get("items"), Mapping) and "properties" in spec["items"]:
            yield from rows(spec["items"], f"{prefix}{name}[].")


def _title(event: PlannedEvent) -> str:
    return f"{event.name} ({event.type})" if event.name else event.type


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _unplanned(plan: TrackingPlan, code: tuple[str, str] = ("`", "`")) -> str:
    """What the receiver does with an unplanned event: nothing, or the plan's own policy on a violation."""
    return "allowed" if plan.allow_unplanned else f"a violation (policy {code[0]}{plan.policy}{code[1]})"


def markdown(plan: TrackingPlan) -> str:
    """The dictionary as Markdown: a heading per event, a table of its properties or traits."""
    lines = [f"# Tracking plan (version {plan.version})", ""]
    lines.append(f"Unplanned events: {_unplanned(plan)}.")
    for event in plan.events:
        lines += ["", f"## {_title(event)}", ""]
        if event.description:
            lines += [event.description, ""]
        lines.append(f"Version {event.version}, policy `{event.policy}`.")
        found = list(rows(event.schema))
        if not found:
            continue
        lines += ["", f"| {event.section} | type | required | enum / pattern | PII | description |"]
        lines.append("|---|---|---|---|---|---|")
        for r in found:
            cells = [f"`{r.name}`", r.type, "yes" if r.required else "no", _cell(r.rule), r.pii]
            lines.append("| " + " | ".join([*cells, _cell(r.description)]) + " |")
    return "\n".join(lines) + "\n"


def html_page(plan: TrackingPlan) -> str:
    """The dictionary as one HTML page (escaped), for publishing beside the docs."""
    e = html.escape
    out = [
        '<!doctype html>\n<html lang="en">\n<meta charset="utf-8">',
        f"<title>Tracking plan (version {plan.version})</title>",
        f"<h1>Tracking plan (version {plan.version})</h1>",
        f"<p>Unplanned events: {_unplanned(plan, ('<code>', '</code>'))}.</p>",
    ]
    for event in plan.events:
        out.append(f"<h2>{e(_title(event))}</h2>")
        if event.description:
            out.append(f"<p>{e(event.description)}</p>")
        out.append(f"<p>Version {event.version}, policy <code>{e(event.policy)}</code>.</p>")
        found = list(rows(event.schema))
        if not found:
            continue
        head = "".join(
            f"<th>{h}</th>" for h in (event.section, "type", "required", "enum / pattern", "PII", "description")
        )
        out.append(f"<table>\n<tr>{head}</tr>")
        for r in found:
            cells = [f"<code>{e(r.name)}</code>", e(r.type), "yes" if r.required else "no", e(r.rule)]
            cells += [e(r.pii), e(r.description)]
            out.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        out.append("</table>")
    out.append("</html>")
    return "\n".join(out) + "\n"
