"""The model guide and a data set's page in a real headless Chromium, on a live ``zkg serve``
whose base IRI is its own URL (issue 15): a reader opens the vocabulary's IRI, reads two
classes' required properties with their CURIEs and real examples, follows a class to its
entities, and opens a data set's page with its table and its CSV."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By


def _text(element) -> str:
    return " ".join(element.text.split())


def _rows(page, section_id: str) -> dict[str, list[str]]:
    rows = {}
    for tr in page.find_elements(By.CSS_SELECTOR, f"#{section_id} table.model-properties tbody tr"):
        cells = [_text(c) for c in tr.find_elements(By.CSS_SELECTOR, "th, td")]
        if len(cells) == 6 and cells[3] == "required":
            rows[cells[0].split()[0]] = cells
    return rows


@pytest.mark.parametrize(
    "section, required, example",
    [
        ("schema-Person", ["rdfs:label", "schema:name"], "schema:name"),
        ("zkg-Bid", ["rdfs:label", "schema:agent", "schema:object"], "schema:object"),
    ],
)
def test_the_model_guide_shows_a_class(linked_data_server, page, section, required, example):
    page.set_window_size(1400, 1000)
    page.get(linked_data_server.url + "def/")  # the vocabulary's IRI: the browser gets the guide
    assert urlsplit(page.current_url).path == "/page/def/"
    assert "the model guide" in _text(page.find_element(By.TAG_NAME, "h1"))
    heading = page.find_element(By.CSS_SELECTOR, f"#{section} h3")
    assert heading.is_displayed() and section.replace("-", ":", 1) in heading.text
    rows = _rows(page, section)
    assert set(required) <= set(rows), rows
    assert rows[example][4] not in ("", "—")  # a real example value, shown
    assert int(rows[example][5].replace(",", "")) >= 1  # and how many entities have it
    # The diagram is drawn (SVG, no script) and names the classes.
    diagram = page.find_element(By.CSS_SELECTOR, "svg.model-diagram")
    assert diagram.size["width"] > 600 and diagram.size["height"] > 300
    # The class's entities, listed here.
    page.find_element(By.CSS_SELECTOR, f"#{section} a[href$='/instances']").click()
    assert urlsplit(page.current_url).path.endswith("/instances")
    assert len(page.find_elements(By.CSS_SELECTOR, "ol.instances li a")) >= 1


def test_a_data_set_page_shows_its_table_and_offers_the_csv(linked_data_server, page):
    page.set_window_size(1400, 1000)
    page.get(linked_data_server.url + "id/stats-z-park-headline")
    assert urlsplit(page.current_url).path == "/page/id/stats-z-park-headline"
    table = page.find_element(By.CSS_SELECTOR, "table.statistics")
    rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert len(rows) >= 10
    text = table.text
    assert "mergers and acquisitions completed" in text and "492" in text and "of: Zhongguancun Science Park" in text
    assert len(page.find_elements(By.CSS_SELECTOR, "svg.chart")) >= 2
    csv_link = page.find_element(By.CSS_SELECTOR, "p.downloads a[type='text/csv']")
    assert urlsplit(csv_link.get_attribute("href")).path == "/tables/id/stats-z-park-headline.csv"


@pytest.mark.parametrize("path", ["page/def/", "model/schema:Person", "page/id/stats-z-park-headline"])
def test_the_guide_and_a_data_set_fit_a_phone(linked_data_server, page, path):
    page.set_window_size(400, 900)
    page.get(linked_data_server.url + path)
    deadline = time.monotonic() + 10
    while page.execute_script("return window.innerWidth") > 400:  # the resize may land after the page
        assert time.monotonic() < deadline, "the window did not become phone-sized"
        time.sleep(0.05)
    # Nothing wider than the screen: wide tables scroll inside their own box.
    assert page.execute_script("return document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.set_window_size(1400, 1000)
