"""A description turned into what a page shows: facts grouped for people, each value
formatted and linked, each with its source; and the entity's statistics (Data Cube
observations whose ``zkg:refSubject`` it is) as table rows and yearly series.

Flask-free: links come from a ``link(iri) -> href`` function the web layer passes in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

import pyoxigraph as ox

from zkg.linked_data import formatting
from zkg.linked_data.describe import INCOMING, OWN, RDF_TYPE, SCHEMA, Description
from zkg.linked_data.labels import (
    ALTERNATIVE_LABEL_PROPERTIES,
    DEFAULT_LANGUAGES,
    LABEL_PROPERTIES,
    RDFS_LABEL,
    SCHEMA_ALTERNATE_NAME,
    SCHEMA_NAME,
    SKOS_ALT_LABEL,
    SKOS_PREF_LABEL,
    choose_label,
    choose_literal,
    fallback_label,
    fetch_label_candidates,
)
from zkg.rdf.namespaces import RDF, RDFS, SKOS

RDFS_COMMENT = RDFS + "comment"
DESCRIPTION_PROPERTIES = (
    SCHEMA + "description",
    RDFS_COMMENT,
    SKOS + "definition",
    "http://purl.org/dc/terms/description",
)
NAME_PROPERTIES = LABEL_PROPERTIES + ALTERNATIVE_LABEL_PROPERTIES
REF_SUBJECT_PATH = "def/refSubject"  # under the base IRI: zkg:refSubject

Link = Callable[[str], str]


@dataclass
class SourceRef:
    """Where a value comes from: its named graph and that graph's source."""

    graph: str
    graph_label: str
    source: str | None  # the document the graph is derived from, else the agent it is by
    label: str  # short, for a table cell: "China Daily, 5 March 2016, p. 7"
    title: str  # the source's full label or citation
    derived: bool  # the graph is derived from a document (else attributed to an agent)

    @property
    def cited(self) -> str:
        """What a page links a fact's source to: the document, else the graph itself."""
        return self.source if self.derived and self.source else self.graph


@dataclass
class ValueView:
    text: str
    iri: str | None = None
    href: str | None = None
    language: str | None = None
    note: str | None = None  # how precise a date is, an unusual datatype
    parts: list["FactView"] | None = None  # a blank node's own facts
    items: list["ValueView"] | None = None  # an RDF list's members, in order
    sources: list[SourceRef] = field(default_factory=list)


@dataclass
class FactView:
    predicate: str
    label: str
    href: str
    values: list[ValueView]


@dataclass
class EntityFacts:
    """Everything a page shows about one resource, ready for a template."""

    iri: str
    label: str
    description: str | None
    types: list[ValueView]
    names: list[FactView]
    facts: list[FactView]
    incoming: list[tuple[ValueView, FactView]]  # (the linking resource, the property)
    sources: list[SourceRef]  # those of the graphs the facts and incoming links come from
    refs: dict[str, SourceRef]  # every graph of the description -> its source
    labels: dict[str, str]


#: Words for standard terms the store has no label for (the vocabularies themselves are not
#: loaded); anything else unlabelled is its IRI's last segment, camelCase split into words.
STANDARD_NAMES = {
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#type": "type",
    SKOS + "prefLabel": "preferred label",
    SKOS + "altLabel": "other name",
    SCHEMA + "alternateName": "other name",
    SCHEMA + "sameAs": "same as",
    "http://www.w3.org/2002/07/owl#sameAs": "same as",
    "http://www.w3.org/ns/org#headOf": "head of",
}


def readable_name(iri: str) -> str:
    """A name for an unlabelled IRI.

    >>> readable_name("https://schema.org/foundingDate"), readable_name("http://www.w3.org/ns/org#hasSubOrganization")
    ('founding date', 'has sub organization')
    >>> readable_name("http://zkg.test/id/z-park"), readable_name("https://schema.org/URL")
    ('z-park', 'URL')
    >>> readable_name("http://www.w3.org/ns/org#FormalOrganization"), readable_name("https://schema.org/isbnURL")
    ('Formal Organization', 'isbn URL')
    """
    if iri in STANDARD_NAMES:
        return STANDARD_NAMES[iri]
    name = fallback_label(iri)
    if not name.isalnum():
        return name
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+", name)  # "URLValue" -> URL, Value
    if not words:
        return name
    if name[0].islower():  # a property: words in lower case
        return " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in words)
    return " ".join(words)  # a class: "NewsArticle" -> "News Article"


def _described_candidates(description: Description) -> dict[str, list]:
    """The label candidates the description holds, by IRI."""
    candidates: dict[str, list] = {}
    for s in description.statements:
        if isinstance(s.subject, ox.NamedNode) and s.predicate.value in LABEL_PROPERTIES:
            candidates.setdefault(s.subject.value, []).append((s.predicate.value, s.object))
    return candidates


def labels_wanted(description: Description) -> set[str]:
    """The IRIs whose labels :class:`LabelBook` asks the store for: those the description
    mentions without holding a label of (properties, classes, publishers). A page asks
    for them with its other labels in one query and hands the answer to
    :func:`entity_facts` (``candidates``)."""
    wanted = {s.predicate.value for s in description.statements}
    wanted |= {s.object.value for s in description.statements if isinstance(s.object, ox.NamedNode)}
    wanted |= {s.subject.value for s in description.statements if isinstance(s.subject, ox.NamedNode)}
    return wanted - set(_described_candidates(description))


class LabelBook:
    """Labels for every IRI a page mentions: from the description when it has them, else
    from one more query for the rest (properties, classes, publishers), or from
    ``fetched``, the answer to that query asked already (for at least :func:`labels_wanted`)."""

    def __init__(
        self, store, description: Description, languages: Sequence[str], fetched: dict[str, list] | None = None
    ):
        self.languages = languages
        candidates = _described_candidates(description)
        missing = labels_wanted(description)
        if missing and fetched is None:
            candidates.update(fetch_label_candidates(store, missing))
        elif missing and fetched is not None:
            candidates.update((iri, fetched[iri]) for iri in missing if iri in fetched)
        self._labels = {iri: choose_label(found, languages) for iri, found in candidates.items()}

    def __call__(self, iri: str) -> str:
        return self._labels.get(iri) or readable_name(iri)

    def known(self) -> dict[str, str]:
        return {iri: label for iri, label in self._labels.items() if label}


def source_refs(description: Description, labels: LabelBook) -> dict[str, SourceRef]:
    """One :class:`SourceRef` per named graph of the description."""
    facts_about = {}
    for s in description.statements:
        facts_about.setdefault(s.subject.value if isinstance(s.subject, ox.NamedNode) else None, {}).setdefault(
            s.predicate.value, []
        ).append(s.object)
    refs = {}
    for graph in description.graphs():
        info = description.source_of(graph)
        source = info.source if info else None
        derived = bool(info and info.derived)
        if derived:
            # A document: cited short (publisher, date, page) when the document says them.
            title = short = labels(source)
            said = facts_about.get(source, {})
            publisher, date, page = (
                said.get(SCHEMA + "publisher"),
                said.get(SCHEMA + "datePublished"),
                said.get(SCHEMA + "printPage"),
            )
            if publisher and date:
                short = f"{labels(publisher[0].value)}, {formatting.format_literal(date[0])}"
                if page:
                    short += f", p. {page[0].value}"
        else:
            # No document: the graph itself is the source (e.g. the project's reference facts).
            short = labels(graph)
            title = f"{short} (by {labels(source)})" if source else short
        refs[graph] = SourceRef(graph, labels(graph), source, short, title, derived)
    return refs


def _value_view(
    term,
    statement_graphs,
    description: Description,
    labels: LabelBook,
    link: Link,
    refs: dict[str, SourceRef],
    depth: int = 0,
) -> ValueView:
    sources = [refs[g.value] for g in statement_graphs if g.value in refs]
    if isinstance(term, ox.NamedNode):
        return ValueView(labels(term.value), iri=term.value, href=link(term.value), sources=sources)
    if isinstance(term, ox.Literal):
        return ValueView(
            formatting.format_literal(term),
            language=term.language,
            note=formatting.datatype_note(term),
            sources=sources,
        )
    # A blank node: an RDF list its members, a known structure one line, anything else its
    # own small list of facts.
    members = _list_members(term, description)
    if members is not None:
        return ValueView(
            "", items=[_value_view(m, (), description, labels, link, refs, depth + 1) for m in members], sources=sources
        )
    inner = description.about(term)
    special = _structured_value(inner)
    if special is not None or depth >= 4:
        return ValueView(special or "…", sources=sources)
    return ValueView("", parts=_group(inner, description, labels, link, refs, depth + 1), sources=sources)


RDF_FIRST = RDF + "first"
RDF_REST = RDF + "rest"
RDF_NIL = RDF + "nil"


def _list_members(node, description: Description) -> list | None:
    """The members of the RDF list starting at ``node``, or None if it is no (whole) list."""
    members, seen = [], set()
    while not (isinstance(node, ox.NamedNode) and node.value == RDF_NIL):
        if not isinstance(node, ox.BlankNode) or node in seen:
            return None
        seen.add(node)
        said = {s.predicate.value: s.object for s in description.about(node)}
        if RDF_FIRST not in said or RDF_REST not in said:
            return None
        members.append(said[RDF_FIRST])
        node = said[RDF_REST]
    return members


def _structured_value(statements) -> str | None:
    said = {}
    for s in statements:
        said.setdefault(s.predicate.value, s.object)
    types = {s.object.value for s in statements if s.predicate.value == RDF_TYPE}
    value = said.get(SCHEMA + "value")
    if SCHEMA + "MonetaryAmount" in types and isinstance(value, ox.Literal):
        currency = said.get(SCHEMA + "currency")
        return formatting.format_quantity(value.value, currency.value if isinstance(currency, ox.Literal) else None)
    if SCHEMA + "QuantitativeValue" in types:
        unit = said.get(SCHEMA + "unitText")
        unit_text = f" {unit.value}" if isinstance(unit, ox.Literal) else ""
        for key, words in (("value", ""), ("minValue", "at least "), ("maxValue", "at most ")):
            found = said.get(SCHEMA + key)
            if isinstance(found, ox.Literal):
                return f"{words}{formatting.format_number(found.value)}{unit_text}"
    return None


def _group(statements, description, labels, link, refs, depth=0) -> list[FactView]:
    by_predicate: dict[str, list] = {}
    for s in statements:
        by_predicate.setdefault(s.predicate.value, []).append(s)
    facts = []
    for predicate, group in by_predicate.items():
        values = [_value_view(s.object, s.graphs, description, labels, link, refs, depth) for s in group]
        values.sort(key=lambda v: (v.language or "", v.text.lower()))
        facts.append(FactView(predicate, labels(predicate), link(predicate), values))
    facts.sort(key=lambda f: (f.label.lower(), f.predicate))
    return facts


#: The rows of a page's names, each one property, so that the CURIE a row shows finds every
#: value in it (the naming model: docs/reference/data-model.md). A value already shown in an
#: earlier row is not repeated in a later one (most entities' rdfs:label is their name).
NAME_ROWS: tuple[tuple[str, str], ...] = (
    ("name", SCHEMA_NAME),
    ("label", RDFS_LABEL),
    ("preferred label", SKOS_PREF_LABEL),
    ("other name", SCHEMA_ALTERNATE_NAME),
    ("other label", SKOS_ALT_LABEL),
)


def _names(statements, description, labels, link, refs) -> list[FactView]:
    """The names as people read them, a row per property (:data:`NAME_ROWS`), each value once
    with the sources of the statements of that property; a text shown in an earlier row is
    left out of later ones. The data documents keep every statement."""
    groups = []
    shown: set[tuple] = set()
    for title, prop in NAME_ROWS:
        chosen = [s for s in statements if s.predicate.value == prop]
        merged: dict[tuple, ValueView] = {}
        for s in chosen:
            view = _value_view(s.object, s.graphs, description, labels, link, refs)
            key = (view.text, view.language)
            if key in shown:
                continue
            if key in merged:
                known = {r.graph for r in merged[key].sources}
                merged[key].sources += [r for r in view.sources if r.graph not in known]
            else:
                merged[key] = view
        if merged:
            shown |= set(merged)
            values = sorted(merged.values(), key=lambda v: (v.language or "", v.text.lower()))
            groups.append(FactView(prop, title, link(prop), values))
    return groups


def entity_facts(
    store,
    description: Description,
    link: Link,
    languages: Sequence[str] = DEFAULT_LANGUAGES,
    *,
    base_iri: str = "",
    candidates: dict[str, list] | None = None,
) -> EntityFacts:
    """Group a description's statements for a page: names, types, other facts, incoming
    links (less the observations, which :func:`observations` shows as statistics).
    ``candidates``: the label candidates of (at least) :func:`labels_wanted`, fetched
    already (:func:`~zkg.linked_data.labels.fetch_label_candidates`); else asked here."""
    labels = LabelBook(store, description, languages, candidates)
    refs = source_refs(description, labels)
    own = description.own()
    types = [s for s in own if s.predicate.value == RDF_TYPE]
    names = [s for s in own if s.predicate.value in NAME_PROPERTIES]
    others = [s for s in own if s.predicate.value not in NAME_PROPERTIES and s.predicate.value != RDF_TYPE]
    descriptions = [s.object for s in own if s.predicate.value in DESCRIPTION_PROPERTIES]
    best_description = choose_literal(descriptions, languages)
    ref_subject = base_iri + REF_SUBJECT_PATH
    incoming = []
    for s in description.by_role(INCOMING):
        if s.predicate.value == ref_subject:
            continue
        subject = _value_view(s.subject, s.graphs, description, labels, link, refs)
        incoming.append((subject, FactView(s.predicate.value, labels(s.predicate.value), link(s.predicate.value), [])))
    incoming.sort(key=lambda pair: (pair[1].label.lower(), pair[0].text.lower()))
    used = sorted({g.value for s in description.statements if s.role in (OWN, INCOMING) for g in s.graphs})
    return EntityFacts(
        iri=description.iri.value,
        label=labels(description.iri.value),
        description=best_description.value if best_description is not None else None,
        types=sorted(
            (_value_view(s.object, s.graphs, description, labels, link, refs) for s in types),
            key=lambda v: v.text.lower(),
        ),
        names=_names(names, description, labels, link, refs),
        facts=_group(others, description, labels, link, refs),
        incoming=incoming,
        sources=[refs[g] for g in used if g in refs],
        refs=refs,
        labels=labels.known(),
    )
