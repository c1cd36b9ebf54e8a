"""An entity page in a real headless Chromium, on a live ``zkg serve`` whose base IRI is its
own URL: the browser opens Z-Park's IRI, is sent to its page (303), and sees the label, the
fact table with sources, the statistics chart as SVG, and no console error. And the search
box with a typo in it: the entity first, with its type and a one-line description.

The browser and its checks (console errors, no request leaving loopback) are those of the
editor's browser test, reused.
``ZKG_ENTITY_SCREENSHOT=/path.png`` saves a full-page screenshot (``ZKG_SEARCH_SCREENSHOT``
the search's).
"""

from __future__ import annotations

import os
import time
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
    # The resize is the window manager's, not the page's: on a loaded machine it can land after
    # the page did; measure once the viewport is the phone's and the page has laid out in it.
    deadline = time.monotonic() + 10
    while (
        page.execute_script("return window.innerWidth") > 400
        or page.execute_script("return document.readyState") != "complete"
    ):
        assert time.monotonic() < deadline, "the window did not become phone-sized"
        time.sleep(0.05)
    # Nothing wider than the screen: wide tables scroll inside their own box.
    overflow = page.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert page.find_element(By.CSS_SELECTOR, "svg.chart").size["width"] <= 400
    page.set_window_size(1400, 1000)


def test_search_forgives_a_typo_in_a_browser(linked_data_server, page):
    page.set_window_size(1000, 900)
    page.get(linked_data_server.url)
    box = page.find_element(By.CSS_SELECTOR, "form.search-form input[name=q]")
    box.send_keys("zhongguancum")  # a typo for Zhongguancun, Z-Park's other name
    box.submit()
    assert urlsplit(page.current_url).path == "/search"
    first = page.find_element(By.CSS_SELECTOR, "ol.hits > li")
    assert _text(first.find_element(By.CSS_SELECTOR, "a.hit-label")) == "Zhongguancun Science Park"
    assert "Organization" in [_text(c) for c in first.find_elements(By.CSS_SELECTOR, ".chip")]  # its types
    description = first.find_element(By.CSS_SELECTOR, ".hit-description")
    assert _text(description).startswith("China's first science park")
    assert description.size["height"] < 2 * page.execute_script(
        "return parseFloat(getComputedStyle(arguments[0]).lineHeight)", description
    )  # one line
    assert "matched “Zhongguancun” · a near match" in _text(first.find_element(By.CSS_SELECTOR, ".hit-match"))

    screenshot = os.environ.get("ZKG_SEARCH_SCREENSHOT")
    if screenshot:
        page.save_screenshot(screenshot)

    # Chinese, and a year the name does not hold (the conference's date does).
    page.get(linked_data_server.url + "search?q=%E4%B8%AD%E5%85%B3%E6%9D%91")  # 中关村
    assert _text(page.find_element(By.CSS_SELECTOR, "ol.hits > li a.hit-label")) == "Zhongguancun Science Park"
    page.get(linked_data_server.url + "search?q=IASP+2015")
    labels = [_text(a) for a in page.find_elements(By.CSS_SELECTOR, "ol.hits > li a.hit-label")]
    assert "32nd IASP World Conference" in labels[:3]
    first = page.find_element(By.CSS_SELECTOR, "ol.hits > li")
    first.find_element(By.CSS_SELECTOR, "a.hit-label").click()
    assert urlsplit(page.current_url).path == "/page/id/iasp-world-conference-2015"
