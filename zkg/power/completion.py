"""Completion from zkg's own shapes and labels: what fits where, for the query editor (and the
reconciliation service's property proposals). Nothing outside the store is asked.

- For a **class**: the properties its SHACL shapes allow (the node shapes whose
  ``sh:targetClass`` is the class or one of its super-classes, their ``sh:property`` →
  ``sh:path``; alternative and inverse paths unfolded), each with its value types
  (``sh:class``, ``sh:datatype``, ``sh:node`` and ``sh:or`` followed through the shared value
  shapes), cardinality and the shape's name; then the other properties entities of that class
  have in the data, most used first.
- For a **property**: the value types the shapes give it, and the classes and entities that fit,
  by label (prefix, case- and accent-insensitive, any language).
- For a **prefix**: its namespace (all predeclared prefixes).

The shapes are read from the store (the ``graph:shapes`` graph) with one query and kept by the
caller per dataset version.

>>> import pyoxigraph as ox
>>> from zkg.store.local import Store
>>> s = Store.open(base_iri="http://zkg.test/")
>>> s.update('''INSERT DATA { GRAPH graph:shapes {
...   <http://zkg.test/def/shapes/P> sh:targetClass schema:Person ; sh:property <http://zkg.test/def/shapes/P-n> .
...   <http://zkg.test/def/shapes/P-n> sh:path schema:name ; sh:minCount 1 ; sh:datatype xsd:string ; sh:name "name" } }''')
>>> shapes = ShapeCatalogue.from_store(s)
>>> [(p.path, p.inverse, [v.iri for v in p.value_types], p.min_count) for p in shapes.class_properties(SCHEMA + "Person")]
[('https://schema.org/name', False, ['http://www.w3.org/2001/XMLSchema#string'], 1)]
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

import pyoxigraph as ox

from zkg.base import deadline
from zkg.linked_data.labels import ALTERNATIVE_LABEL_PROPERTIES, LABEL_PROPERTIES, fallback_label
from zkg.linked_data.matching import fold
from zkg.rdf.namespaces import ORG, RDF, SCHEMA, SH
from zkg.rdf.prefixes import graph_iri
from zkg.store.loading import SHAPES, VOCABULARY

#: Super-classes of the schema.org and W3C ORG classes the graph uses (facts of those
#: vocabularies, whose hierarchies are not in the store; the zkg vocabulary's own
#: rdfs:subClassOf axioms are read from the store).
KNOWN_SUPERCLASSES: dict[str, tuple[str, ...]] = {
    SCHEMA + "Corporation": (SCHEMA + "Organization",),
    SCHEMA + "GovernmentOrganization": (SCHEMA + "Organization",),
    SCHEMA + "EducationalOrganization": (SCHEMA + "Organization",),
    SCHEMA + "CollegeOrUniversity": (SCHEMA + "EducationalOrganization",),
    SCHEMA + "ResearchOrganization": (SCHEMA + "Organization",),
    SCHEMA + "NGO": (SCHEMA + "Organization",),
    SCHEMA + "NewsMediaOrganization": (SCHEMA + "Organization",),
    SCHEMA + "AdministrativeArea": (SCHEMA + "Place",),
    SCHEMA + "Country": (SCHEMA + "AdministrativeArea",),
    SCHEMA + "State": (SCHEMA + "AdministrativeArea",),
    SCHEMA + "City": (SCHEMA + "AdministrativeArea",),
    SCHEMA + "Continent": (SCHEMA + "Place",),
    SCHEMA + "BusinessEvent": (SCHEMA + "Event",),
    SCHEMA + "EducationEvent": (SCHEMA + "Event",),
    SCHEMA + "ExhibitionEvent": (SCHEMA + "Event",),
    SCHEMA + "Festival": (SCHEMA + "Event",),
    SCHEMA + "SocialEvent": (SCHEMA + "Event",),
    SCHEMA + "ChooseAction": (SCHEMA + "Action",),
    SCHEMA + "PlanAction": (SCHEMA + "Action",),
    SCHEMA + "NewsArticle": (SCHEMA + "Article",),
    ORG + "FormalOrganization": (ORG + "Organization",),
    ORG + "OrganizationalUnit": (ORG + "Organization",),
}


@dataclass(frozen=True)
class ValueType:
    kind: str  # "class", "datatype" or "nodeKind"
    iri: str


@dataclass
class ShapeProperty:
    """One property a shape allows: ``path`` (the property IRI), read backwards if ``inverse``."""

    path: str
    inverse: bool
    shape: str  # the property shape's IRI (or blank node id)
    node_shape: str  # the targeted node shape it belongs to
    name: str | None = None
    message: str | None = None
    min_count: int = 0
    max_count: int | None = None
    value_types: list[ValueType] = field(default_factory=list)

    def as_json(self, compact=lambda iri: iri, labels: dict | None = None) -> dict:
        labels = labels or {}
        return {
            "iri": self.path,
            "curie": compact(self.path),
            "label": labels.get(self.path),
            "inverse": self.inverse,
            "source": "shape",
            "shape": self.node_shape,
            "shapeName": self.name,
            "minCount": self.min_count,
            "maxCount": self.max_count,
            "message": self.message,
            "valueTypes": [
                {"kind": v.kind, "iri": v.iri, "curie": compact(v.iri), "label": labels.get(v.iri)}
                for v in self.value_types
            ],
        }


def _term_key(term) -> str:
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    return term.value if isinstance(term, (ox.NamedNode, ox.Literal)) else str(term)


class ShapeCatalogue:
    """The shapes graph in memory, read for completion."""

    def __init__(self, triples: Iterable[tuple], superclasses: dict[str, set[str]] | None = None):
        self._out: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        for s, p, o in triples:
            self._out[_term_key(s)][p.value].append(o)
        self.superclasses: dict[str, set[str]] = defaultdict(set)
        for sub, supers in KNOWN_SUPERCLASSES.items():
            self.superclasses[sub].update(supers)
        for sub, supers in (superclasses or {}).items():
            self.superclasses[sub].update(supers)
        self._by_class: dict[str, list[str]] = defaultdict(list)  # class -> node shapes targeting it
        for subject, props in self._out.items():
            for target in props.get(SH + "targetClass", []):
                if isinstance(target, ox.NamedNode):
                    self._by_class[target.value].append(subject)

    @classmethod
    def from_store(cls, store) -> "ShapeCatalogue":
        """The shapes graph and the vocabulary's rdfs:subClassOf axioms, in two queries."""
        base = store.base_iri
        shapes = ox.NamedNode(graph_iri(base, SHAPES))
        rows = store.query(f"SELECT ?s ?p ?o WHERE {{ GRAPH {shapes} {{ ?s ?p ?o }} }}")
        triples = [(r["s"], r["p"], r["o"]) for r in rows]
        vocabulary = ox.NamedNode(graph_iri(base, VOCABULARY))
        supers: dict[str, set[str]] = defaultdict(set)
        for r in store.query(
            f"SELECT ?c ?d WHERE {{ GRAPH {vocabulary} {{ ?c rdfs:subClassOf ?d FILTER(isIRI(?c) && isIRI(?d)) }} }}"
        ):
            supers[r["c"].value].add(r["d"].value)
        return cls(triples, supers)

    # -- reading the graph -----------------------------------------------------------------

    def _values(self, node, predicate: str) -> list:
        return self._out.get(_term_key(node) if not isinstance(node, str) else node, {}).get(predicate, [])

    def _first(self, node, predicate: str):
        found = self._values(node, predicate)
        return found[0] if found else None

    def _list(self, node) -> list:
        items, seen = [], set()
        while node is not None and not (isinstance(node, ox.NamedNode) and node.value == RDF + "nil"):
            key = _term_key(node)
            if key in seen:
                break
            seen.add(key)
            first = self._first(node, RDF + "first")
            if first is not None:
                items.append(first)
            node = self._first(node, RDF + "rest")
        return items

    def _paths(self, path) -> list[tuple[str, bool]]:
        """The single-step (property, inverse) pairs a SHACL path allows; sequence paths and
        the like are left out (nothing to complete one step at a time)."""
        if isinstance(path, ox.NamedNode):
            return [(path.value, False)]
        inverse = self._first(path, SH + "inversePath")
        if isinstance(inverse, ox.NamedNode):
            return [(inverse.value, True)]
        alternatives = self._first(path, SH + "alternativePath")
        if alternatives is not None:
            return [step for item in self._list(alternatives) for step in self._paths(item)]
        return []

    def _value_types(self, shape, depth: int = 0) -> list[ValueType]:
        """What a shape says its values are, following sh:node and sh:or (and sh:and)."""
        if depth > 6:
            return []
        found: list[ValueType] = []
        for c in self._values(shape, SH + "class"):
            found.append(ValueType("class", c.value))
        for d in self._values(shape, SH + "datatype"):
            found.append(ValueType("datatype", d.value))
        for k in self._values(shape, SH + "nodeKind"):
            found.append(ValueType("nodeKind", k.value))
        for node in self._values(shape, SH + "node"):
            found += self._value_types(node, depth + 1)
        for predicate in (SH + "or", SH + "and", SH + "xone"):
            for members in self._values(shape, predicate):
                for member in self._list(members):
                    found += self._value_types(member, depth + 1)
        return list(dict.fromkeys(found))

    def _literal_int(self, node, predicate: str) -> int | None:
        value = self._first(node, predicate)
        try:
            return int(value.value) if isinstance(value, ox.Literal) else None
        except ValueError:
            return None

    def _text(self, node, predicate: str) -> str | None:
        values = [v for v in self._values(node, predicate) if isinstance(v, ox.Literal)]
        english = [v for v in values if (v.language or "en").startswith("en")]
        chosen = english or values
        return chosen[0].value if chosen else None

    # -- answers ---------------------------------------------------------------------------

    def ancestors(self, class_iri: str) -> list[str]:
        """The class and its super-classes, nearest first."""
        order, frontier = [class_iri], [class_iri]
        while frontier:
            nxt = []
            for c in frontier:
                for parent in sorted(self.superclasses.get(c, ())):
                    if parent not in order:
                        order.append(parent)
                        nxt.append(parent)
            frontier = nxt
        return order

    def targets(self) -> list[str]:
        """Every class some shape targets."""
        return sorted(self._by_class)

    def class_properties(self, class_iri: str) -> list[ShapeProperty]:
        """The properties the shapes of ``class_iri`` (and of its super-classes) allow: the
        required ones (sh:minCount ≥ 1) first, then in the shapes' order; one entry per
        (property, direction), the first shape's."""
        found: dict[tuple[str, bool], ShapeProperty] = {}
        for klass in self.ancestors(class_iri):
            for node_shape in sorted(self._by_class.get(klass, ())):
                for prop_shape in self._values(node_shape, SH + "property"):
                    path = self._first(prop_shape, SH + "path")
                    if path is None:
                        continue
                    value_types = self._value_types(prop_shape)
                    for iri, inverse in self._paths(path):
                        key = (iri, inverse)
                        if key in found:
                            existing = found[key]
                            existing.min_count = max(
                                existing.min_count, self._literal_int(prop_shape, SH + "minCount") or 0
                            )
                            for v in value_types:
                                if v not in existing.value_types:
                                    existing.value_types.append(v)
                            continue
                        found[key] = ShapeProperty(
                            path=iri,
                            inverse=inverse,
                            shape=_term_key(prop_shape),
                            node_shape=node_shape,
                            name=self._text(prop_shape, SH + "name"),
                            message=self._text(prop_shape, SH + "message"),
                            min_count=self._literal_int(prop_shape, SH + "minCount") or 0,
                            max_count=self._literal_int(prop_shape, SH + "maxCount"),
                            value_types=list(value_types),
                        )
        ordered = list(found.values())
        return sorted(ordered, key=lambda p: (p.min_count < 1, ordered.index(p)))

    def property_value_types(self, property_iri: str, *, inverse: bool = False) -> list[ValueType]:
        """What the shapes say the values of ``property_iri`` are, across all shapes."""
        found: list[ValueType] = []
        for props in list(self._out.values()):
            for prop_shape in props.get(SH + "property", []):
                path = self._first(prop_shape, SH + "path")
                if path is not None and (property_iri, inverse) in self._paths(path):
                    for v in self._value_types(prop_shape):
                        if v not in found:
                            found.append(v)
        return found

    def descendants(self, class_iri: str) -> list[str]:
        """The class and every class below it (known, or in the vocabulary)."""
        below: dict[str, set[str]] = defaultdict(set)
        for sub, supers in self.superclasses.items():
            for parent in supers:
                below[parent].add(sub)
        order, frontier = [class_iri], [class_iri]
        while frontier:
            nxt = []
            for c in frontier:
                for child in sorted(below.get(c, ())):
                    if child not in order:
                        order.append(child)
                        nxt.append(child)
            frontier = nxt
        return order


# -- what the data says ----------------------------------------------------------------------------

_MAX_CANDIDATES = 5000
#: Characters of a label prefix (``q=``) or a prefix name (``prefix=``) a request may give.
MAX_TEXT = 200


def data_properties(store, class_iri: str, *, limit: int = 100) -> list[tuple[str, int]]:
    """(property, uses) for the properties entities of ``class_iri`` have, most used first."""
    klass = ox.NamedNode(class_iri)
    rows = store.query(
        f"SELECT ?p (COUNT(*) AS ?n) WHERE {{ ?s a {klass} ; ?p ?o }} "
        f"GROUP BY ?p ORDER BY DESC(?n) ?p LIMIT {int(limit)}"
    )
    return [(r["p"].value, int(r["n"].value)) for r in rows]


def _matches(folded_labels: Iterable[str], wanted: str) -> bool:
    if not wanted:
        return True
    for label in folded_labels:
        if (
            label.startswith(wanted)
            or f" {wanted}" in f" {label}"
            or (any(ord(c) > 0x2E80 for c in wanted) and wanted in label)
        ):
            return True
    return False


def fitting_resources(
    store,
    *,
    classes: Iterable[str] = (),
    property_iri: str | None = None,
    inverse: bool = False,
    text: str = "",
    limit: int = 50,
) -> list[str]:
    """IRIs that fit a position, whose label (any label, any language) starts with ``text``
    or has a word starting with it: instances of ``classes`` when given, else the resources
    the data already uses as values of ``property_iri`` (its subjects when ``inverse``)."""

    classes = list(classes)
    if classes:
        values = " ".join(str(ox.NamedNode(c)) for c in classes)
        query = (
            f"SELECT DISTINCT ?r WHERE {{ VALUES ?c {{ {values} }} ?r a ?c FILTER(isIRI(?r)) }} LIMIT {_MAX_CANDIDATES}"
        )
    elif property_iri is not None:
        p = ox.NamedNode(property_iri)
        pattern = f"?r {p} ?x" if inverse else f"?x {p} ?r"
        query = f"SELECT DISTINCT ?r WHERE {{ {pattern} FILTER(isIRI(?r)) }} LIMIT {_MAX_CANDIDATES}"
    else:
        return []
    candidates = [r["r"].value for r in store.query(query)]
    if not candidates:
        return []
    wanted = fold(text)
    labels: dict[str, list[str]] = defaultdict(list)
    properties = ", ".join(f"<{x}>" for x in (*LABEL_PROPERTIES, *ALTERNATIVE_LABEL_PROPERTIES))
    for start in range(0, len(candidates), 500):
        chunk = " ".join(str(ox.NamedNode(i)) for i in candidates[start : start + 500])
        # FILTER IN rather than VALUES ?p: see zkg.linked_data.labels.fetch_label_candidates.
        for row in deadline.checked(
            store.query(
                f"SELECT ?r ?l WHERE {{ VALUES ?r {{ {chunk} }} ?r ?p ?l "
                f"FILTER(?p IN ({properties}) && isLiteral(?l)) }}"
            ),
            every=256,
        ):
            labels[row["r"].value].append(fold(row["l"].value))

    fitting = [
        iri
        for iri in deadline.checked(candidates, every=256)
        if _matches(labels.get(iri) or [fold(fallback_label(iri))], wanted)
    ]
    return sorted(fitting, key=lambda iri: (min(labels.get(iri) or [fold(fallback_label(iri))]), iri))[:limit]
