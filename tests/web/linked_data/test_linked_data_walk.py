"""A generic RDF client on a live ``zkg serve``: from Z-Park's IRI, with nothing but HTTP
content negotiation and rdflib, it reaches every entity of graph/.

The server's base IRI is its own URL (conftest's ``linked_data_server``), so every IRI in
the data is a link to follow. rdflib's own fetching is the client: ``Graph.parse(iri,
format="turtle")`` sends ``Accept: text/turtle, application/x-turtle, */*;q=0.1`` and follows
the 303. Every IRI under the base found in any document is fetched the same way (a client
does not know which are entities), so each link is checked to resolve and parse.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import rdflib
import requests

RDF_STATEMENT = rdflib.URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#Statement")
IS_PART_OF = rdflib.URIRef("http://purl.org/dc/terms/isPartOf")


def fetch(iri: str, base: str) -> tuple[str, rdflib.Graph, set[str]]:
    graph = rdflib.Graph()
    graph.parse(iri, format="turtle")  # content negotiation and the 303, as rdflib does them
    links = {
        str(term)
        for triple in graph
        for term in triple
        if isinstance(term, rdflib.URIRef) and str(term).startswith(base)
    }
    return iri, graph, links


@pytest.fixture(scope="module")
def walk(linked_data_server):
    """Breadth-first from Z-Park, eight documents at a time: {iri: graph}."""
    base = linked_data_server.url
    documents: dict[str, rdflib.Graph] = {}
    frontier = {base + "id/z-park"}
    with ThreadPoolExecutor(max_workers=8) as pool:
        while frontier:
            found = set()
            for iri, graph, links in pool.map(lambda i: fetch(i, base), sorted(frontier)):
                documents[iri] = graph
                found |= links
            frontier = found - set(documents)
    return documents


def all_entities(base: str) -> set[str]:
    response = requests.get(
        base + "sparql",
        timeout=30,
        params={"query": f'SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{base}id/")) }}'},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert response.status_code == 200, response.text
    return {b["s"]["value"] for b in response.json()["results"]["bindings"]}


def test_the_iri_answers_303_by_accept(linked_data_server):
    iri = linked_data_server.url + "id/z-park"
    response = requests.get(iri, headers={"Accept": "text/turtle"}, allow_redirects=False, timeout=30)
    assert response.status_code == 303
    assert response.headers["Location"] == "/data/id/z-park.ttl"
    assert "Accept" in response.headers["Vary"]


def test_from_z_park_a_client_reaches_every_entity(walk, linked_data_server):
    base = linked_data_server.url
    entities = all_entities(base)
    assert len(entities) > 100
    reached = {iri for iri in walk if iri.startswith(base + "id/")}
    assert entities - reached == set(), "entities no link leads to"
    # Every link under the base was followed, and resolved to a document that parsed.
    every_link = {
        str(t)
        for g in walk.values()
        for triple in g
        for t in triple
        if isinstance(t, rdflib.URIRef) and str(t).startswith(base)
    }
    assert every_link <= set(walk)


def test_each_document_describes_its_resource_with_sources(walk, linked_data_server):
    base = linked_data_server.url
    for iri, graph in walk.items():
        node = rdflib.URIRef(iri)
        assert (node, None, None) in graph or (None, None, node) in graph, f"{iri}: nothing about it"
        # Each of its own statements is reified with the named graph it comes from.
        for s, p, o in graph.triples((node, None, None)):
            statements = (
                set(graph.subjects(rdflib.RDF.subject, s))
                & set(graph.subjects(rdflib.RDF.predicate, p))
                & set(graph.subjects(rdflib.RDF.object, o))
            )
            assert any(graph.value(st, IS_PART_OF) for st in statements), f"{iri}: {p} {o} has no graph"
    z_park = walk[base + "id/z-park"]
    article_graph = rdflib.URIRef(base + "graph/china-daily-2016-03-05-p7")
    assert (
        article_graph,
        rdflib.URIRef("http://purl.org/dc/terms/source"),
        rdflib.URIRef(base + "id/china-daily-2016-03-05-p7"),
    ) in z_park
