"""The stores' trusted path (``query(..., trusted=True)``): zkg's own texts reach the engine
as the scanned path sends them, without the lexer reading them (issue 18)."""

from __future__ import annotations

import http.server
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.support.stub_http import serving
from tests.support.zkg_testing import TEST_BASE
from zkg.rdf import sparql_scan
from zkg.store.engine_profiles import OXIGRAPH
from zkg.store.local import Store
from zkg.store.remote import RemoteStore

SENT: list[tuple[str, list[tuple[str, str]], str]] = []


class _Recording(http.server.BaseHTTPRequestHandler):
    """An engine that records each query (text, URL parameters, Accept) and answers no rows."""

    def do_POST(self):
        text = self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8")
        SENT.append((text, parse_qsl(urlsplit(self.path).query, keep_blank_values=True), self.headers["Accept"]))
        body = b'{"head":{"vars":["s"]},"results":{"bindings":[]}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize(
    "text",
    [
        "SELECT ?s WHERE { ?s rdfs:label ?l ; schema:name ?n } LIMIT 3",
        "\nSELECT (BOUND(?from) AS ?b) WHERE { VALUES ?s { <http://zkg.test/id/a> } ?s ?p ?from }",
        "ASK { id:a a zkg:Company }",
    ],
)
def test_a_trusted_query_is_sent_as_a_scanned_one_is(text, lexed):
    SENT.clear()
    with serving(_Recording) as url:
        store = RemoteStore(url + "/query", base_iri=TEST_BASE, engine=OXIGRAPH)
        list(store.query(text)) if not text.startswith("ASK") else store.query(text)
        runs = len(lexed)
        assert runs > 0
        list(store.query(text, trusted=True)) if not text.startswith("ASK") else store.query(text, trusted=True)
        assert len(lexed) == runs, "the trusted path reads no text with the lexer"
    scanned, trusted = SENT
    assert trusted == scanned  # the same prologue, parameters (union default graph) and Accept


def test_a_trusted_text_with_a_dataset_clause_or_prologue_is_scanned(lexed):
    # FROM (or a text with its own prologue) is not short-cut: the scan decides, as before.
    assert sparql_scan.own_query_scan("SELECT * FROM <urn:g> { ?s ?p ?o }", ["rdfs"]).has_dataset_clause
    assert sparql_scan.own_query_scan("PREFIX x: <urn:x#> SELECT * { x:a ?p ?o }", []).declared_prefixes == {
        "x": "urn:x#"
    }
    assert len(lexed) == 2


def test_the_local_store_answers_a_trusted_query_alike():
    store = Store.open(base_iri=TEST_BASE)
    store.update('INSERT DATA { GRAPH graph:a { id:a rdfs:label "A" } GRAPH graph:b { id:b rdfs:label "B" } }')
    text = "SELECT ?l WHERE { ?s rdfs:label ?l } ORDER BY ?l"
    assert [r["l"].value for r in store.query(text, trusted=True)] == ["A", "B"]  # the union of the graphs
    own = f"SELECT ?l FROM <{TEST_BASE}graph/a> WHERE {{ ?s rdfs:label ?l }}"
    assert [r["l"].value for r in store.query(own, trusted=True)] == ["A"]  # its own dataset
