"""zkg.linked_data.charts: well-formed, accessible SVG; labels escaped; links to pages."""

import xml.etree.ElementTree as ET

from zkg.linked_data.charts import Neighbour, bar_chart, neighbourhood

SVG = "{http://www.w3.org/2000/svg}"


def test_bar_chart():
    svg = bar_chart("M&A <completed>", [("2014", 21, True), ("2015", 36, False)], lambda v: f"{v:,}", element_id="c1")
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and root.get("aria-labelledby") == "c1-t c1-d"
    assert root.find(f"{SVG}title").text == "M&A <completed>"
    assert root.find(f"{SVG}desc").text == "2014: 21 (derived); 2015: 36"
    bars = [r for r in root.iter(f"{SVG}rect") if "chart-bar" in (r.get("class") or "")]
    assert len(bars) == 2
    assert bars[0].get("fill") == "url(#c1-hatch)" and bars[1].get("fill") is None
    heights = [float(b.get("height")) for b in bars]
    assert heights[1] > heights[0] > 0
    assert "derived, not printed" in svg


def test_neighbourhood_links_and_escapes():
    neighbours = [Neighbour(f"N{i} <&>", f"/page/id/n{i}?a=1&b=2", "linked to", i % 2 == 0) for i in range(20)]
    svg = neighbourhood("Centre & co", neighbours, limit=14, element_id="h")
    root = ET.fromstring(svg)
    links = list(root.iter(f"{SVG}a"))
    assert len(links) == 14
    assert links[0].get("href") == "/page/id/n0?a=1&b=2"
    assert "and 6 more" in svg
    assert root.find(f"{SVG}title").text == "Centre & co and 20 linked resources"


def test_neighbourhood_without_links():
    root = ET.fromstring(neighbourhood("Alone", [Neighbour("external", None, "sameAs", False)]))
    assert not list(root.iter(f"{SVG}a")) and len(list(root.iter(f"{SVG}circle"))) == 2
