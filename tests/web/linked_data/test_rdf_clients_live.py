"""Issue 19: every client reads the same statements from an entity's IRI, and from every data
twin it can parse: Comunica (its own negotiation picks N-Quads, and it queries the default
graph), its link-traversal engine, rdflib, Apache Jena and rapper, all against a live
``zkg serve`` whose base IRI is its own URL. Each reading is compared with the Turtle twin's
triples (canonical blank nodes; tests/support/rdf_clients.py).

The entities: the park (Chinese names), a figure (a decimal), a source document (a date) and
a data structure definition (blank nodes).
"""

from __future__ import annotations

import json
import urllib.request

import pyoxigraph as ox
import pytest
import rdflib
from pyld import jsonld

from tests.support import rdf_clients
from tests.support.json_ld_testing import inline_context
from zkg.linked_data.documents import FORMATS

ENTITIES = ("id/z-park", "id/obs-pct-applications-2015-change", "id/china-daily-2016-03-05-p7", "def/dsd-headline")


def fetch(url: str, accept: str | None = None) -> tuple[bytes, str]:
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.read(), answer.headers["Content-Type"]


@pytest.fixture(scope="module")
def turtle(linked_data_server) -> dict[str, list[str]]:
    """Each entity's Turtle twin, as canonical N-Triples lines."""
    twins = {}
    for path in ENTITIES:
        data, _ = fetch(f"{linked_data_server.url}data/{path}.ttl")
        twins[path] = rdf_clients.canonical_default_graph(data, ox.RdfFormat.TURTLE)
        assert len(twins[path]) > 20, path
    return twins


def test_every_twin_has_the_turtle_twin_as_its_default_graph(linked_data_server, turtle):
    for path in ENTITIES:
        for name, document_format in FORMATS.items():
            data, _ = fetch(f"{linked_data_server.url}data/{path}.{name}")
            if name == "jsonld":  # pyoxigraph's Python API loads no context: given the served one
                data = inline_context(data, fetch(linked_data_server.url + "def/context.jsonld")[0])
            assert rdf_clients.canonical_default_graph(data, document_format.rdf_format) == turtle[path], (path, name)


def test_comunica_reads_the_description_from_the_iri(linked_data_server, turtle):
    # Comunica asks for N-Quads first (its Accept: application/n-quads, application/trig;q=0.95, …).
    _, content_type = fetch(
        linked_data_server.url + ENTITIES[0], "application/n-quads,application/trig;q=0.95,text/turtle;q=0.6"
    )
    assert content_type.startswith("application/n-quads")
    for path in ENTITIES:
        read = rdf_clients.comunica(linked_data_server.url + path, "CONSTRUCT WHERE { ?s ?p ?o }")
        assert read == turtle[path], path


@pytest.mark.slow  # six starts of node, about 15 s
def test_comunica_reads_every_twin(linked_data_server, turtle):
    path = ENTITIES[0]
    for name in FORMATS:
        read = rdf_clients.comunica(f"{linked_data_server.url}data/{path}.{name}", "CONSTRUCT WHERE { ?s ?p ?o }")
        assert read == turtle[path], name


def test_comunica_link_traversal_reads_the_entity(linked_data_server, turtle):
    for path in ENTITIES[:2]:
        iri = linked_data_server.url + path
        read = rdf_clients.comunica(iri, f"CONSTRUCT WHERE {{ <{iri}> ?p ?o }}", traversal=True)
        assert read == [t for t in turtle[path] if t.startswith(f"<{iri}> ")], path


def test_rdflib_reads_the_description(linked_data_server, turtle):
    for path in ENTITIES:
        graph = rdflib.Graph().parse(linked_data_server.url + path)  # rdflib's own negotiation
        assert rdf_clients.canonical(graph.serialize(format="nt")) == turtle[path], path
    for name in FORMATS:
        url = f"{linked_data_server.url}data/{ENTITIES[-1]}.{name}"
        if name in ("trig", "nq"):  # rdflib reads quads into a Dataset only
            dataset = rdflib.Dataset().parse(url)
            graph = dataset.graph(rdflib.graph.DATASET_DEFAULT_GRAPH_ID)
        else:
            graph = rdflib.Graph().parse(url)
        assert rdf_clients.canonical(graph.serialize(format="nt")) == turtle[ENTITIES[-1]], name


def test_jena_reads_the_description(linked_data_server, turtle, tmp_path_factory):
    urls = [linked_data_server.url + path for path in ENTITIES]
    urls += [f"{linked_data_server.url}data/{ENTITIES[0]}.{name}" for name in FORMATS]
    read = rdf_clients.jena(urls, tmp_path_factory.mktemp("jena"))
    for url in urls:
        path = next(p for p in ENTITIES if url.endswith("/" + p) or f"/data/{p}." in url)
        assert read[("graph", url)] == turtle[path], url
        assert read[("dataset", url)] == turtle[path], url


def test_rapper_reads_the_description(linked_data_server, turtle):
    for path in ENTITIES:
        assert rdf_clients.rapper(linked_data_server.url + path) == turtle[path], path
    # Every twin raptor has a parser for (it reads no JSON-LD); it merges a dataset's graphs,
    # which gives the default graph again: every named graph's statement is in it.
    for name in ("ttl", "nt", "rdf", "trig", "nq"):
        url = f"{linked_data_server.url}data/{ENTITIES[0]}.{name}"
        assert rdf_clients.rapper(url, "trig" if name == "trig" else "guess") == turtle[ENTITIES[0]], name


def test_pyld_reads_the_json_ld_twin_and_its_context_from_the_server(linked_data_server, turtle):
    asked = []

    def loader(url, options=None):
        # A loader over HTTP, asking the live server only. Not pyld's requests loader: pyld
        # 3.3.0 fails on an answer with several Link rel="alternate" (each data document
        # links to its five twins): it calls .get on the list of them.
        asked.append(url)
        assert url.startswith(linked_data_server.url), url
        data, content_type = fetch(url, "application/ld+json")
        return {"contentType": content_type, "contextUrl": None, "documentUrl": url, "document": json.loads(data)}

    for path in ENTITIES:
        nquads = jsonld.to_rdf(
            f"{linked_data_server.url}data/{path}.jsonld", {"format": "application/n-quads", "documentLoader": loader}
        )
        assert rdf_clients.canonical(nquads) == turtle[path], path
    assert linked_data_server.url + "def/context.jsonld" in asked
