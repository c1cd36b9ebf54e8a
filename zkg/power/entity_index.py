"""What reconciliation matches against: the catalogue of entities (a view of their names in
the dataset's label index, matched by its one scoring, with their types and descriptions)
and the vocabulary (types and properties, with their labels), each built once per dataset
version."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import pyoxigraph as ox

from zkg.base import deadline
from zkg.linked_data.labels import LABEL_PROPERTIES, choose_label, choose_literal, fallback_label
from zkg.linked_data.matching import compact_text, fold
from zkg.linked_data.search import ALTERNATIVE_WEIGHT, LabelEntry, LabelIndex, NameSearch  # noqa: F401 (ALTERNATIVE_WEIGHT: here before)
from zkg.power.completion import ShapeCatalogue, data_properties
from zkg.rdf.namespaces import RDF, RDFS, SCHEMA
from zkg.rdf.prefixes import ENTITY_PATH, compact

RDF_TYPE = RDF + "type"
RDFS_COMMENT = RDFS + "comment"

API_VERSIONS = ["0.1", "0.2"]
MATCH_SCORE = 90.0
MATCH_MARGIN = 10.0
WRONG_TYPE_WEIGHT = 0.8
DESCRIPTION_LENGTH = 300

# The work per query, whatever the request and the data (the names scored: the label index's caps).
CANDIDATE_LABELS = 100  # candidates a query's name yields, the best scored
STORED_VALUES, VALUE_NAMES = 10, 5  # a candidate's values compared per property, names per value
#: Generic types offered by default (each matches its sub-classes).
DEFAULT_TYPES = (SCHEMA + "Organization", SCHEMA + "Person", SCHEMA + "Place", SCHEMA + "Event")


def _unspaced(text: str) -> bool:
    """Chinese, Japanese and the like: scripts written without spaces between words."""
    return any(ord(c) >= 0x2E80 and c.isalnum() for c in text)


# -- the catalogue of entities --------------------------------------------------------------------


@dataclass
class NameCandidate:
    iri: str
    name_score: float  # 0-100
    matched: LabelEntry | None


class Catalogue:
    """The entities of the store (the IRIs under ``{base}id/``), their names, types and
    descriptions, indexed for matching.

    Names and descriptions are a view of the dataset's label index
    (:class:`zkg.linked_data.search.LabelIndex`, the site search's, not read again), names
    matched by its scoring (:meth:`name_candidates`); the types are read by
    :meth:`from_store`. Keep one per dataset version. Classes and properties are named and
    ranked by :class:`Vocabulary`.
    """

    def __init__(self, space: str, labels: NameSearch, types: Mapping[str, Iterable[str]] | None = None):
        self.space = space
        self.labels = labels
        self.types: dict[str, list[str]] = {iri: sorted(set(ts)) for iri, ts in (types or {}).items()}

    @classmethod
    def from_rows(
        cls,
        space: str,
        rows: Iterable[tuple[str, str, str, str | None]],
        types: Mapping[str, Iterable[str]] | None = None,
        descriptions: Mapping[str, Iterable[ox.Literal]] | None = None,
    ) -> "Catalogue":
        """A catalogue of ``(iri, property, text, language)`` name rows (those under ``space``)."""
        return cls(space, LabelIndex(rows, descriptions), types)

    @classmethod
    def from_store(cls, store, labels: NameSearch | None = None) -> "Catalogue":
        """The store's entities: their names and descriptions from ``labels``, the dataset's
        label index (built here when the caller keeps none), their types by one query."""
        if labels is None:
            labels = LabelIndex.from_store(store)
        space = store.base_iri + ENTITY_PATH
        types: dict[str, list[str]] = defaultdict(list)
        in_space = f"isIRI(?s) && STRSTARTS(STR(?s), {ox.Literal(space)})"
        for r in store.query(f"SELECT DISTINCT ?s ?t WHERE {{ ?s a ?t FILTER({in_space} && isIRI(?t)) }}"):
            types[r["s"].value].append(r["t"].value)
        return cls(space, labels, types)

    # -- identifiers -----------------------------------------------------------------------

    def identifier(self, iri: str) -> str:
        return iri[len(self.space) :] if iri.startswith(self.space) else iri

    def resolve(self, identifier: str, prefixes: Mapping[str, str] | None = None) -> str | None:
        """The IRI an entity identifier names (``z-park``, ``id:z-park`` or the full IRI),
        when the catalogue has that entity."""
        text = (identifier or "").strip()
        if text.startswith("<") and text.endswith(">"):
            text = text[1:-1]
        candidates = [self.space + text, text]
        prefix, colon, local = text.partition(":")
        if colon and prefixes and prefix in prefixes:
            candidates.append(prefixes[prefix] + local)
        return next((c for c in candidates if c in self.types or self.labels_of(c)), None)

    # -- names -----------------------------------------------------------------------------
    # The label index holds every resource's; the catalogue answers for its entities only.

    def label(self, iri: str, languages: Sequence[str]) -> str:
        return self.labels.label(iri, languages) if iri.startswith(self.space) else fallback_label(iri)

    def description(self, iri: str, languages: Sequence[str]) -> str | None:
        if not iri.startswith(self.space):
            return None
        return self.labels.description(iri, languages, DESCRIPTION_LENGTH)

    def labels_of(self, iri: str) -> list[LabelEntry]:
        return self.labels.labels_of(iri) if iri.startswith(self.space) else []

    def name_candidates(self, query: str, *, limit: int = CANDIDATE_LABELS) -> list[NameCandidate]:
        """Entities whose names answer ``query``, best first, each with its best name: the
        label index's matches (:meth:`zkg.linked_data.search.LabelIndex.matches`, the site
        search's scoring), as scores from 0 to 100."""
        return [
            NameCandidate(found.iri, 100.0 * found.match.score, found.entry)
            for found in self.labels.matches(query, within=self.space)[:limit]
        ]

    def prefix_search(self, prefix: str) -> list[tuple[str, LabelEntry]]:
        """Entities with a label starting with ``prefix`` (then a word of it, then, for
        unspaced scripts, anywhere in it), best first: for suggest services. Among the names
        the label index offers for ``prefix`` (its word index: never every name)."""
        wanted = fold(prefix)
        if not wanted:
            return []
        wanted_compact = compact_text(wanted)
        ranked: dict[str, tuple[tuple, LabelEntry]] = {}
        for found in self.labels.answers(prefix, within=self.space):
            entry = found.entry
            if entry.folded.startswith(wanted):
                rank = 0
            elif f" {wanted}" in f" {entry.folded}" or (
                wanted_compact and entry.name.compact.startswith(wanted_compact)
            ):
                rank = 1
            elif _unspaced(wanted) and wanted in entry.folded:
                rank = 2
            else:
                continue
            key = (rank, not entry.main, len(entry.folded), entry.folded, entry.iri)
            if entry.iri not in ranked or key < ranked[entry.iri][0]:
                ranked[entry.iri] = (key, entry)
        return [(iri, entry) for iri, (key, entry) in sorted(ranked.items(), key=lambda item: item[1][0])]


# -- classes and properties -----------------------------------------------------------------------


@dataclass
class Term:
    iri: str
    kind: str  # "class" or "property"
    uses: int = 0
    labels: list[tuple[str, ox.Literal]] = field(default_factory=list)
    comments: list[ox.Literal] = field(default_factory=list)


class Vocabulary:
    """The classes and properties of the store with their labels: the entities' types and
    properties, and what the vocabulary declares. With the shapes, for property proposals."""

    CLASS_METAS = ("owl:Class", "rdfs:Class")
    PROPERTY_METAS = (
        "rdf:Property",
        "owl:ObjectProperty",
        "owl:DatatypeProperty",
        "owl:AnnotationProperty",
        "qb:DimensionProperty",
        "qb:MeasureProperty",
        "qb:AttributeProperty",
    )

    def __init__(
        self, terms: Iterable[Term], shapes: ShapeCatalogue | None = None, prefixes: Mapping[str, str] | None = None
    ):
        self.terms: dict[tuple[str, str], Term] = {(t.kind, t.iri): t for t in terms}
        self.shapes = shapes or ShapeCatalogue([])
        self.prefixes = dict(prefixes or {})

    @classmethod
    def from_store(cls, store, shapes: ShapeCatalogue | None = None) -> "Vocabulary":
        space = ox.Literal(store.base_iri + ENTITY_PATH)
        terms: dict[tuple[str, str], Term] = {}

        def add(kind: str, iri: str, uses: int = 0) -> None:
            term = terms.setdefault((kind, iri), Term(iri, kind))
            term.uses += uses

        for r in store.query(
            f"SELECT ?t (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a ?t FILTER(isIRI(?t) && "
            f"STRSTARTS(STR(?s), {space})) }} GROUP BY ?t"
        ):
            add("class", r["t"].value, int(r["n"].value))
        for r in store.query(
            f"SELECT ?p (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), {space})) }} GROUP BY ?p"
        ):
            add("property", r["p"].value, int(r["n"].value))
        metas = {"class": cls.CLASS_METAS, "property": cls.PROPERTY_METAS}
        for kind, names in metas.items():
            for r in store.query(
                f"SELECT DISTINCT ?t WHERE {{ VALUES ?m {{ {' '.join(names)} }} ?t a ?m FILTER(isIRI(?t)) }}"
            ):
                add(kind, r["t"].value)
        if shapes is not None:
            for klass in shapes.targets():
                add("class", klass)
        iris = sorted({iri for _k, iri in terms})
        labelled = ", ".join(f"<{p}>" for p in (*LABEL_PROPERTIES, RDFS_COMMENT))
        for start in range(0, len(iris), 500):
            chunk = " ".join(str(ox.NamedNode(i)) for i in iris[start : start + 500])
            for r in store.query(
                f"SELECT ?t ?p ?l WHERE {{ VALUES ?t {{ {chunk} }} ?t ?p ?l "
                f"FILTER(?p IN ({labelled}) && isLiteral(?l)) }}"
            ):
                for kind in ("class", "property"):
                    term = terms.get((kind, r["t"].value))
                    if term is None:
                        continue
                    if r["p"].value == RDFS_COMMENT:
                        term.comments.append(r["l"])
                    else:
                        term.labels.append((r["p"].value, r["l"]))
        return cls(terms.values(), shapes, store.prefixes)

    def identifier(self, iri: str) -> str:
        curie = compact(iri, self.prefixes)
        return iri if curie.startswith("<") else curie

    def resolve(self, identifier: str) -> str | None:
        """The IRI a type or property identifier names (``schema:Person`` or a full IRI)."""
        text = (identifier or "").strip()
        if text.startswith("<") and text.endswith(">"):
            text = text[1:-1]
        prefix, colon, local = text.partition(":")
        if colon and prefix in self.prefixes and not local.startswith("//"):
            return self.prefixes[prefix] + local
        if colon and local.startswith("//"):
            return text
        return None

    def name(self, iri: str, languages: Sequence[str], kind: str | None = None) -> str:
        for k in (kind,) if kind else ("class", "property"):
            term = self.terms.get((k, iri))
            if term is not None and term.labels:
                return choose_label(term.labels, languages) or fallback_label(iri)
        return fallback_label(iri)

    def comment(self, iri: str, kind: str, languages: Sequence[str]) -> str | None:
        term = self.terms.get((kind, iri))
        chosen = choose_literal(term.comments, languages) if term else None
        return chosen.value if chosen is not None else None

    def of_kind(self, kind: str) -> list[Term]:
        return sorted((t for (k, _i), t in self.terms.items() if k == kind), key=lambda t: (-t.uses, t.iri))

    def search(self, kind: str, prefix: str, languages: Sequence[str]) -> list[Term]:
        """Terms whose label, local name or ``prefix:local`` starts with ``prefix`` (or has a
        word starting so), most used first."""
        wanted = fold(prefix)
        found = []
        for term in deadline.checked(self.of_kind(kind)):
            names = [
                fold(self.name(term.iri, languages, kind)),
                fold(fallback_label(term.iri)),
                fold(self.identifier(term.iri)),
                fold(term.iri),
            ]
            names += [fold(lit.value) for _p, lit in term.labels]
            if not wanted or any(n.startswith(wanted) or f" {wanted}" in f" {n}" for n in names):
                found.append(term)
        exact = [t for t in found if fold(self.identifier(t.iri)) == wanted or fold(fallback_label(t.iri)) == wanted]
        return exact + [t for t in found if t not in exact]

    def broader(self, iri: str) -> list[str]:
        return sorted(self.shapes.superclasses.get(iri, ()))

    def conforms(self, entity_types: Iterable[str], wanted: Sequence[str], strict: str) -> bool:
        """Whether an entity of ``entity_types`` is of the ``wanted`` types (each matching its
        sub-classes): any of them, or all of them when ``strict`` is ``all``."""
        if not wanted:
            return True
        reach = {a for t in entity_types for a in self.shapes.ancestors(t)}
        hits = [w in reach for w in wanted]
        return all(hits) if strict == "all" else any(hits)

    def proposed_properties(self, store, type_iri: str | None, *, limit: int) -> list[str]:
        """Properties worth fetching for entities of ``type_iri``: those its shapes allow
        (required first), then the others its instances have, most used first (or, with no
        type, the properties most entities have)."""
        proposed: list[str] = []
        if type_iri:
            for prop in self.shapes.class_properties(type_iri):
                if not prop.inverse and prop.path not in proposed:
                    proposed.append(prop.path)
            for klass in self.shapes.descendants(type_iri):
                for prop, _n in data_properties(store, klass, limit=limit * 2):
                    if prop not in proposed:
                        proposed.append(prop)
        else:
            proposed = [t.iri for t in self.of_kind("property")]
        return proposed[:limit]


# -- reconciliation ------------------------------------------------------------------------------
