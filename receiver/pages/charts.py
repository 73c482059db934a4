"""Server-rendered SVG charts: no JavaScript library, no CDN, no build step, nothing for the CSP to allow.

Each function takes the figures of `dashboard.summary` (the JSON the dashboard endpoint
answers) and gives an `<svg>` element. Colours are presentation attributes, not `style`
attributes, so the strict Content-Security-Policy (`style-src 'self'`) holds; every label is
escaped (account names and error codes come from event data). Every bar and point carries a
`<title>`, so hovering shows its exact value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 12, 28
PALETTE = ("#0f7a3f", "#b42318", "#9a5b00", "#667085", "#3b4bd8", "#7a2fb4", "#0e7490", "#c2410c", "#4d7c0f")
OUTCOME_COLOURS = {
    "applied": "#0f7a3f",
    "mapping_failed": "#9a5b00",
    "ignored": "#98a2b3",
    "duplicate": "#3b4bd8",
}
REFUSED_COLOURS = ("#b42318", "#d92d20", "#f04438", "#912018", "#fb6514", "#7a271a")
TICKS = 4


def _nice_max(value: float) -> float:
    """A round top for the y axis (1, 2, 2.5 or 5 times a power of ten) at or above `value`."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.3g}"


def _frame(
    title: str,
    top: float,
    y_text: Callable[[float], str],
    x_labels: Sequence[tuple[float, str]],
    unit: str | None = None,
) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    if unit:
        parts.append(
            f'<text class="unit" transform="rotate(-90)" x="{-(TOP + plot_h / 2):.1f}" y="12" text-anchor="middle" '
            f'font-size="11" fill="#667085">{escape(unit)}</text>'
        )
    for i in range(TICKS + 1):
        value = top * i / TICKS
        y = TOP + plot_h - plot_h * i / TICKS
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e4e7ec"/>')
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#667085">'
            f"{escape(y_text(value))}</text>"
        )
    for x, label in x_labels:
        # A label at either edge is anchored inward, so it is never cut off.
        anchor = "start" if x <= LEFT + 16 else "end" if x >= WIDTH - RIGHT - 16 else "middle"
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="{anchor}" font-size="11" fill="#667085">'
            f"{escape(label)}</text>"
        )
    return parts


def _time_label(iso: str) -> str:
    return datetime.fromisoformat(iso).strftime("%H:%M")


def _bucket_labels(buckets: Sequence[str], slot: float) -> list[tuple[float, str]]:
    if not buckets:
        return []
    picks = sorted({0, len(buckets) // 2, len(buckets) - 1})
    return [(LEFT + slot * (i + 0.5), _time_label(buckets[i])) for i in picks]


def stacked_bars(
    title: str,
    buckets: Sequence[str],
    series: Mapping[str, Sequence[float]],
    colours: Mapping[str, str],
    *,
    unit: str | None = None,
) -> Markup:
    """One bar per bucket, its series stacked in the order given; empty buckets draw nothing.

    `unit` labels the y axis (e.g. "events / min": the values are rates, whatever the bucket width)."""
    count = max(len(buckets), 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / count
    totals = [sum(values[i] for values in series.values()) for i in range(len(buckets))]
    top = _nice_max(max(totals, default=0))
    parts = _frame(title, top, _number, _bucket_labels(buckets, slot), unit)
    for i, bucket in enumerate(buckets):
        base = 0.0
        for name, values in series.items():
            value = values[i]
            if not value:
                continue
            y0 = TOP + plot_h - plot_h * base / top
            height = plot_h * value / top
            x = LEFT + slot * i + slot * 0.1
            parts.append(
                f'<rect class="bar" data-series="{escape(name)}" x="{x:.1f}" y="{y0 - height:.1f}" '
                f'width="{max(slot * 0.8, 1):.1f}" height="{height:.1f}" fill="{colours.get(name, "#667085")}">'
                f"<title>{escape(_time_label(bucket))} {escape(name)}: {_number(value)}</title></rect>"
            )
            base += value
    parts.append("</svg>")
    return Markup("".join(parts))


def lines(
    title: str,
    series: Mapping[str, Sequence[tuple[float, float]]],
    *,
    x_range: tuple[float, float],
    x_label: Callable[[float], str],
    y_text: Callable[[float], str] = _number,
    step: bool = False,
    unit: str | None = None,
) -> Markup:
    """A line per series over numeric x (y at or above 0); `step` draws a staircase (a balance holds until the next event)."""
    low, high = x_range
    span = (high - low) or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = _nice_max(max((y for points in series.values() for _, y in points), default=0.0))

    def at(x: float, y: float) -> tuple[float, float]:
        return LEFT + plot_w * (x - low) / span, TOP + plot_h - plot_h * max(y, 0.0) / top

    ticks = [(LEFT + plot_w * f, x_label(low + span * f)) for f in (0.0, 0.5, 1.0)]
    parts = _frame(title, top, y_text, ticks, unit)
    for index, (name, points) in enumerate(series.items()):
        colour = PALETTE[index % len(PALETTE)]
        coords: list[tuple[float, float]] = []
        for x, y in points:
            px, py = at(x, y)
            if step and coords:
                coords.append((px, coords[-1][1]))
            coords.append((px, py))
        if step and coords:
            coords.append((LEFT + plot_w, coords[-1][1]))
        if len(coords) > 1:
            path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(coords))
            parts.append(
                f'<path class="line" data-series="{escape(name)}" d="{path}" fill="none" '
                f'stroke="{colour}" stroke-width="2"/>'
            )
        for x, y in points:
            px, py = at(x, y)
            parts.append(
                f'<circle class="point" data-series="{escape(name)}" cx="{px:.1f}" cy="{py:.1f}" r="3" '
                f'fill="{colour}"><title>{escape(name)} {escape(x_label(x))}: {escape(y_text(y))}</title></circle>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def legend(names: Sequence[str], colours: Mapping[str, str]) -> list[tuple[str, str]]:
    """(name, colour) pairs for the HTML legend beside a chart."""
    return [(name, colours.get(name, "#667085")) for name in names]


def outcome_colours(codes: Sequence[str]) -> dict[str, str]:
    """Fixed colours for the outcomes, reds for the refusal codes."""
    colours = dict(OUTCOME_COLOURS)
    for index, code in enumerate(codes):
        colours[code] = REFUSED_COLOURS[index % len(REFUSED_COLOURS)]
    return colours


def line_colours(names: Sequence[str]) -> dict[str, str]:
    return {name: PALETTE[index % len(PALETTE)] for index, name in enumerate(names)}
