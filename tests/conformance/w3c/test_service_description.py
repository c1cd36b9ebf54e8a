"""The W3C SPARQL 1.1 Service Description tests (service-description/manifest.ttl), against
a live `zkg serve`. The manifest only names the tests; what each checks is written here,
after the test's name and the Service Description recommendation."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.collection import Collection

from tests.support.w3c_runner import MF, w3c_dir

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SHAPES = Path(__file__).with_name("service-description-shapes.ttl")
#: The terms of the SD vocabulary (the recommendation's section 3).
SD_TERMS = {
    "Service",
    "Feature",
    "Language",
    "Function",
    "Aggregate",
    "EntailmentRegime",
    "EntailmentProfile",
    "GraphCollection",
    "Dataset",
    "Graph",
    "NamedGraph",
    "endpoint",
    "feature",
    "defaultEntailmentRegime",
    "entailmentRegime",
    "defaultSupportedEntailmentProfile",
    "supportedEntailmentProfile",
    "extensionFunction",
    "extensionAggregate",
    "languageExtension",
    "supportedLanguage",
    "propertyFeature",
    "defaultDataset",
    "availableGraphs",
    "resultFormat",
    "inputFormat",
    "defaultGraph",
    "namedGraph",
    "name",
    "graph",
    "SPARQL10Query",
    "SPARQL11Query",
    "SPARQL11Update",
    "DereferencesURIs",
    "UnionDefaultGraph",
    "RequiresDataset",
    "EmptyGraphs",
    "BasicFederatedQuery",
}
RDF_ACCEPT = "text/turtle, application/rdf+xml;q=0.9, application/n-triples;q=0.8"
PARSERS = {
    "text/turtle": "turtle",
    "application/rdf+xml": "xml",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
}


def _manifest_entries() -> list[str]:
    graph = Graph().parse(w3c_dir() / "service-description" / "manifest.ttl", format="turtle")
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    return [str(e).rsplit("#", 1)[-1] for e in Collection(graph, graph.value(manifest, MF.entries))]


def fetch(url: str, accept: str | None) -> tuple[str, Graph]:
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        media_type = response.headers.get_content_type()
        body = response.read()
    assert media_type in PARSERS, f"not RDF: {media_type}"
    return media_type, Graph().parse(data=body, format=PARSERS[media_type])


def returns_rdf(server):
    for accept in (None, RDF_ACCEPT, "application/rdf+xml", "application/ld+json", "*/*"):
        _media_type, graph = fetch(server.sparql, accept)
        assert len(graph) > 0, accept


def has_endpoint_triple(server):
    _media_type, graph = fetch(server.sparql, RDF_ACCEPT)
    assert (None, SD.endpoint, URIRef(server.sparql)) in graph
    # The URL requested, whatever it is: another spelling of the host gives that spelling.
    localhost = server.sparql.replace("127.0.0.1", "localhost")
    _media_type, graph = fetch(localhost, RDF_ACCEPT)
    assert (None, SD.endpoint, URIRef(localhost)) in graph


def conforms_to_schema(server):
    _media_type, graph = fetch(server.sparql, RDF_ACCEPT)
    used = {str(t) for triple in graph for t in triple if str(t).startswith(str(SD))}
    unknown = {t for t in used if t[len(str(SD)) :] not in SD_TERMS}
    assert not unknown, f"terms that are not in the SD vocabulary: {unknown}"
    conforms, _graph, report = validate(graph, shacl_graph=Graph().parse(SHAPES), inference="none")
    assert conforms, report
    assert len(set(graph.subjects(RDF.type, SD.Service))) == 1


CHECKS = {
    "returns-rdf": returns_rdf,
    "has-endpoint-triple": has_endpoint_triple,
    "conforms-to-schema": conforms_to_schema,
}


def test_every_manifest_test_has_a_check():
    assert set(_manifest_entries()) == set(CHECKS)


@pytest.mark.parametrize("name", _manifest_entries())
def test_service_description(name, w3c_server):
    CHECKS[name](w3c_server)


def test_named_graphs_are_described(w3c_server):
    _media_type, graph = fetch(w3c_server.sparql, RDF_ACCEPT)
    names = {str(o) for o in graph.objects(None, SD.name)}
    assert names == {f"http://kasei.us/2009/09/sparql/data/data{i}.rdf" for i in (1, 2, 3)}
