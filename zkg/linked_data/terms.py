"""What a vocabulary term's reference page says: kind, label, comment, super- and sub-terms,
domain and range, the SHACL shapes that apply, and how much the data uses it.

A handful of queries whatever the term: the term's own statements, relatives and counts;
the shapes (from the ``graph:shapes`` graph: node shapes targeting a class, property shapes
whose path is or contains a property, the node shapes holding those); usage per graph and
a sample of users; labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import pyoxigraph as ox

from zkg.linked_data.labels import (
    DEFAULT_LANGUAGES,
    choose_label,
    choose_literal,
    fallback_label,
    fetch_label_candidates,
)
from zkg.rdf.namespaces import OWL, QB, RDF, RDFS
from zkg.rdf.prefixes import graph_iri

CLASS_TYPES = {RDFS + "Class", OWL + "Class"}
PROPERTY_TYPES = {
    RDF + "Property",
    OWL + "ObjectProperty",
    OWL + "DatatypeProperty",
    OWL + "AnnotationProperty",
    QB + "DimensionProperty",
    QB + "MeasureProperty",
    QB + "AttributeProperty",
    QB + "ComponentProperty",
}
COMMENT_PROPERTIES = (RDFS + "comment", "http://www.w3.org/2004/02/skos/core#definition")
INSTANCE_SAMPLE = 25  # instances or subjects listed on a term page


@dataclass
class ShapeUse:
    shape: str  # the shape's IRI (blank shapes are left out: they have no page)
    label: str | None
    how: str  # "targets this class", "constrains this property", …
    severity: str | None
    message: str | None


@dataclass
class TermInfo:
    iri: str
    kinds: list[str]  # "class" and/or "property"
    comment: str | None
    super_terms: list[str] = field(default_factory=list)
    sub_terms: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    ranges: list[str] = field(default_factory=list)
    shapes: list[ShapeUse] = field(default_factory=list)
    uses: int = 0  # instances of a class; statements using a property
    uses_by_graph: dict[str, int] = field(default_factory=dict)
    sample: list[str] = field(default_factory=list)  # some instances / subjects using it
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def is_class(self) -> bool:
        return "class" in self.kinds

    @property
    def is_property(self) -> bool:
        return "property" in self.kinds


def is_term(store, iri: str) -> bool:
    """Whether ``iri`` is declared as, or used as, a class or a property."""
    node = str(ox.NamedNode(iri))
    types = " ".join(f"<{t}>" for t in sorted(CLASS_TYPES | PROPERTY_TYPES))
    return bool(
        store.query(
            f"ASK {{ {{ VALUES ?t {{ {types} }} {node} a ?t }} UNION {{ ?s a {node} }} UNION {{ ?s {node} ?o }} }}"
        )
    )


def term_info(store, iri: str, base_iri: str, languages: Sequence[str] = DEFAULT_LANGUAGES) -> TermInfo:
    node = str(ox.NamedNode(iri))
    rows = list(
        store.query(f"""
        SELECT ?rel ?x WHERE {{
          {{ {node} a ?x BIND("type" AS ?rel) }}
          UNION {{ {node} rdfs:subClassOf|rdfs:subPropertyOf ?x BIND("super" AS ?rel) }}
          UNION {{ ?x rdfs:subClassOf|rdfs:subPropertyOf {node} BIND("sub" AS ?rel) }}
          UNION {{ {node} rdfs:domain ?x BIND("domain" AS ?rel) }}
          UNION {{ {node} rdfs:range ?x BIND("range" AS ?rel) }}
          UNION {{ {node} rdfs:comment|skos:definition ?x BIND("comment" AS ?rel) }}
          UNION {{ SELECT ("instances" AS ?rel) (COUNT(DISTINCT ?s) AS ?x) {{ ?s a {node} }} }}
          UNION {{ SELECT ("statements" AS ?rel) (COUNT(*) AS ?x) {{ ?s {node} ?o }} }}
        }}""")
    )
    found: dict[str, list] = {}
    for row in rows:
        found.setdefault(row["rel"].value, []).append(row["x"])
    types = {t.value for t in found.get("type", []) if isinstance(t, ox.NamedNode)}
    instances = int(found["instances"][0].value) if found.get("instances") else 0
    statements = int(found["statements"][0].value) if found.get("statements") else 0
    kinds = []
    if types & CLASS_TYPES or instances:
        kinds.append("class")
    if types & PROPERTY_TYPES or statements:
        kinds.append("property")
    names = lambda rel: sorted({x.value for x in found.get(rel, []) if isinstance(x, ox.NamedNode)})  # noqa: E731
    comment = choose_literal(found.get("comment", []), languages)
    info = TermInfo(
        iri,
        kinds,
        comment.value if comment is not None else None,
        names("super"),
        names("sub"),
        names("domain"),
        names("range"),
    )
    info.shapes = _shapes(store, node, base_iri, info)
    _usage(store, node, info, instances, statements)
    mentioned = {
        iri,
        *info.super_terms,
        *info.sub_terms,
        *info.domains,
        *info.ranges,
        *info.sample,
        *info.uses_by_graph,
        *(s.shape for s in info.shapes),
    }
    candidates = fetch_label_candidates(store, mentioned)
    info.labels = {i: choose_label(candidates.get(i, ()), languages) or fallback_label(i) for i in mentioned}
    for shape in info.shapes:
        if shape.label is None:  # no sh:name: its rdfs:label, else its IRI's last segment
            shape.label = info.labels[shape.shape]
    return info


#: The SHACL path forms that wrap a property (or a list of them). A path through a property is
#: ``sh:path/(wrapper)?/(rdf:rest*/rdf:first)?`` to it, written out as two branches with the
#: list's cell bound by its ``rdf:first``: Virtuoso 7.2.5 follows ``rdf:rest*`` only from a
#: known end ("TR…: neither end of it is bound"); the same shapes on every engine.
_PATH_WRAPPERS = "(sh:alternativePath|sh:inversePath|sh:zeroOrMorePath|sh:oneOrMorePath|sh:zeroOrOnePath)"


def _shapes(store, node: str, base_iri: str, info: TermInfo) -> list[ShapeUse]:
    shapes_graph = ox.NamedNode(graph_iri(base_iri, "shapes"))
    rows = store.query(f"""
        SELECT DISTINCT ?shape ?how ?name ?severity ?message WHERE {{
          GRAPH {shapes_graph} {{
            {{ ?shape sh:targetClass {node} BIND("targets this class" AS ?how) }}
            UNION {{ ?shape sh:path {node} BIND("constrains this property" AS ?how) }}
            UNION {{ {{ ?shape sh:path/{_PATH_WRAPPERS} {node} }}
                     UNION {{ ?shape sh:path/{_PATH_WRAPPERS}?/rdf:rest* ?cell . ?cell rdf:first {node} }}
                     FILTER NOT EXISTS {{ ?shape sh:path {node} }}
                     BIND("constrains a path through this property" AS ?how) }}
            UNION {{ ?shape sh:property ?ps . ?ps sh:path {node} BIND("has a property shape on this property" AS ?how) }}
            UNION {{ ?shape sh:class {node} BIND("requires values of this class" AS ?how) }}
            FILTER(isIRI(?shape))
            OPTIONAL {{ ?shape sh:name ?name }}
            OPTIONAL {{ ?shape sh:severity ?severity }}
            OPTIONAL {{ ?shape sh:message ?message }}
          }}
        }}""")
    uses: dict[tuple, ShapeUse] = {}
    for row in rows:
        key = (row["shape"].value, row["how"].value)
        if key in uses:
            continue
        severity = row["severity"].value.rsplit("#", 1)[-1] if row["severity"] is not None else None
        uses[key] = ShapeUse(
            row["shape"].value,
            row["name"].value if row["name"] is not None else None,
            row["how"].value,
            severity,
            row["message"].value if row["message"] is not None else None,
        )
    return sorted(uses.values(), key=lambda u: (u.how, u.shape))


def _usage(store, node: str, info: TermInfo, instances: int, statements: int) -> None:
    if info.is_class:
        info.uses = instances
        pattern = f"?s a {node}"
    else:
        info.uses = statements
        pattern = f"?s {node} ?o"
    if not info.uses:
        return
    for row in store.query(f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ {pattern} }} }} GROUP BY ?g ORDER BY ?g"):
        info.uses_by_graph[row["g"].value] = int(row["n"].value)
    info.sample = [
        row["s"].value
        for row in store.query(
            f"SELECT DISTINCT ?s WHERE {{ {pattern} FILTER(isIRI(?s)) }} ORDER BY ?s LIMIT {INSTANCE_SAMPLE}"
        )
    ]
