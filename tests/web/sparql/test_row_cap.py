"""The row cap: never a silent truncation, in any format; below it, standard bytes exactly.

The `app` fixture has a row limit of APP_ROW_LIMIT (5); the fixture project has more
triples than that.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pyoxigraph as ox
import pytest

from tests.support.web_testing import APP_ROW_LIMIT
from zkg.rdf import negotiation

ALL_TRIPLES = "SELECT ?s ?p ?o { ?s ?p ?o } ORDER BY ?s ?p ?o"
FEW = "SELECT ?name ?p { ?p schema:name ?name } ORDER BY ?name"  # 3 rows: under the cap
SRX = "{http://www.w3.org/2005/sparql-results#}"


def get(client, query, fmt):
    return client.get("/sparql", query_string={"query": query, "format": fmt})


def assert_headers(response):
    assert response.status_code == 200, response.data
    assert response.headers["ZKG-Results-Truncated"] == f"limit={APP_ROW_LIMIT}"
    assert 'rel="describedby"' in response.headers["Link"] and "/sparql/limits#row-limit" in response.headers["Link"]
    assert str(APP_ROW_LIMIT) in response.headers["Warning"]


def test_json_capped(client):
    response = get(client, ALL_TRIPLES, "json")
    assert_headers(response)
    document = json.loads(response.data)
    assert len(document["results"]["bindings"]) == APP_ROW_LIMIT
    assert document["head"]["link"] == ["http://localhost/sparql/limits#row-limit"]
    assert document["truncated"]["limit"] == APP_ROW_LIMIT


def test_xml_capped(client):
    response = get(client, ALL_TRIPLES, "xml")
    assert_headers(response)
    root = ET.fromstring(response.data)
    assert len(root.findall(f"{SRX}results/{SRX}result")) == APP_ROW_LIMIT
    assert root.find(f"{SRX}head/{SRX}link").get("href") == "http://localhost/sparql/limits#row-limit"
    assert b"<!-- results truncated" in response.data


@pytest.mark.parametrize("fmt,header_lines", [("csv", 1), ("tsv", 1)])
def test_csv_tsv_capped(client, fmt, header_lines):
    response = get(client, ALL_TRIPLES, fmt)
    assert_headers(response)  # no room in the format: the headers say it
    assert len(response.get_data(as_text=True).splitlines()) == APP_ROW_LIMIT + header_lines


@pytest.mark.parametrize("fmt", ["ttl", "nt", "trig", "nq"])
def test_line_formats_capped(client, fmt):
    response = get(client, "CONSTRUCT WHERE { ?s ?p ?o }", fmt)
    assert_headers(response)
    assert response.data.startswith(b"# results truncated")
    offer = negotiation.from_parameter([fmt], negotiation.GRAPH_FORMATS)
    assert len(list(ox.parse(response.data, format=offer.oxigraph))) == APP_ROW_LIMIT


def test_rdfxml_capped(client):
    response = get(client, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(isIRI(?o) || isLiteral(?o)) }", "rdf")
    assert_headers(response)
    assert b"<!-- results truncated" in response.data
    assert len(list(ox.parse(response.data, format=ox.RdfFormat.RDF_XML))) == APP_ROW_LIMIT


def test_jsonld_capped(client):
    response = get(client, "CONSTRUCT WHERE { ?s ?p ?o }", "jsonld")
    assert_headers(response)
    assert len(list(ox.parse(response.data, format=ox.RdfFormat.JSON_LD))) == APP_ROW_LIMIT


def test_exactly_the_limit_is_not_truncated(client):
    response = get(client, f"SELECT * {{ ?s ?p ?o }} LIMIT {APP_ROW_LIMIT}", "json")
    assert "ZKG-Results-Truncated" not in response.headers
    assert "truncated" not in json.loads(response.data)


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_uncapped_results_are_exactly_standard(client, web_store, fmt):
    response = get(client, FEW, fmt)
    assert "ZKG-Results-Truncated" not in response.headers and "Warning" not in response.headers
    offer = negotiation.from_parameter([fmt], negotiation.RESULTS_FORMATS)
    expected = web_store.query(FEW).serialize(format=offer.oxigraph)
    assert response.data == expected


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_ask_is_exactly_standard(client, web_store, fmt):
    offer = negotiation.from_parameter([fmt], negotiation.RESULTS_FORMATS)
    response = get(client, "ASK { ?s ?p ?o }", fmt)
    assert response.data == web_store.query("ASK { ?s ?p ?o }").serialize(format=offer.oxigraph)


@pytest.mark.parametrize("fmt", ["nt", "nq", "jsonld", "rdf"])
def test_uncapped_graphs_are_exactly_standard(client, web_store, fmt):
    query = "CONSTRUCT WHERE { ?s schema:name ?o }"  # 3 triples, one in Chinese
    response = get(client, query, fmt)
    offer = negotiation.from_parameter([fmt], negotiation.GRAPH_FORMATS)
    assert "ZKG-Results-Truncated" not in response.headers
    assert response.data == ox.serialize(list(web_store.query(query)), format=offer.oxigraph)


def test_turtle_declares_only_the_prefixes_it_uses(client):
    response = get(client, "CONSTRUCT WHERE { id:bob schema:name ?n }", "ttl")
    text = response.get_data(as_text=True)
    assert "@prefix schema:" in text and "@prefix id:" in text and "@prefix skos:" not in text
