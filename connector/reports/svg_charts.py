"""Charts of the report page as inline SVG, drawn when the page is built: no script, no library, no network.

Three shapes cover every chart: horizontal bars (one or two series per row, an optional reference line), vertical
bars (a histogram) and a line over time. Sizes are in SVG user units; the page scales them to its width.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 640
ROW_HEIGHT = 22
LABEL_WIDTH = 190
VALUE_WIDTH = 110
CHART_HEIGHT = 220
MARGIN = 28
COLORS = ("#2563eb", "#dc2626", "#16a34a")
AXIS = "#94a3b8"


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


def _svg(height: float, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
        f'aria-label="{escape(title)}" font-family="system-ui, sans-serif" font-size="12">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _text(x: float, y: float, content: str, anchor: str = "start", fill: str = "#0f172a") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}">{escape(content)}</text>'


def _legend(series: Sequence[Series], y: float) -> list[str]:
    if len(series) < 2:
        return []
    parts, x = [], LABEL_WIDTH
    for color, each in zip(COLORS, series, strict=False):
        parts.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{color}"/>')
        parts.append(_text(x + 14, y, each.name))
        x += 24 + 7 * len(each.name)
    return parts


def horizontal_bars(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    value_text: Callable[[float], str],
    *,
    top: float | None = None,
    reference: float | None = None,
) -> str:
    """A row per label with one bar per series; bars scale to `top` (default: the largest value)."""
    per_row = ROW_HEIGHT * len(series) + 8
    height = MARGIN + per_row * len(labels) + 8
    values = [value for each in series for value in each.values if value is not None]
    scale_top = top or max(values, default=0) or 1
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    body = _legend(series, MARGIN - 10)
    for row, label in enumerate(labels):
        y = MARGIN + row * per_row
        body.append(_text(LABEL_WIDTH - 8, y + per_row / 2, label, "end"))
        for index, each in enumerate(series):
            value = each.values[row]
            bar_y = y + index * ROW_HEIGHT
            length = 0 if value is None else max(1.0, span * max(value, 0) / scale_top)
            body.append(
                f'<rect x="{LABEL_WIDTH}" y="{bar_y:.1f}" width="{length:.1f}" height="{ROW_HEIGHT - 4}" '
                f'fill="{COLORS[index % len(COLORS)]}"><title>{escape(label)}: {escape(each.name)}</title></rect>'
            )
            shown = "n/a" if value is None else value_text(value)
            body.append(_text(LABEL_WIDTH + length + 6, bar_y + ROW_HEIGHT / 2 + 2, shown))
    if reference is not None:
        x = LABEL_WIDTH + span * reference / scale_top
        body.append(
            f'<line x1="{x:.1f}" y1="{MARGIN - 4}" x2="{x:.1f}" y2="{height - 4:.1f}" stroke="{AXIS}" '
            'stroke-dasharray="4 3"/>'
        )
    return _svg(height, body, title)


def vertical_bars(
    title: str, labels: Sequence[str], values: Sequence[float], value_text: Callable[[float], str]
) -> str:
    """A histogram: a bar per label, the label under it and the value above."""
    plot = CHART_HEIGHT - 2 * MARGIN
    slot = (WIDTH - 2 * MARGIN) / max(len(labels), 1)
    top = max(values, default=0) or 1
    body = [f'<line x1="{MARGIN}" y1="{MARGIN + plot}" x2="{WIDTH - MARGIN}" y2="{MARGIN + plot}" stroke="{AXIS}"/>']
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        height = plot * value / top
        x = MARGIN + index * slot
        body.append(
            f'<rect x="{x + 3:.1f}" y="{MARGIN + plot - height:.1f}" width="{slot - 6:.1f}" height="{height:.1f}" '
            f'fill="{COLORS[0]}"><title>{escape(label)}</title></rect>'
        )
        body.append(_text(x + slot / 2, MARGIN + plot - height - 4, value_text(value), "middle"))
        body.append(_text(x + slot / 2, MARGIN + plot + 16, label, "middle", AXIS))
    return _svg(CHART_HEIGHT, body, title)


def line_chart(title: str, labels: Sequence[str], values: Sequence[float], value_text: Callable[[float], str]) -> str:
    """Values over time, each point marked and its value written above; labels (dates) under every few points."""
    plot = CHART_HEIGHT - 2 * MARGIN
    top = max(max(values, default=0), 1e-9) * 1.15
    step = (WIDTH - 2 * MARGIN) / max(len(values) - 1, 1)
    points = [(MARGIN + index * step, MARGIN + plot - plot * value / top) for index, value in enumerate(values)]
    every = max(1, len(values) // 6)
    body = [f'<line x1="{MARGIN}" y1="{MARGIN + plot}" x2="{WIDTH - MARGIN}" y2="{MARGIN + plot}" stroke="{AXIS}"/>']
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    body.append(f'<polyline points="{path}" fill="none" stroke="{COLORS[0]}" stroke-width="2"/>')
    for index, ((x, y), value) in enumerate(zip(points, values, strict=True)):
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{COLORS[0]}"/>')
        if (len(values) - 1 - index) % every == 0:  # counted back from the newest, which is always labelled
            body.append(_text(x, y - 8, value_text(value), "middle"))
            body.append(_text(x, MARGIN + plot + 16, labels[index], "middle", AXIS))
    return _svg(CHART_HEIGHT, body, title)
