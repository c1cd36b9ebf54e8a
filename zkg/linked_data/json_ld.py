"""JSON-LD for the web: the vocabulary's published context, and data documents compacted with it,
the entity first.

**The context** (served at ``{base}def/context.jsonld``, :data:`CONTEXT_PATH`) maps

- every prefix zkg declares (``schema:``, ``id:``, ``graph:``, the code lists…), so any IRI
  can be written as a CURIE;
- every class and property of the vocabulary (``ontology/``: the own terms and the reused
  terms explained in ``reused.ttl``, read from the store) to a term, its local name
  (``name``, ``foundingDate``, ``Organization``); where two vocabularies share a local name
  the first of :func:`_namespace_rank` gets it, and a name that is also a prefix stays a CURIE;
- each property's values as the vocabulary and the shapes declare them: ``"@type": "@id"``
  for properties whose values are resources, ``"@type": "xsd:date"`` (decimal, integer…) for
  typed values, and a language map (``"@container": "@language"``) for names, labels and
  descriptions, which come in English and Chinese.

Only features common to JSON-LD 1.0 and 1.1 are used (no ``@version``, ``@protected`` or
``@none``), so 1.0 readers (Jena's jsonld-java) read it as 1.1 processors do.

**A document** is ``{"@context": "<the context's URL>", "@graph": [...]}``, the described
resource's node object first, then its blank nodes, the other resources, the graphs and
sources, and the statements' reifications: the same triples as the Turtle twin
(:mod:`zkg.linked_data.documents`), written so that a JSON-LD processor given the context
gives them back exactly. A value that does not fit its term's definition (a plain string
beside a language map, a date under a term typed decimal) is written in full, under the
property's CURIE when the term is a language map.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Iterable

import pyoxigraph as ox

from zkg.linked_data.labels import ALTERNATIVE_LABEL_PROPERTIES, LABEL_PROPERTIES
from zkg.rdf.namespaces import OWL, QB, RDF, RDFS, SCHEMA, SH, SKOS, XSD
from zkg.rdf.prefixes import VOCABULARY_PATH, compact

#: Where the context is served, below the base IRI.
CONTEXT_PATH = VOCABULARY_PATH + "context.jsonld"
RDF_TYPE = RDF + "type"
XSD_STRING = XSD + "string"
LANG_STRING = RDF + "langString"
#: Properties whose values are text in several languages: a language map each.
TEXT_PROPERTIES = (
    *LABEL_PROPERTIES,
    *ALTERNATIVE_LABEL_PROPERTIES,
    RDFS + "comment",
    SCHEMA + "description",
    SKOS + "definition",
)
#: What makes an IRI a class or a property of the vocabulary.
TERM_KINDS = (
    OWL + "Class",
    RDFS + "Class",
    OWL + "ObjectProperty",
    OWL + "DatatypeProperty",
    OWL + "AnnotationProperty",
    RDF + "Property",
    QB + "DimensionProperty",
    QB + "MeasureProperty",
    QB + "AttributeProperty",
)
RESOURCE_KINDS = (OWL + "ObjectProperty",)
TERM_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class Term:
    """One term of the context: its IRI and how its values are written."""

    name: str
    iri: str
    coerce: str | None = None  # "@id", a datatype IRI, or None
    language_map: bool = False

    def definition(self, prefixes: dict[str, str]) -> str | dict:
        if self.language_map:
            return {"@id": self.iri, "@container": "@language"}
        if self.coerce == "@id":
            return {"@id": self.iri, "@type": "@id"}
        if self.coerce:
            return {"@id": self.iri, "@type": _curie(self.coerce, prefixes)}
        return self.iri


@dataclass
class Context:
    """The vocabulary's context: prefixes and terms, and where it is published."""

    url: str
    prefixes: dict[str, str]
    terms: dict[str, Term] = field(default_factory=dict)  # by IRI

    def document(self) -> dict:
        """The context document served at :attr:`url`.

        >>> c = Context("http://x/def/context.jsonld", {"s": "http://s/"}, {"http://s/n": Term("n", "http://s/n")})
        >>> c.document()
        {'@context': {'s': 'http://s/', 'n': 'http://s/n'}}
        """
        context: dict[str, str | dict] = dict(self.prefixes)
        for term in sorted(self.terms.values(), key=lambda t: t.name):
            context[term.name] = term.definition(self.prefixes)
        return {"@context": context}

    def bytes(self) -> bytes:
        return json.dumps(self.document(), ensure_ascii=False, indent=2).encode("utf-8")


def _range_said(iri: str) -> str:
    """What an ``rdfs:range`` says of the values: a datatype, text, or resources."""
    if iri.startswith(XSD) or iri == LANG_STRING:
        return iri
    return XSD_STRING if iri in (RDFS + "Literal", RDF + "PlainLiteral") else "@id"


def _namespace_rank(iri: str, base: str) -> tuple[int, str]:
    # The project's own terms first, then schema.org (most of the data), then the others.
    if iri.startswith(base + VOCABULARY_PATH):
        return (0, iri)
    return (1, iri) if iri.startswith(SCHEMA) else (2, iri)


def local_name(iri: str) -> str:
    return re.split(r"[#/]", iri)[-1]


def _curie(iri: str, prefixes: dict[str, str]) -> str:
    text = compact(iri, prefixes)
    return iri if text.startswith("<") else text


def vocabulary_context(store) -> Context:
    """The context of ``store``'s vocabulary (one query; the web keeps one per dataset
    version). Terms: the vocabulary's classes and properties and every term ``rdfs:isDefinedBy``
    a vocabulary; values: from ``rdfs:range``, the property's OWL kind and the shapes'
    ``sh:datatype``, ``sh:class`` and ``sh:nodeKind`` (only when they agree)."""
    base = store.base_iri
    kinds = " ".join(f"<{k}>" for k in TERM_KINDS)
    found: dict[str, set[str]] = {}
    # One query, two branches: the terms (with their kind and range), and the shapes' paths
    # (with what their values must be).
    rows = store.query(
        f"SELECT DISTINCT ?t ?kind ?range ?datatype ?class ?nodeKind WHERE {{ "
        f"{{ {{ VALUES ?kind {{ {kinds} }} ?t a ?kind }} UNION {{ ?t <{RDFS}isDefinedBy> ?v }} "
        f"OPTIONAL {{ ?t <{RDFS}range> ?range }} FILTER(isIRI(?t)) }} "
        f"UNION {{ ?ps <{SH}path> ?t FILTER(isIRI(?t)) OPTIONAL {{ ?ps <{SH}datatype> ?datatype }} "
        f"OPTIONAL {{ ?ps <{SH}class> ?class }} OPTIONAL {{ ?ps <{SH}nodeKind> ?nodeKind }} }} }}",
        trusted=True,
    )
    for row in rows:
        said = found.setdefault(row["t"].value, set())
        if row["kind"] is not None and row["kind"].value in RESOURCE_KINDS:
            said.add("@id")
        if row["range"] is not None:
            said.add(_range_said(row["range"].value))
        if row["datatype"] is not None:
            said.add(row["datatype"].value)
        if row["class"] is not None or (row["nodeKind"] is not None and row["nodeKind"].value == SH + "IRI"):
            said.add("@id")
    prefixes = dict(store.prefixes)
    context = Context(base + CONTEXT_PATH, prefixes)
    taken = set(prefixes)
    for iri in sorted(found, key=lambda i: _namespace_rank(i, base)):
        name = local_name(iri)
        if iri == RDF_TYPE or name in taken or not TERM_NAME.match(name):
            continue
        taken.add(name)
        said = found[iri] - {XSD_STRING}
        if iri in TEXT_PROPERTIES or said == {LANG_STRING}:
            context.terms[iri] = Term(name, iri, language_map=True)
        elif len(said) == 1 and LANG_STRING not in said:
            context.terms[iri] = Term(name, iri, coerce=next(iter(said)))
        else:
            context.terms[iri] = Term(name, iri)
    return context


# -- documents --------------------------------------------------------------------------------


def _node_ref(term, prefixes: dict[str, str]) -> str:
    return str(term) if isinstance(term, ox.BlankNode) else _curie(term.value, prefixes)


class _Writer:
    """Writes node objects with one context."""

    def __init__(self, context: Context):
        self.context = context
        self.prefixes = context.prefixes

    def _key_and_value(self, predicate: str, value) -> tuple[str, object, bool]:
        """(key, JSON value, whether it goes into a language map)."""
        term = self.context.terms.get(predicate)
        curie = _curie(predicate, self.prefixes)
        if isinstance(value, (ox.NamedNode, ox.BlankNode)):
            ref = _node_ref(value, self.prefixes)
            if term is None:
                return curie, {"@id": ref}, False
            if term.language_map:
                return curie, {"@id": ref}, False
            return term.name, ref if term.coerce == "@id" else {"@id": ref}, False
        datatype = value.datatype.value
        if value.language:
            if term is not None and term.language_map:
                return term.name, value.value, True
            full = {"@value": value.value, "@language": value.language}
            return (curie, full, False) if term is None else (term.name, full, False)
        if term is None or term.language_map:
            return curie, value.value if datatype == XSD_STRING else _typed(value, self.prefixes), False
        if term.coerce == datatype:
            return term.name, value.value, False
        if datatype == XSD_STRING and term.coerce is None:
            return term.name, value.value, False
        return term.name, _typed(value, self.prefixes) if datatype != XSD_STRING else {"@value": value.value}, False

    def node(self, subject, triples: list[ox.Triple]) -> dict:
        node: dict = {"@id": _node_ref(subject, self.prefixes)}
        types, values, maps = [], {}, {}
        for triple in triples:
            predicate, value = triple.predicate.value, triple.object
            if predicate == RDF_TYPE and isinstance(value, ox.NamedNode):
                term = self.context.terms.get(value.value)
                types.append(term.name if term else _curie(value.value, self.prefixes))
                continue
            key, written, in_map = self._key_and_value(predicate, value)
            if in_map:
                maps.setdefault(key, {}).setdefault(value.language, []).append(written)
            else:
                values.setdefault(key, []).append(written)
        if types:
            node["@type"] = types[0] if len(types) == 1 else types
        for key in sorted(set(values) | set(maps)):
            if key in maps:
                node[key] = {lang: v[0] if len(v) == 1 else v for lang, v in sorted(maps[key].items())}
                if key in values:  # cannot happen: a language-map term's other values use the CURIE
                    raise AssertionError(key)
            else:
                node[key] = values[key][0] if len(values[key]) == 1 else values[key]
        return node


def _typed(value: ox.Literal, prefixes: dict[str, str]) -> dict:
    return {"@value": value.value, "@type": _curie(value.datatype.value, prefixes)}


def framed_document(triples: Iterable[ox.Triple], entity: ox.NamedNode, context: Context) -> dict:
    """The document of ``triples`` (canonical and sorted, as the Turtle twin's): the entity's
    node object first, then its blank nodes, the other named resources and the remaining
    blank nodes (the statements' reifications), each group in the triples' order.

    >>> S = "https://schema.org/"
    >>> context = Context("http://x/def/context.jsonld", {"schema": S, "id": "http://x/id/"}, {
    ...     S + "name": Term("name", S + "name", language_map=True),
    ...     S + "location": Term("location", S + "location", coerce="@id")})
    >>> a, b = ox.NamedNode("http://x/id/a"), ox.NamedNode("http://x/id/b")
    >>> triples = [ox.Triple(b, ox.NamedNode(S + "name"), ox.Literal("B")),
    ...            ox.Triple(a, ox.NamedNode(S + "location"), b),
    ...            ox.Triple(a, ox.NamedNode(S + "name"), ox.Literal("甲", language="zh"))]
    >>> framed_document(triples, a, context)["@graph"]
    [{'@id': 'id:a', 'location': 'id:b', 'name': {'zh': '甲'}}, {'@id': 'id:b', 'schema:name': 'B'}]
    """
    by_subject: dict = {}
    for triple in triples:
        by_subject.setdefault(triple.subject, []).append(triple)
    reached = _blank_closure(entity, by_subject)

    def group(subject) -> int:
        if subject == entity:
            return 0
        if subject in reached:
            return 1
        return 2 if isinstance(subject, ox.NamedNode) else 3

    writer = _Writer(context)
    position = {subject: index for index, subject in enumerate(by_subject)}
    order = sorted(by_subject, key=lambda s: (group(s), position[s]))
    return {"@context": context.url, "@graph": [writer.node(s, by_subject[s]) for s in order]}


def _blank_closure(entity, by_subject: dict) -> list:
    reached, todo = [], [entity]
    while todo:
        for triple in by_subject.get(todo.pop(), []):
            if isinstance(triple.object, ox.BlankNode) and triple.object not in reached:
                reached.append(triple.object)
                todo.append(triple.object)
    return reached


def serialize(triples: list[ox.Triple], entity: ox.NamedNode, context: Context) -> bytes:
    """:func:`framed_document` as UTF-8 JSON text."""
    return json.dumps(framed_document(triples, entity, context), ensure_ascii=False, indent=2).encode("utf-8")
