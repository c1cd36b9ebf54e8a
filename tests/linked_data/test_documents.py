"""zkg.linked_data.documents: every twin holds the same statements, each with its graph."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
import rdflib

from tests.support.zkg_testing import TEST_BASE
from zkg.linked_data.describe import describe
from zkg.linked_data.documents import FORMATS, description_triples, format_by_name, is_dataset, serialize_description
from zkg.rdf.rdflib_view import rdflib_term

RDFLIB_FORMATS = {"ttl": "turtle", "jsonld": "json-ld", "rdf": "xml", "nt": "nt", "trig": "trig", "nq": "nquads"}
RDF = rdflib.Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
DCTERMS = rdflib.Namespace("http://purl.org/dc/terms/")


@pytest.fixture(scope="module")
def z_park(real_store):
    return describe(real_store, TEST_BASE + "id/z-park")


def parse(data: bytes, extension: str):
    graph = rdflib.Dataset() if is_dataset(FORMATS[extension]) else rdflib.Graph()
    graph.parse(data=data, format=RDFLIB_FORMATS[extension])
    return graph


def statement_triples(description):
    return {
        tuple(rdflib_term(t) for t in (s.subject, s.predicate, s.object))
        for s in description.statements
        if not isinstance(s.subject, ox.BlankNode) and not isinstance(s.object, ox.BlankNode)
    }


def canonical(data: bytes, extension: str) -> list[str]:
    """The document's triples with canonical blank node labels (RDFC-1.0), as sorted text:
    equal lists mean isomorphic graphs, and pyoxigraph computes them fast."""
    dataset = ox.Dataset(ox.parse(data, format=FORMATS[extension].oxigraph))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(str(q) for q in dataset)


def test_triple_twins_are_the_same_graph(z_park, real_store):
    documents = {
        ext: serialize_description(z_park, FORMATS[ext], real_store.prefixes) for ext in ("ttl", "jsonld", "rdf", "nt")
    }
    turtle = canonical(documents["ttl"], "ttl")
    assert len(turtle) == len(description_triples(z_park))
    for ext, data in documents.items():
        assert canonical(data, ext) == turtle, f"{ext} differs from Turtle"
        assert len(parse(data, ext)) == len(turtle), f"rdflib reads {ext} differently"


def test_dataset_twins_hold_each_statement_in_its_graph(z_park, real_store):
    turtle = canonical(serialize_description(z_park, FORMATS["ttl"], real_store.prefixes), "ttl")
    for ext in ("trig", "nq"):
        data = serialize_description(z_park, FORMATS[ext], real_store.prefixes)
        dataset = parse(data, ext)
        default = rdflib.URIRef("urn:x-rdflib:default")
        quads = {(s, p, o, str(g.identifier if hasattr(g, "identifier") else g)) for s, p, o, g in dataset.quads()}
        expected = {
            (rdflib_term(s.subject), rdflib_term(s.predicate), rdflib_term(s.object), g.value)
            for s in z_park.statements
            for g in s.graphs
            if not isinstance(s.subject, ox.BlankNode) and not isinstance(s.object, ox.BlankNode)
        }
        named = {
            q
            for q in quads
            if not isinstance(q[0], rdflib.BNode) and not isinstance(q[2], rdflib.BNode) and q[3] != str(default)
        }
        assert named == expected
        # Issue 19: the default graph is the Turtle twin's graph (a client reading only the
        # default graph, as Comunica does, reads the description and its provenance) ...
        assert canonical_default(data, ext) == turtle, f"{ext}'s default graph is not the Turtle twin"
        # ... and every named graph's statement is in it, so merging the graphs changes nothing.
        assert {q[:3] for q in named} <= set(dataset.graph(default))


def canonical_default(data: bytes, extension: str) -> list[str]:
    """The default graph of a dataset document, canonical as :func:`canonical`."""
    quads = [q for q in ox.parse(data, format=FORMATS[extension].oxigraph) if q.graph_name == ox.DefaultGraph()]
    dataset = ox.Dataset(quads)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(str(q) for q in dataset)


def test_every_statement_is_reified_with_its_graphs(z_park, real_store):
    graph = parse(serialize_description(z_park, FORMATS["ttl"], real_store.prefixes), "ttl")
    said = statement_triples(z_park)
    reified = {}
    for node in graph.subjects(RDF.type, RDF.Statement):
        key = (graph.value(node, RDF.subject), graph.value(node, RDF.predicate), graph.value(node, RDF.object))
        reified[key] = {str(g) for g in graph.objects(node, DCTERMS.isPartOf)}
    for triple in said:
        assert triple in graph, triple
        assert reified.get(triple), f"{triple} is not reified"
    chinese = (
        rdflib.URIRef(TEST_BASE + "id/z-park"),
        rdflib.URIRef("https://schema.org/name"),
        rdflib.Literal("中关村科技园区", lang="zh-hans"),
    )
    assert reified[chinese] == {TEST_BASE + "graph/reference"}
    # The graph's source is in the document: statement -> graph -> source.
    assert (
        rdflib.URIRef(TEST_BASE + "graph/china-daily-2016-03-05-p7"),
        DCTERMS.source,
        rdflib.URIRef(TEST_BASE + "id/china-daily-2016-03-05-p7"),
    ) in graph


def test_documents_are_deterministic(z_park, real_store):
    for document_format in FORMATS.values():
        first = serialize_description(z_park, document_format, real_store.prefixes)
        assert first == serialize_description(z_park, document_format, real_store.prefixes), document_format.label


def test_json_ld_is_compact_and_parses_in_pyoxigraph_too(z_park, real_store):
    data = serialize_description(z_park, FORMATS["jsonld"], real_store.prefixes)
    document = json.loads(data)
    assert document["@context"]["schema"] == "https://schema.org/"
    assert any(node.get("@id") == "id:z-park" for node in document["@graph"])
    assert len(list(ox.parse(data, format=ox.RdfFormat.JSON_LD))) == len(description_triples(z_park))


def test_format_names():
    assert format_by_name("ttl") is format_by_name("turtle") is FORMATS["ttl"]
    assert format_by_name("RDFXML") is FORMATS["rdf"] and format_by_name("nquads") is FORMATS["nq"]
    assert format_by_name("html") is None
