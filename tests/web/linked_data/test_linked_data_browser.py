"""An entity page in a real headless Chromium, on a live ``zkg serve`` whose base IRI is its
own URL: the browser opens Z-Park's IRI, is sent to its page (303), and sees the label, the
fact table with sources, the statistics chart as SVG, and no console error.

The browser and its checks (console errors, no request leaving loopback) are those of the
editor's browser test, reused.
``ZKG_ENTITY_SCREENSHOT=/path.png`` saves a full-page screenshot.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from selenium.webdriver.common.by import By


def _text(element) -> str:
    return " ".join(element.text.split())


def test_z_park_page_in_a_browser(linked_data_server, page):
    base = linked_data_server.url
    page.set_window_size(1400, 1000)
    page.get(base + "id/z-park")  # the IRI itself: the browser's Accept gets the page
    assert urlsplit(page.current_url).path == "/page/id/z-park"
    assert _text(page.find_element(By.TAG_NAME, "h1")) == "Zhongguancun Science Park"
    assert page.title.startswith("Zhongguancun Science Park")

    # The fact table: properties, values, and a source in every row.
    rows = page.find_elements(By.CSS_SELECTOR, "table.facts:not(.incoming) tbody tr")
    assert len(rows) >= 10
    for row in rows:
        assert _text(row.find_element(By.CSS_SELECTOR, "td.source-cell")), _text(row)
    founded = next(r for r in page.find_elements(By.CSS_SELECTOR, "table.facts tbody") if "founding date" in r.text)
    assert "1988" in founded.text and "China Daily, 5 March 2016, p. 7" in founded.text
    assert "中关村科技园区" in page.find_element(By.CSS_SELECTOR, "table.facts").text

    # The charts: server-rendered SVG, drawn with bars, named and described.
    charts = page.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert len(charts) == 2
    for chart in charts:
        assert chart.size["width"] > 200 and chart.size["height"] > 100
        assert len(chart.find_elements(By.CSS_SELECTOR, "rect.chart-bar")) == 2
    assert (
        page.execute_script("return document.querySelector('svg.chart title').textContent")
        == "mergers and acquisitions completed"
    )
    values = [t.text for t in charts[0].find_elements(By.CSS_SELECTOR, "text.chart-value")]
    assert values == ["218", "492"]
    statistics = page.find_element(By.CSS_SELECTOR, "table.statistics").text
    assert "CNY 183.4 billion" in statistics and "+40.7 %" in statistics
    assert page.find_element(By.CSS_SELECTOR, "svg.neighbourhood").is_displayed()

    screenshot = os.environ.get("ZKG_ENTITY_SCREENSHOT")
    if screenshot:
        height = page.execute_script("return document.documentElement.scrollHeight")
        page.set_window_size(1400, height + 120)
        page.save_screenshot(screenshot)
        page.set_window_size(1400, 1000)

    # Following a link by its label leads to that entity's page.
    owns = next(r for r in page.find_elements(By.CSS_SELECTOR, "table.facts tbody") if r.text.startswith("owns"))
    owns.find_element(By.LINK_TEXT, "Zhongguancun Development Group").click()
    assert urlsplit(page.current_url).path == "/page/id/zhongguancun-development-group"
    assert _text(page.find_element(By.TAG_NAME, "h1")) == "Zhongguancun Development Group"


def test_the_page_fits_a_phone(linked_data_server, page):
    page.set_window_size(400, 900)
    page.get(linked_data_server.url + "page/id/z-park")
    # Nothing wider than the screen: wide tables scroll inside their own box.
    overflow = page.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert page.find_element(By.CSS_SELECTOR, "svg.chart").size["width"] <= 400
    page.set_window_size(1400, 1000)
