"""zkg.linked_data.json_ld: the vocabulary's context, and documents that JSON-LD processors (pyld,
rdflib) read back as exactly the Turtle twin's triples, the context loaded from the bytes zkg
serves (tests/support/json_ld_testing.py), never from the internet. The entities: the park
(Chinese names), a figure (a decimal), a source document (a date), a data structure
definition (blank nodes)."""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
import rdflib
from pyld import jsonld

from tests.support.json_ld_testing import inline_context, pyld_loader
from tests.support.rdf_clients import canonical, canonical_default_graph
from tests.support.zkg_testing import TEST_BASE
from zkg.linked_data import json_ld
from zkg.linked_data.describe import describe
from zkg.linked_data.documents import FORMATS, serialize_description
from zkg.rdf.namespaces import OWL, RDF, RDFS, SCHEMA, XSD

ENTITIES = ("id/z-park", "id/obs-pct-applications-2015-change", "id/china-daily-2016-03-05-p7", "def/dsd-headline")


@pytest.fixture(scope="module")
def context(real_store) -> json_ld.Context:
    return json_ld.vocabulary_context(real_store)


@pytest.fixture(scope="module")
def documents(real_store, context) -> dict[str, tuple[bytes, list[str]]]:
    """Each entity's JSON-LD document and its Turtle twin's canonical triples."""
    found = {}
    for path in ENTITIES:
        description = describe(real_store, TEST_BASE + path)
        turtle = serialize_description(description, FORMATS["ttl"], real_store.prefixes)
        document = serialize_description(description, FORMATS["jsonld"], real_store.prefixes, context)
        found[path] = (document, canonical_default_graph(turtle, ox.RdfFormat.TURTLE))
    return found


def test_the_context_has_a_term_for_every_class_and_property(real_store, context):
    declared = {
        row["t"].value
        for row in real_store.query(
            f"SELECT DISTINCT ?t WHERE {{ {{ ?t a ?k VALUES ?k {{ <{OWL}Class> <{OWL}ObjectProperty> "
            f"<{OWL}DatatypeProperty> }} }} UNION {{ ?t <{RDFS}isDefinedBy> ?v }} FILTER(isIRI(?t)) }}"
        )
    }
    assert len(declared) > 150
    written = json.loads(context.bytes())["@context"]
    for iri in declared - {RDF + "type"}:
        term = context.terms.get(iri)
        if term is None:  # its local name is a prefix's, or a term's of a vocabulary ranked before
            name = json_ld.local_name(iri)
            assert name in context.prefixes or context_iri(written[name]) != iri, iri
        else:
            assert context_iri(written[term.name]) == iri
    assert len(context.terms) > 0.9 * len(declared)


def context_iri(definition) -> str:
    return definition if isinstance(definition, str) else definition["@id"]


def test_dates_numbers_and_languages(context):
    written = json.loads(context.bytes())["@context"]
    assert written["schema"] == SCHEMA and written["id"] == TEST_BASE + "id/"
    assert written["name"] == {"@id": SCHEMA + "name", "@container": "@language"}
    assert written["label"] == {"@id": RDFS + "label", "@container": "@language"}
    assert written["datePublished"] == {"@id": SCHEMA + "datePublished", "@type": "xsd:date"}
    assert written["editionNumber"] == {"@id": TEST_BASE + "def/editionNumber", "@type": "xsd:positiveInteger"}
    assert written["organizationKind"]["@type"] == "@id"
    assert "@version" not in written  # JSON-LD 1.0 readers (Jena's) read it too
    assert written["xsd"] == XSD


def test_documents_name_the_context_and_put_the_entity_first(documents, context):
    for path, (document, _) in documents.items():
        parsed = json.loads(document)
        assert parsed["@context"] == TEST_BASE + "def/context.jsonld" == context.url
        assert parsed["@graph"][0]["@id"] == path.replace("def/", "zkg:").replace("id/", "id:"), path
    park = json.loads(documents["id/z-park"][0])["@graph"][0]
    assert park["name"] == {"en": "Zhongguancun Science Park", "zh-hans": "中关村科技园区"}
    assert park["organizationKind"] == "kind:science-park"
    source = json.loads(documents["id/china-daily-2016-03-05-p7"][0])["@graph"][0]
    assert source["datePublished"] == "2016-03-05"


def test_pyld_reads_the_turtle_twin(documents, context):
    loader = pyld_loader(context.url, context.bytes())
    for path, (document, turtle) in documents.items():
        nquads = jsonld.to_rdf(json.loads(document), {"format": "application/n-quads", "documentLoader": loader})
        assert canonical(nquads) == turtle, path


def test_rdflib_reads_the_turtle_twin(documents, context):
    for path, (document, turtle) in documents.items():
        graph = rdflib.Graph().parse(data=inline_context(document, context.bytes()), format="json-ld")
        assert canonical(graph.serialize(format="nt")) == turtle, path


def test_pyld_compacts_its_own_expansion_to_the_same_triples(documents, context):
    # A processor compacting the document again with the same context changes no triple.
    loader = pyld_loader(context.url, context.bytes())
    options = {"documentLoader": loader}
    document, turtle = documents["id/z-park"]
    compacted = jsonld.compact(json.loads(document), context.url, options)
    nquads = jsonld.to_rdf(compacted, {"format": "application/n-quads", **options})
    assert canonical(nquads) == turtle
