"""Server-rendered SVG: a bar chart of a yearly series, and a picture of an entity's
neighbourhood. Plain SVG text, no script: pages stay readable without JavaScript, and the
charts print. Colours come from CSS classes (``static/pages.css``), so the page's palette
applies; each SVG carries a ``<title>`` and ``<desc>`` saying in words what it shows.

>>> svg = bar_chart("Mergers", [("2014", 218, False), ("2015", 492, False)], lambda v: f"{v:,}")
>>> svg.startswith("<svg") and "<title" in svg and "492" in svg
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import Callable, Sequence

from zkg.rdf.visible import visible


def _esc(text) -> str:
    return escape(visible(str(text)), quote=True)  # no hidden characters (zkg.rdf.visible)


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def bar_chart(
    title: str,
    points: Sequence[tuple[str, float, bool]],
    format_value: Callable[[float], str],
    *,
    element_id: str = "chart",
    width: int = 360,
    height: int = 200,
) -> str:
    """Bars for ``(period label, value, derived)`` points, oldest first; derived values
    (computed from other figures, not printed by the source) are drawn hatched. ``title``
    is the SVG's accessible name; the page shows it as the figure's caption.
    ``element_id`` prefixes the SVG's ids, which must be unique in the page."""
    chart_id = element_id
    left, right, top, bottom = 16, 16, 22, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    largest = max((abs(v) for _p, v, _d in points), default=0) or 1
    slot = plot_w / max(len(points), 1)
    bar_w = min(64.0, slot * 0.6)
    described = "; ".join(f"{p}: {format_value(v)}" + (" (derived)" if d else "") for p, v, d in points)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-t">{_esc(title)}</title>',
        f'<desc id="{chart_id}-d">{_esc(described)}</desc>',
        f'<defs><pattern id="{chart_id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect class="chart-hatch-bg" width="6" height="6"/>'
        f'<line class="chart-hatch" x1="0" y1="0" x2="0" y2="6" stroke-width="3"/></pattern></defs>',
    ]
    baseline = top + plot_h
    for index, (period, value, derived) in enumerate(points):
        bar_h = plot_h * abs(value) / largest
        x = left + slot * index + (slot - bar_w) / 2
        y = baseline - bar_h
        fill = f' fill="url(#{chart_id}-hatch)"' if derived else ""
        css = "chart-bar chart-bar-derived" if derived else "chart-bar"
        label = format_value(value) + (" (derived)" if derived else "")
        parts.append(
            f'<rect class="{css}"{fill} x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{bar_h:.1f}" rx="2">'
            f"<title>{_esc(period)}: {_esc(label)}</title></rect>"
        )
        parts.append(
            f'<text class="chart-value" x="{x + bar_w / 2:.1f}" y="{y - 5:.1f}" text-anchor="middle">{_esc(format_value(value))}</text>'
        )
        parts.append(
            f'<text class="chart-axis" x="{x + bar_w / 2:.1f}" y="{baseline + 16:.1f}" text-anchor="middle">'
            f"{_esc(period)}{'*' if derived else ''}</text>"
        )
    parts.append(f'<line class="chart-baseline" x1="{left}" y1="{baseline}" x2="{width - right}" y2="{baseline}"/>')
    if any(d for _p, _v, d in points):
        parts.append(
            f'<text class="chart-note" x="{width - right}" y="{height - 4}" text-anchor="end">* derived, not printed in the source</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class Neighbour:
    """One resource linked to the centre: its label, where its page is, and the link."""

    label: str
    href: str | None
    relation: str  # the property's label
    incoming: bool  # True: the neighbour points to the centre


def neighbourhood(
    centre: str,
    neighbours: Sequence[Neighbour],
    *,
    limit: int = 14,
    element_id: str = "hood",
    width: int = 900,
    height: int | None = None,
) -> str:
    """The centre with up to ``limit`` neighbours around it on an ellipse, each a link to its
    page, each edge labelled with its property (arrows show the direction). The picture is
    flatter when there are few neighbours."""
    chart_id = element_id
    shown = list(neighbours[:limit])
    if height is None:
        height = 300 if len(shown) <= 4 else 390 if len(shown) <= 8 else 470
    hidden = len(neighbours) - len(shown)
    cx, cy = width / 2, height / 2
    # Room on both sides for labels of up to 28 characters beside the outermost nodes.
    rx, ry = width / 2 - 235, height / 2 - 55
    summary = f"{centre} and {len(neighbours)} linked resource{'s' if len(neighbours) != 1 else ''}"
    parts = [
        f'<svg class="neighbourhood" viewBox="0 0 {width} {height}" role="group" aria-labelledby="{chart_id}-t" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-t">{_esc(summary)}</title>',
        f'<defs><marker id="{chart_id}-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto-start-reverse"><path class="hood-arrow" d="M0,0 L10,5 L0,10 z"/></marker></defs>',
    ]
    places = []
    for index, neighbour in enumerate(shown):
        angle = -math.pi / 2 + 2 * math.pi * index / max(len(shown), 1)
        places.append((neighbour, cx + rx * math.cos(angle), cy + ry * math.sin(angle), angle))
    for neighbour, x, y, _angle in places:
        # Stop lines short of the node circles so the arrowheads show.
        dx, dy = x - cx, y - cy
        length = math.hypot(dx, dy) or 1
        ux, uy = dx / length, dy / length
        x1, y1, x2, y2 = cx + ux * 34, cy + uy * 34, x - ux * 9, y - uy * 9
        if neighbour.incoming:
            x1, y1, x2, y2 = x2, y2, x1, y1
        parts.append(
            f'<line class="hood-edge" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            f'marker-end="url(#{chart_id}-arrow)"/>'
        )
        mx, my = cx + dx * 0.6, cy + dy * 0.6
        parts.append(
            f'<text class="hood-relation" x="{mx:.1f}" y="{my - 3:.1f}" text-anchor="middle">'
            f"{_esc(_truncate(neighbour.relation, 24))}</text>"
        )
    parts.append(f'<circle class="hood-centre" cx="{cx:.1f}" cy="{cy:.1f}" r="30"/>')
    parts.append(
        f'<text class="hood-centre-label" x="{cx:.1f}" y="{cy + 48:.1f}" text-anchor="middle">'
        f"{_esc(_truncate(centre, 40))}</text>"
    )
    for neighbour, x, y, angle in places:
        anchor = "middle" if abs(math.cos(angle)) < 0.2 else ("start" if math.cos(angle) > 0 else "end")
        offset_x = 0 if anchor == "middle" else (13 if anchor == "start" else -13)
        offset_y = (-14 if math.sin(angle) < 0 else 22) if anchor == "middle" else 4
        node = (
            f'<circle class="hood-node{" hood-node-in" if neighbour.incoming else ""}" cx="{x:.1f}" cy="{y:.1f}" r="8"/>'
            f'<text class="hood-label" x="{x + offset_x:.1f}" y="{y + offset_y:.1f}" text-anchor="{anchor}">'
            f"{_esc(_truncate(neighbour.label, 28))}</text>"
        )
        what = f"{neighbour.label} ({neighbour.relation}{', links here' if neighbour.incoming else ''})"
        if neighbour.href:
            parts.append(
                f'<a href="{_esc(neighbour.href)}" aria-label="{_esc(what)}"><title>{_esc(what)}</title>{node}</a>'
            )
        else:
            parts.append(f"<g><title>{_esc(what)}</title>{node}</g>")
    if hidden > 0:
        parts.append(
            f'<text class="chart-note" x="{width - 10}" y="{height - 8}" text-anchor="end">'
            f"and {hidden} more (listed on this page)</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
