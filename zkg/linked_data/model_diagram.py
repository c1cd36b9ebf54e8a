"""The model guide's picture: the classes the data uses and the properties that link them,
as server-rendered SVG (no script, like the pages' charts in :mod:`zkg.linked_data.charts`).

The most linked class sits in the centre, the others on an ellipse around it; each arrow is
every property from one class to another, labelled with them (the first two, then "+N").
A class pointing at itself gets a loop. The page lists every link in a table beside it, so
nothing is only in the picture.

>>> svg = class_diagram(
...     [DiagramClass("o", "Organization", "schema:Organization", "#o", 40),
...      DiagramClass("p", "Person", "schema:Person", "#p", 7)],
...     [("p", "org:headOf", "o"), ("o", "zkg:owns", "o")])
>>> svg.startswith("<svg") and "org:headOf" in svg and "schema:Person" in svg
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from typing import Sequence

from zkg.rdf.visible import visible


@dataclass
class DiagramClass:
    key: str  # the class IRI
    label: str
    curie: str
    href: str | None
    instances: int


def _esc(text) -> str:
    return escape(visible(str(text)), quote=True)


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _edge_label(props: list[str]) -> str:
    shown = ", ".join(props[:2])
    return shown + (f" +{len(props) - 2}" if len(props) > 2 else "")


def class_diagram(
    classes: Sequence[DiagramClass],
    links: Sequence[tuple[str, str, str]],
    *,
    element_id: str = "model-diagram",
    width: int = 1000,
    height: int = 720,
) -> str:
    """``links``: (source class, property CURIE, target class), among ``classes``."""
    keys = {c.key for c in classes}
    grouped: dict[tuple[str, str], list[str]] = {}
    for source, prop, target in links:
        if source in keys and target in keys:
            props = grouped.setdefault((source, target), [])
            if prop not in props:
                props.append(prop)
    degree = {c.key: 0 for c in classes}
    for source, target in grouped:
        degree[source] += 1
        degree[target] += 1
    ordered = sorted(classes, key=lambda c: (-degree[c.key], -c.instances, c.curie))
    places: dict[str, tuple[float, float]] = {}
    cx, cy = width / 2, height / 2
    if ordered:
        places[ordered[0].key] = (cx, cy)
    ring = ordered[1:]
    rx, ry = width / 2 - 120, height / 2 - 60
    for index, cls in enumerate(ring):
        angle = -math.pi / 2 + 2 * math.pi * index / max(len(ring), 1)
        places[cls.key] = (cx + rx * math.cos(angle), cy + ry * math.sin(angle))
    summary = f"{len(classes)} classes and the {sum(len(p) for p in grouped.values())} properties that link them"
    parts = [
        f'<svg class="model-diagram" viewBox="0 0 {width} {height}" role="group" aria-labelledby="{element_id}-t" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{element_id}-t">{_esc(summary)}</title>',
        f'<defs><marker id="{element_id}-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto-start-reverse"><path class="hood-arrow" d="M0,0 L10,5 L0,10 z"/></marker></defs>',
    ]
    box_w, box_h = 150, 40
    for (source, target), props in sorted(grouped.items()):
        label = _esc(_truncate(_edge_label(props), 34))
        title = _esc(f"{source} → {target}: " + ", ".join(props))
        x1, y1 = places[source]
        x2, y2 = places[target]
        if source == target:  # a loop above the box
            path = f"M{x1 - 30:.1f},{y1 - box_h / 2:.1f} C{x1 - 40:.1f},{y1 - 75:.1f} {x1 + 40:.1f},{y1 - 75:.1f} {x1 + 30:.1f},{y1 - box_h / 2:.1f}"
            parts.append(
                f'<g><title>{title}</title><path class="hood-edge" fill="none" d="{path}" '
                f'marker-end="url(#{element_id}-arrow)"/>'
                f'<text class="hood-relation" x="{x1:.1f}" y="{y1 - 64:.1f}" text-anchor="middle">{label}</text></g>'
            )
            continue
        # Two arrows between one pair bend apart, so both stay visible.
        dx, dy = x2 - x1, y2 - y1
        length = math.hypot(dx, dy) or 1
        ux, uy = dx / length, dy / length
        bend = 28 if (target, source) in grouped else 0
        nx, ny = -uy * bend, ux * bend
        # Stop at the boxes' edges: the shorter of the horizontal and vertical reach.
        reach = min((box_w / 2 + 4) / (abs(ux) or 1e-9), (box_h / 2 + 4) / (abs(uy) or 1e-9))
        sx, sy, ex, ey = x1 + ux * reach, y1 + uy * reach, x2 - ux * reach, y2 - uy * reach
        mx, my = (sx + ex) / 2 + nx, (sy + ey) / 2 + ny
        parts.append(
            f'<g><title>{title}</title><path class="hood-edge" fill="none" '
            f'd="M{sx:.1f},{sy:.1f} Q{mx:.1f},{my:.1f} {ex:.1f},{ey:.1f}" marker-end="url(#{element_id}-arrow)"/>'
            f'<text class="hood-relation" x="{(sx + ex) / 2 + nx / 2:.1f}" y="{(sy + ey) / 2 + ny / 2 - 3:.1f}" '
            f'text-anchor="middle">{label}</text></g>'
        )
    for cls in ordered:
        x, y = places[cls.key]
        box = (
            f'<rect class="model-class" x="{x - box_w / 2:.1f}" y="{y - box_h / 2:.1f}" width="{box_w}" '
            f'height="{box_h}" rx="6"/>'
            f'<text class="model-class-label" x="{x:.1f}" y="{y - 3:.1f}" text-anchor="middle">'
            f"{_esc(_truncate(cls.label, 22))}</text>"
            f'<text class="model-class-curie" x="{x:.1f}" y="{y + 13:.1f}" text-anchor="middle">'
            f"{_esc(_truncate(cls.curie, 26))}</text>"
        )
        what = f"{cls.label} ({cls.curie}): {cls.instances:,} instance{'s' if cls.instances != 1 else ''}"
        if cls.href:
            parts.append(f'<a href="{_esc(cls.href)}" aria-label="{_esc(what)}"><title>{_esc(what)}</title>{box}</a>')
        else:
            parts.append(f"<g><title>{_esc(what)}</title>{box}</g>")
    parts.append("</svg>")
    return "".join(parts)
