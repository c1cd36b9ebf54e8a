"""The query editor in a real headless Chromium, against a live ``zkg serve`` on loopback.

Needs Debian's ``chromium`` and ``chromium-driver`` packages (``.ci/run`` installs them;
by hand: ``apt-get install chromium chromium-driver``) and Selenium (the ``test`` extra).
The test fails, it is not skipped, when they are missing.

What it checks: an example query loads into the editor and runs; the results table shows the
expected rows, and IRI cells link to the entity IRIs (the base IRI is conftest's test base); a query in the URL opens and runs;
term completion reads /sparql/terms.json; the browser console stays free of errors (CSP
violations included) and no request leaves loopback. ``ZKG_EDITOR_SCREENSHOT=/path.png``
saves a screenshot of the editor with results.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.browser import WAIT
from tests.support.zkg_testing import TEST_BASE
from zkg.web.sparql.editor import example_queries

# The live server is conftest's ``live_server``: a real ``zkg serve`` (on a store made by
# ``zkg load`` from the project's graph/) on a free loopback port, shared by the session.


@pytest.fixture(scope="module")
def live(live_server) -> str:
    return live_server.url


# -- the browser: tests/web/conftest.py's ``browser`` and ``page`` (tests/support/browser.py) --------


def _wait(driver, condition, message: str, timeout: float = WAIT):
    return WebDriverWait(driver, timeout).until(lambda d: condition(d), message)


def _open_editor(driver, url: str) -> None:
    driver.get(url)
    _wait(
        driver,
        lambda d: d.execute_script("return !!(window.zkgEditor && zkgEditor.yasgui.getTab())"),
        "the editor did not start",
    )


def _table_rows(driver) -> list[list[str]]:
    """The cells of the results table (without the row-number column), as text."""
    return driver.execute_script("""
        return Array.from(document.querySelectorAll('.yasr .dataTable tbody tr'))
            .filter(tr => !tr.querySelector('td.dt-empty'))
            .map(tr => Array.from(tr.querySelectorAll('td')).slice(1).map(td => td.textContent.trim()));
    """)


def _sparql_json(base: str, query: str) -> dict:
    response = requests.get(
        base + "sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}, timeout=30
    )
    assert response.status_code == 200, response.text
    return response.json()


# -- the tests -------------------------------------------------------------------------------


def test_example_query_runs_and_shows_the_results_table(live, page):
    examples = example_queries()
    assert examples, "no example queries found (tests/conformance/competency/*.rq)"
    # The competency question on roles: people by name, with their organisations' IRIs.
    example_index = next(i for i, e in enumerate(examples) if e.slug.endswith("-roles"))
    example = examples[example_index]
    expected = _sparql_json(live, example.query)
    assert expected["results"]["bindings"], "the example query has no answers on the server"

    _open_editor(page, live + "sparql")
    links = page.find_elements(By.CSS_SELECTOR, "a.zkg-example")
    assert [link.text for link in links] == [e.title for e in examples]

    links[example_index].click()
    assert page.execute_script("return zkgEditor.yasgui.getTab().getQuery()") == example.query
    page.find_element(By.CSS_SELECTOR, ".yasqe_queryButton").click()

    _wait(
        page,
        lambda d: len(_table_rows(d)) == len(expected["results"]["bindings"]),
        "the results table did not show the expected number of rows",
    )
    rows = _table_rows(page)
    names = {binding["personName"]["value"] for binding in expected["results"]["bindings"]}
    assert "Luo Wei" in names
    assert any("Luo Wei" in " ".join(row) for row in rows)

    # IRI cells are links to the IRIs themselves; those under the base IRI (zkg's entities,
    # which dereference) are marked as such.
    hrefs = {a.get_attribute("href") for a in page.find_elements(By.CSS_SELECTOR, ".yasr .dataTable a.iri")}
    organizations = {b["organization"]["value"] for b in expected["results"]["bindings"]}
    assert all(iri.startswith(TEST_BASE + "id/") for iri in organizations)
    assert organizations <= hrefs
    entity_links = page.find_elements(By.CSS_SELECTOR, ".yasr .dataTable a.iri.zkg-entity")
    assert {a.get_attribute("href") for a in entity_links} >= organizations

    # The query is in the address bar, ready to share.
    shared = parse_qs(urlsplit(page.current_url).query)
    assert shared.get("query") == [example.query]

    # Downloads: one link per format, each a working /sparql?query=…&format=… request.
    downloads = page.find_elements(By.CSS_SELECTOR, "#zkg-downloads a.zkg-download")
    assert [a.text for a in downloads] == ["JSON", "XML", "CSV", "TSV"]
    csv_link = next(a.get_attribute("href") for a in downloads if a.text == "CSV")
    response = requests.get(csv_link, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "Luo Wei" in response.text

    screenshot = os.environ.get("ZKG_EDITOR_SCREENSHOT")
    if screenshot:
        page.save_screenshot(screenshot)


def test_query_in_the_url_opens_and_runs(live, page):
    query = "SELECT ?name WHERE { id:luo-wei schema:name ?name }"
    _open_editor(page, live + "sparql?" + requests.compat.urlencode({"query": query}))
    assert page.execute_script("return zkgEditor.yasgui.getTab().getQuery()") == query
    _wait(
        page, lambda d: [row[0] for row in _table_rows(d)] == ['"Luo Wei"@en'], "a query given in the URL did not run"
    )
    # Graph queries offer the RDF formats instead.
    page.execute_script("zkgEditor.yasgui.getTab().setQuery('DESCRIBE id:luo-wei'); zkgEditor.refreshDownloads()")
    labels = [a.text for a in page.find_elements(By.CSS_SELECTOR, "#zkg-downloads a.zkg-download")]
    assert labels == ["Turtle", "N-Triples", "JSON-LD", "RDF/XML"]


def test_completion_uses_the_store_and_the_predeclared_prefixes(live, page):
    _open_editor(page, live + "sparql")

    def hints(text: str) -> list[str]:
        page.execute_script(
            "var y = zkgEditor.yasgui.getTab().getYasqe(); y.setValue(arguments[0]);"
            "y.focus(); y.setCursor(y.lineCount() - 1, arguments[0].length); y.autocomplete();",
            text,
        )
        _wait(
            page,
            lambda d: d.find_elements(By.CSS_SELECTOR, ".CodeMirror-hints li"),
            f"no completion offered for {text!r}",
        )
        offered = [li.text for li in page.find_elements(By.CSS_SELECTOR, ".CodeMirror-hints li")]
        page.execute_script("var y = zkgEditor.yasgui.getTab().getYasqe(); y.closeHint && y.closeHint();")
        return offered

    assert "schema:name" in hints("SELECT * WHERE { ?s schema:na")
    assert "skos: <http://www.w3.org/2004/02/skos/core#>" in hints("PREFIX sko")
    assert any(h.startswith("schema:Person") for h in hints("SELECT * WHERE { ?s a schema:Pers"))
    # The predeclared prefixes are no syntax errors.
    page.execute_script("zkgEditor.yasgui.getTab().getYasqe().setValue('SELECT ?n WHERE { ?s schema:name ?n }')")
    assert page.find_elements(By.CSS_SELECTOR, ".parseErrorIcon") == []


def test_completion_after_a_class_offers_its_shapes_properties_first(live, page):
    """`?x a schema:Person ; schema:` then Ctrl-Space: the properties PersonShape (and the
    entity shape) allow come first, marked as from the shapes, read from /sparql/complete."""
    _open_editor(page, live + "sparql")
    expected = requests.get(live + "sparql/complete", params={"class": "schema:Person"}, timeout=30).json()
    from_shapes = [
        p["curie"]
        for p in expected["properties"]
        if p["source"] == "shape" and not p["inverse"] and (p["curie"] or "").startswith("schema:")
    ]
    assert "schema:worksFor" in from_shapes

    def offered(text: str) -> list[tuple[str, bool]]:
        page.execute_script(
            "var y = zkgEditor.yasgui.getTab().getYasqe(); y.setValue(arguments[0]);"
            "y.focus(); y.setCursor(y.lineCount() - 1, arguments[0].length); y.autocomplete();",
            text,
        )
        _wait(
            page,
            lambda d: d.find_elements(By.CSS_SELECTOR, ".CodeMirror-hints li"),
            f"no completion offered for {text!r}",
        )
        items = page.execute_script("""
            return Array.from(document.querySelectorAll('.CodeMirror-hints li'))
                .map(li => [li.textContent, li.classList.contains('zkg-shape-hint')]);""")
        page.execute_script("var y = zkgEditor.yasgui.getTab().getYasqe(); y.closeHint && y.closeHint();")
        return [(text, bool(marked)) for text, marked in items]

    person = offered("SELECT * WHERE {\n  ?x a schema:Person ;\n     schema:")
    marked = [text.split()[0] for text, is_shape in person if is_shape]
    assert person[0][1], f"the first suggestion is not from the shapes: {person[:5]}"
    assert marked == from_shapes, (marked, from_shapes)
    assert [is_shape for _t, is_shape in person] == sorted((s for _t, s in person), reverse=True)  # shapes first
    assert any("shape: person's organisations" in text for text, _s in person)
    # Another class, other properties first; with no class given, none from the shapes.
    place = offered("SELECT * WHERE { ?p rdf:type schema:Place ; schema:")
    assert place[0][1] and "schema:containedInPlace" in [t.split()[0] for t, s in place if s]
    assert "schema:worksFor" not in [t.split()[0] for t, s in place if s]
    plain = offered("SELECT * WHERE { ?s schema:")
    assert not any(s for _t, s in plain)


def test_hidden_characters_in_results_are_written_out(live, page):
    # A right-to-left override in an IRI and a literal (zkg/rdf/visible.py; editor.js writes them
    # out in the results as the server does in pages): the cell shows \u202E or %E2%80%AE,
    # and a link's text and target are the same string.
    query = (
        'SELECT ?iri ?text WHERE { BIND(IRI("http://evil.example/\\u202Egpj.exe") AS ?iri) '
        'BIND("abc\\u202Edef\\u200B" AS ?text) }'
    )
    _open_editor(page, live + "sparql?" + requests.compat.urlencode({"query": query}))
    _wait(page, lambda d: len(_table_rows(d)) == 1, "the query did not run")
    _wait(page, lambda d: "\u202e" not in " ".join(_table_rows(d)[0]), "the override is still in the table")
    iri_cell, text_cell = _table_rows(page)[0]
    assert "%E2%80%AE" in iri_cell and "abc\\u202Edef\\u200B" in text_cell
    link = page.find_element(By.CSS_SELECTOR, ".yasr .dataTable a.iri")
    assert link.get_attribute("href") == "http://evil.example/%E2%80%AEgpj.exe"
    assert "\u202e" not in page.execute_script("return document.querySelector('.yasr').textContent")


def test_a_refused_query_in_a_link_opens_the_editor_and_shows_why(live, page):
    """A shared link whose query the guard refuses opens the editor on it; running it shows
    the refusal, wrapped inside the results card (it is one long line)."""
    query = "SELECT * { ?s ?p ?o } LIMIT10"
    _open_editor(page, live + "sparql?" + requests.compat.urlencode({"query": query}))
    error = _wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, ".yasr .errorResult"), "no error shown")[0]
    _wait(page, lambda d: "is no SPARQL keyword" in error.text, "the refusal is not shown")
    card = page.find_element(By.CSS_SELECTOR, ".yasr")
    assert error.rect["x"] + error.rect["width"] <= card.rect["x"] + card.rect["width"] + 1, (error.rect, card.rect)
    assert page.execute_script("return arguments[0].scrollWidth <= arguments[0].clientWidth + 1", error)
    # The one console error is the refusal itself (a 400 of /sparql): expected, so taken out.
    severe = [e["message"] for e in page.get_log("browser") if e["level"] == "SEVERE"]
    assert all("/sparql" in message and "400" in message for message in severe), severe
