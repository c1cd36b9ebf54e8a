"""Data documents: a :class:`~zkg.linked_data.describe.Description` as Turtle, JSON-LD, RDF/XML, N-Triples
(triples) or TriG, N-Quads (datasets).

Every format's default graph is the same graph: the description, each statement once, and
where each statement comes from, said so that every client reads it (issue 19: a client given
a dataset format, as Comunica is, queries its default graph and found nothing there when the
statements were only in named graphs):

- each statement is reified (RDF 1.1 reification, readable by every RDF tool): a blank node
  ``a rdf:Statement`` with ``rdf:subject``, ``rdf:predicate``, ``rdf:object`` and
  ``dcterms:isPartOf`` the named graph (one per graph that holds it). The graph's source is
  in the document too (``<graph> dcterms:source <document>``), so statement → graph →
  source is two hops;
- the dataset formats (TriG, N-Quads) also put each statement in its named graphs, as the
  store holds it. Every quad of a named graph is also a triple of the default graph, so a
  client that merges a document's graphs (rapper) reads the same set of triples as one that
  reads its default graph (Comunica, rdflib, Jena).

Blank nodes are canonicalised (RDFC-1.0) and triples sorted, so a document is the same bytes
every time it is asked for. JSON-LD is written with the vocabulary's published context by
:mod:`zkg.linked_data.json_ld`.
"""

from __future__ import annotations

import json

import pyoxigraph as ox

from zkg.linked_data import json_ld
from zkg.linked_data.describe import DCTERMS, Description
from zkg.rdf.namespaces import RDF
from zkg.rdf.negotiation import (
    JSON_LD,
    N_QUADS,
    N_TRIPLES,
    RDF_XML,
    TRIG,
    TURTLE,
    Format,
    NotAcceptable,
    from_parameter,
)
from zkg.rdf.prefixes import compact
from zkg.rdf.serialize import canonical_quads

RDF_STATEMENT = ox.NamedNode(RDF + "Statement")
RDF_TYPE = ox.NamedNode(RDF + "type")
RDF_SUBJECT, RDF_PREDICATE, RDF_OBJECT = (ox.NamedNode(RDF + n) for n in ("subject", "predicate", "object"))
IS_PART_OF = ox.NamedNode(DCTERMS + "isPartOf")


#: Every data document format (zkg.rdf.negotiation's, so the endpoint and the pages agree), by
#: name; the name is also the twin's file extension. The order is the order twins are listed in.
FORMATS: dict[str, Format] = {f.name: f for f in (TURTLE, JSON_LD, RDF_XML, N_TRIPLES, TRIG, N_QUADS)}
#: Formats that also keep named graphs (their default graph is the triple formats' graph).
DATASET_FORMATS = (TRIG, N_QUADS)


def format_by_name(name: str) -> Format | None:
    """The format a ``format=`` value, a media type or a file extension names.

    >>> format_by_name("Turtle").media_type, format_by_name("nq").label, format_by_name("csv")
    ('text/turtle', 'N-Quads', None)
    """
    try:
        return from_parameter([name], tuple(FORMATS.values()))
    except NotAcceptable:
        return None


def is_dataset(document_format: Format) -> bool:
    return document_format in DATASET_FORMATS


def description_quads(description: Description) -> list[ox.Quad]:
    """The dataset document: the default graph of every format (:func:`description_triples`)
    and every statement of the description in each named graph that holds it."""
    default = [ox.Quad(t.subject, t.predicate, t.object) for t in description_triples(description)]
    return default + [ox.Quad(s.subject, s.predicate, s.object, g) for s in description.statements for g in s.graphs]


def description_triples(description: Description) -> list[ox.Triple]:
    """The statements as triples, each reified with the graphs it is part of."""
    triples = []
    for statement in description.statements:
        triples.append(statement.triple)
        node = ox.BlankNode()
        triples += [
            ox.Triple(node, RDF_TYPE, RDF_STATEMENT),
            ox.Triple(node, RDF_SUBJECT, statement.subject),
            ox.Triple(node, RDF_PREDICATE, statement.predicate),
            ox.Triple(node, RDF_OBJECT, statement.object),
        ]
        triples += [ox.Triple(node, IS_PART_OF, graph) for graph in statement.graphs]
    return triples


def _canonical_triples(triples: list[ox.Triple]) -> list[ox.Triple]:
    quads = canonical_quads(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    return [ox.Triple(q.subject, q.predicate, q.object) for q in quads]


def serialize_description(
    description: Description,
    document_format: Format,
    prefixes: dict[str, str],
    context: json_ld.Context | None = None,
) -> bytes:
    """The data document's bytes in one of :data:`FORMATS`, deterministic. JSON-LD is
    compacted with ``context``, the vocabulary's published context
    (:func:`zkg.linked_data.json_ld.vocabulary_context`), the resource first; without one
    (a script), with the prefixes written inline."""
    if is_dataset(document_format):
        quads = canonical_quads(description_quads(description))
        options = {"prefixes": _used_prefixes(quads, prefixes)} if document_format is TRIG else {}
        return ox.serialize(quads, format=document_format.oxigraph, **options)
    triples = _canonical_triples(description_triples(description))
    if document_format is JSON_LD and context is not None:
        return json_ld.serialize(triples, description.iri, context)
    if document_format is JSON_LD:
        return compact_json_ld(ox.serialize(triples, format=ox.RdfFormat.JSON_LD), prefixes)
    if document_format is N_TRIPLES:
        return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    return ox.serialize(triples, format=document_format.oxigraph, prefixes=_used_prefixes(triples, prefixes))


def _used_prefixes(statements, prefixes: dict[str, str]) -> dict[str, str]:
    # pyoxigraph declares every prefix it is given; declare only those the document uses.
    text = " ".join(str(t) for t in statements)
    return {name: ns for name, ns in prefixes.items() if ns in text}


def compact_json_ld(expanded: bytes, prefixes: dict[str, str]) -> bytes:
    """pyoxigraph's expanded JSON-LD, with IRIs written as CURIEs and an ``@context`` holding
    the prefixes used: the same triples, readable. IRIs whose local part is not a plain name
    stay whole, so no CURIE can be mistaken for an absolute IRI.

    >>> data = b'[{"@id":"http://zkg.test/id/a","http://www.w3.org/2000/01/rdf-schema#label":[{"@value":"A"}]}]'
    >>> print(compact_json_ld(data, {"rdfs": "http://www.w3.org/2000/01/rdf-schema#", "id": "http://zkg.test/id/"}).decode())
    {
      "@context": {
        "id": "http://zkg.test/id/",
        "rdfs": "http://www.w3.org/2000/01/rdf-schema#"
      },
      "@graph": [
        {
          "@id": "id:a",
          "rdfs:label": [
            {
              "@value": "A"
            }
          ]
        }
      ]
    }
    """
    return json.dumps(compacted_json_ld(expanded, prefixes), ensure_ascii=False, indent=2).encode("utf-8")


def compacted_json_ld(expanded: bytes, prefixes: dict[str, str]) -> dict:
    """The document :func:`compact_json_ld` writes, as JSON values (for a page to write it
    its own way without reading the text back)."""
    used: set[str] = set()

    def short(iri: str) -> str:
        if iri.startswith("_:"):
            return iri
        text = compact(iri, prefixes)
        if text.startswith("<"):
            return iri
        used.add(text.split(":", 1)[0])
        return text

    def node(value):
        if isinstance(value, list):
            return [node(v) for v in value]
        if not isinstance(value, dict):
            return value
        result = {}
        for key, item in value.items():
            if key in ("@id", "@type") and isinstance(item, str):
                result[key] = short(item)
            elif key == "@type" and isinstance(item, list):
                result[key] = [short(i) for i in item]
            elif key.startswith("@"):
                result[key] = node(item)
            else:
                result[short(key)] = node(item)
        return result

    graph = node(json.loads(expanded))
    context = {name: prefixes[name] for name in sorted(used)}
    return {"@context": context, "@graph": graph}
