"""The query editor in a real headless Chromium, against a live ``zkg serve`` on loopback.

Needs Debian's ``chromium`` and ``chromium-driver`` packages (``.ci/run`` installs them;
by hand: ``apt-get install chromium chromium-driver``) and Selenium (the ``test`` extra).
The test fails, it is not skipped, when they are missing.

What it checks: an example query loads into the editor and runs; the results table shows the
expected rows, IRIs as their labels linked to their pages, literals as values, and with "raw
terms" on, IRI cells link to the entity IRIs (the base IRI is conftest's test base); a query in
the URL opens and runs; term completion reads /sparql/terms.json; the run and share buttons
never cover the query text; a refused query shows its line quoted and a hint, the line marked;
the browser console stays free of errors (CSP violations included) and no request leaves
loopback. ``ZKG_EDITOR_SCREENSHOT=/path.png`` saves a screenshot of the editor with results.
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


def _raw_terms(driver, on: bool) -> None:
    """Switch "raw terms" (the results as SPARQL writes them) on or off, as a reader clicks it."""
    switch = next(box for box in driver.find_elements(By.CSS_SELECTOR, "input.zkg-raw-terms") if box.is_displayed())
    if switch.is_selected() != on:
        switch.click()
    _wait(driver, lambda d: d.execute_script("return zkgResults.isRaw()") == on, "the switch did not switch")


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

    # IRI cells show labels, link to the entities' pages here and hold the IRI in their title.
    organizations = {b["organization"]["value"] for b in expected["results"]["bindings"]}
    assert all(iri.startswith(TEST_BASE + "id/") for iri in organizations)
    _wait(
        page,
        lambda d: d.find_elements(By.CSS_SELECTOR, ".yasr .dataTable a.zkg-entity.zkg-labelled"),
        "no labels shown",
    )
    pages = {
        a.get_attribute("title"): a.get_attribute("href")
        for a in page.find_elements(By.CSS_SELECTOR, ".yasr .dataTable a.zkg-entity")
    }
    assert all(pages[iri] == live + "page/" + iri[len(TEST_BASE) :] for iri in organizations)

    # With "raw terms" on, IRI cells are links to the IRIs themselves; those under the base IRI
    # (zkg's entities, which dereference) are marked as such.
    _raw_terms(page, True)
    hrefs = {a.get_attribute("href") for a in page.find_elements(By.CSS_SELECTOR, ".yasr .dataTable a.iri")}
    assert organizations <= hrefs
    entity_links = page.find_elements(By.CSS_SELECTOR, ".yasr .dataTable a.iri.zkg-entity")
    assert {a.get_attribute("href") for a in entity_links} >= organizations
    _raw_terms(page, False)

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
    _wait(page, lambda d: [row[0] for row in _table_rows(d)] == ["Luo Wei en"], "a query given in the URL did not run")
    _raw_terms(page, True)  # as SPARQL writes it
    _wait(page, lambda d: [row[0] for row in _table_rows(d)] == ['"Luo Wei"@en'], "raw terms are not shown")
    _raw_terms(page, False)
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


# -- results and errors a person can read (static/editor-results.js) --------------------------------


def test_results_show_labels_and_values_and_raw_terms_on_request(live, page):
    """IRIs as their labels (one more query, at this endpoint), linked to their pages here or to
    themselves, the IRI on hover; unlabelled IRIs as prefixed names; literals as values, the
    datatype on hover; "raw terms" shows them as SPARQL writes them, remembered across visits."""
    query = (
        "SELECT ?who ?class ?type ?elsewhere ?amount ?big ?year ?unit ?name WHERE {\n"
        "  BIND(id:luo-wei AS ?who) BIND(zkg:Bid AS ?class) BIND(xsd:gYear AS ?type)\n"
        "  BIND(<http://example.org/thing> AS ?elsewhere)\n"
        '  BIND(183400000000 AS ?amount) BIND(1234567.50 AS ?big) BIND("2014"^^xsd:gYear AS ?year)\n'
        '  BIND("CNY" AS ?unit) BIND("Luo Wei"@en AS ?name)\n'
        "}"
    )
    page.execute_script("window.localStorage.removeItem('zkg-editor-raw-terms')")
    _open_editor(page, live + "sparql?" + requests.compat.urlencode({"query": query}))
    _wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, ".yasr .dataTable a.zkg-labelled"), "no label shown")
    assert _table_rows(page) == [
        [
            "Luo Wei",
            "bid",  # labelled in the vocabulary
            "xsd:gYear",  # no label: a prefixed name
            "http://example.org/thing",
            "183,400,000,000",
            "1,234,567.5",
            "2014",
            "CNY",
            "Luo Wei en",
        ]
    ]
    cells = page.execute_script("""
        return Array.from(document.querySelectorAll('.yasr .dataTable tbody td'))
            .slice(1).map(td => { const e = td.querySelector('[title]');
                                  return [e.getAttribute('title'), e.getAttribute('href')]; });""")
    assert cells == [
        [TEST_BASE + "id/luo-wei", "/page/id/luo-wei"],  # zkg's own IRI: its page here
        [TEST_BASE + "def/Bid", "/page/def/Bid"],
        ["http://www.w3.org/2001/XMLSchema#gYear", "http://www.w3.org/2001/XMLSchema#gYear"],
        ["http://example.org/thing", "http://example.org/thing"],  # elsewhere: the IRI itself
        ["xsd:integer: 183400000000", None],
        ["xsd:decimal: 1234567.5", None],
        ["xsd:gYear", None],
        ["xsd:string", None],
        ["rdf:langString, @en", None],
    ]
    # Numbers as people write them, exactly (no floating point on the way), exponents written out.
    formatted = page.execute_script(
        "return ['183400000000', '1.834E11', '40.40', '-1234.5', '0.000012', '1E-2', 'NaN', 'INF', '+7']"
        ".map(zkgResults.formatNumber)"
    )
    assert formatted == [
        "183,400,000,000",
        "183,400,000,000",
        "40.40",
        "-1,234.5",
        "0.000012",
        "0.01",
        "NaN",
        "INF",
        "7",
    ]
    # The labels took one query more, at this endpoint.
    fetched = page.execute_script(
        "return performance.getEntriesByType('resource').filter(e => e.initiatorType === 'fetch')"
        ".map(e => e.name).filter(u => u.endsWith('/sparql'));"
    )
    assert fetched == [live + "sparql", live + "sparql"]

    _raw_terms(page, True)
    _wait(page, lambda d: _table_rows(d)[0][0] == "id:luo-wei", "raw terms are not shown")
    assert _table_rows(page) == [
        [
            "id:luo-wei",
            "zkg:Bid",
            "xsd:gYear",
            "<http://example.org/thing>",
            '"183400000000"^^xsd:integer',
            '"1234567.5"^^xsd:decimal',
            '"2014"^^xsd:gYear',
            "CNY",  # (YASR writes a plain string without its quotes)
            '"Luo Wei"@en',
        ]
    ]
    _open_editor(page, live + "sparql?" + requests.compat.urlencode({"query": query}))  # kept for the next visit
    _wait(page, lambda d: len(_table_rows(d)) == 1, "the query did not run")
    assert page.find_element(By.CSS_SELECTOR, "input.zkg-raw-terms").is_selected()
    assert _table_rows(page)[0][-1] == '"Luo Wei"@en'
    _raw_terms(page, False)
    _wait(page, lambda d: _table_rows(d)[0][0] == "Luo Wei", "the labels did not come back")

    screenshot = os.environ.get("ZKG_EDITOR_SCREENSHOT")
    if screenshot:
        page.save_screenshot(screenshot.replace(".png", "-values.png"))


@pytest.mark.parametrize("width", [1400, 400])
def test_the_run_and_share_buttons_never_cover_the_query_text(live, page, width):
    """At desktop and phone width, with a long first line: no box of the query's text (each
    wrapped piece of each line) meets the run button or the share button."""
    long_line = "SELECT " + " ".join(f"?variable{i}" for i in range(40)) + " WHERE {"
    query = long_line + "\n  ?variable0 schema:name ?variable1 .\n}"
    page.set_window_size(width, 900)
    try:
        _open_editor(page, live + "sparql")
        page.execute_script("zkgEditor.yasgui.getTab().getYasqe().setValue(arguments[0])", query)
        boxes = page.execute_script("""
            const box = r => ({left: r.left, right: r.right, top: r.top, bottom: r.bottom});
            const buttons = ['.yasqe_queryButton', '.yasqe_share']
                .map(s => box(document.querySelector('.yasqe ' + s).getBoundingClientRect()));
            const text = Array.from(document.querySelectorAll('.yasqe .CodeMirror-line > span'))
                .flatMap(span => Array.from(span.getClientRects()).map(box));
            return {buttons, text};""")
        assert len(boxes["text"]) >= 4, boxes  # the long line wraps
        for button in boxes["buttons"]:
            assert button["right"] - button["left"] >= 20, button  # shown
            for piece in boxes["text"]:
                apart = (
                    piece["right"] <= button["left"]
                    or button["right"] <= piece["left"]
                    or piece["bottom"] <= button["top"]
                    or button["bottom"] <= piece["top"]
                )
                assert apart, (width, button, piece)
        if os.environ.get("ZKG_EDITOR_SCREENSHOT"):
            page.save_screenshot(os.environ["ZKG_EDITOR_SCREENSHOT"].replace(".png", f"-buttons-{width}.png"))
    finally:
        page.set_window_size(1400, 1000)


def test_a_syntax_error_shows_its_line_a_caret_and_a_hint(live, page):
    """The server's explanation (zkg.sparql.explain) in the results card: the message, the line
    quoted with its caret, the hint; the line is marked in the editor until the text changes."""
    query = "SELECT ?name ?age WHERE {\n  ?s schema:name ?name\n  ?s schema:age ?age .\n}"
    _open_editor(page, live + "sparql?" + requests.compat.urlencode({"query": query}))
    box = _wait(page, lambda d: d.find_elements(By.CSS_SELECTOR, ".yasr .errorResult .zkg-error"), "no error")[0]
    assert box.find_element(By.CSS_SELECTOR, ".zkg-error-message").text.startswith("SPARQL syntax error: error at 3:")
    quotes = [pre.text for pre in box.find_elements(By.CSS_SELECTOR, "pre.zkg-error-quote")]
    assert quotes[0].splitlines() == ["    3 |   ?s schema:age ?age .", "      |      ^"]
    assert quotes[1].splitlines() == ["    2 |   ?s schema:name ?name", "      |                       ^ '.' here"]
    hint = box.find_element(By.CSS_SELECTOR, ".zkg-error-hint").text
    assert hint.startswith("hint: a '.' is missing after '?name' (line 2, column 23)")
    marked = page.execute_script(
        "return Array.from(document.querySelectorAll('.CodeMirror .zkg-error-line'))"
        ".map(e => e.closest('.CodeMirror-code > div').querySelector('.CodeMirror-line'))"
        ".map(line => line.textContent.replace(/\\u00a0/g, ' '))"
    )
    assert marked == ["  ?s schema:age ?age ."]
    card = page.find_element(By.CSS_SELECTOR, ".yasr")
    error = page.find_element(By.CSS_SELECTOR, ".yasr .errorResult")
    assert error.rect["x"] + error.rect["width"] <= card.rect["x"] + card.rect["width"] + 1
    assert page.execute_script("return arguments[0].scrollWidth <= arguments[0].clientWidth + 1", error)
    page.execute_script(
        "zkgEditor.yasgui.getTab().getYasqe().setValue(arguments[0])", query.replace("?name\n", "?name .\n")
    )
    assert page.find_elements(By.CSS_SELECTOR, ".CodeMirror .zkg-error-line") == []  # the mark goes with the change
    if os.environ.get("ZKG_EDITOR_SCREENSHOT"):
        page.save_screenshot(os.environ["ZKG_EDITOR_SCREENSHOT"].replace(".png", "-error.png"))
    # The one console error is the refusal itself (a 400 of /sparql): expected, so taken out.
    severe = [e["message"] for e in page.get_log("browser") if e["level"] == "SEVERE"]
    assert all("/sparql" in message and "400" in message for message in severe), severe
