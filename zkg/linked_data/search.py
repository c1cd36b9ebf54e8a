"""The label index: every label, other name, description and date of every resource, in every
language, read from the store in one query; and search over it, forgiving typos.

One index per dataset version serves every reader of names: the site search (``/search``,
the curation forms' entity lookup: :meth:`LabelIndex.search`) and reconciliation, whose
:class:`zkg.power.entity_index.Catalogue` is a view of the entities held here and whose name
scores are :meth:`LabelIndex.matches`'. The web app keeps one per dataset version
(:func:`zkg.web.http_caching.label_index`); a script builds one with
:meth:`LabelIndex.from_store`.

Names are scored by :func:`zkg.linked_data.matching.score` (folded, word by word, typos
forgiven, numbers found in the entity's dates and descriptions too); the names scored are
the few the word index (:mod:`zkg.linked_data.word_index`) finds for the query, never every
name. Search lists the kinds of match in order (the whole name, its beginning, a word in it,
inside it, every word, every word with typos, part of the query), then by score; ties go to
the resource more statements point to (how well known it is), then to shorter names.

>>> index = LabelIndex([("http://x/zp", "http://www.w3.org/2000/01/rdf-schema#label", "Zhongguancun Science Park", "en"),
...                     ("http://x/zp", "http://www.w3.org/2004/02/skos/core#prefLabel", "中关村科技园区", "zh-hans"),
...                     ("http://x/sp", "http://www.w3.org/2000/01/rdf-schema#label", "Z-Park software park", "en")])
>>> [(h.iri, h.match) for h in index.search("PARK")]
[('http://x/sp', 'word'), ('http://x/zp', 'word')]
>>> [(h.label, h.matched, h.match) for h in index.search("科技")]
[('Zhongguancun Science Park', '中关村科技园区', 'substring')]
>>> [(h.iri, h.match) for h in index.search("zhongguancum sceince")]
[('http://x/zp', 'fuzzy')]
>>> [(e.text, e.folded, e.main) for e in index.labels_of("http://x/sp")]
[('Z-Park software park', 'z-park software park', True)]
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Sequence

import pyoxigraph as ox

from zkg.base import deadline
from zkg.linked_data.labels import (
    ALTERNATIVE_LABEL_PROPERTIES,
    DEFAULT_LANGUAGES,
    LABEL_PROPERTIES,
    choose_label,
    choose_literal,
    fallback_label,
)
from zkg.linked_data.matching import KINDS, Match, Name, Query, fold, numbers_in, score
from zkg.linked_data.word_index import Cost, WordIndex
from zkg.rdf.namespaces import DCTERMS, PROV, RDFS, SCHEMA

#: What the index holds as names (searched, and matched by reconciliation): labels, then other names.
SEARCH_PROPERTIES = LABEL_PROPERTIES + ALTERNATIVE_LABEL_PROPERTIES
#: What it holds as descriptions (shown with search hits and by reconciliation; their numbers searched).
DESCRIPTION_PROPERTIES: tuple[str, ...] = (SCHEMA + "description", RDFS + "comment", DCTERMS + "description")
#: The dates whose numbers a query may name (``IASP 2015``); with the vocabulary's ``since``.
DATE_PROPERTIES: tuple[str, ...] = tuple(SCHEMA + p for p in (
    "startDate", "endDate", "foundingDate", "dissolutionDate", "birthDate", "deathDate", "datePublished",
    "dateCreated", "startTime", "endTime", "scheduledTime",
)) + (DCTERMS + "date", DCTERMS + "issued", DCTERMS + "created", PROV + "generatedAtTime")  # fmt: skip
MATCHES = KINDS
#: Characters of a search (``/search`` refuses longer ones; callers inside zkg are cut to it).
MAX_QUERY_LENGTH = 200
#: Other names weigh a little less than labels.
ALTERNATIVE_WEIGHT = 0.97
#: Characters of a description shown on one line with a search hit.
ONE_LINE = 140
#: The last kind of match found as a phrase of the name (exact, prefix, word, substring).
PHRASE_RANK = KINDS.index("substring")
_NO_NUMBERS: frozenset[str] = frozenset()
_KIND_RANK = {kind: rank for rank, kind in enumerate(KINDS)}


@dataclass(frozen=True, slots=True)
class LabelEntry:
    """One label or other name of a resource, folded once for every reader."""

    iri: str
    property: str
    text: str
    language: str | None
    folded: str
    name: Name  # the folded text's first characters and their words, ready to score

    @property
    def words(self) -> tuple[str, ...]:
        return self.name.words

    @property
    def main(self) -> bool:
        """A label (shown as the resource's name), not another name."""
        return self.property in LABEL_PROPERTIES

    def literal(self) -> ox.Literal:
        return ox.Literal(self.text, language=self.language) if self.language else ox.Literal(self.text)


@dataclass(frozen=True)
class Hit:
    iri: str
    label: str  # the resource's display label
    matched: str  # the label or name that matched
    language: str | None  # the matched label's language
    match: str  # one of MATCHES
    score: float = 0.0  # 0 to 1 (zkg.linked_data.matching.score)
    description: str | None = None  # one line, in the reader's language


@dataclass(frozen=True)
class Found:
    """A resource answering a query: its best-scored name and how it matched."""

    iri: str
    entry: LabelEntry
    match: Match


@dataclass
class StoredNames:
    """What the store says of some IRIs' names (:func:`read_names`)."""

    rows: list[tuple[str, str, str, str | None]]  # (iri, property, text, language), the store's order
    descriptions: dict[str, list[ox.Literal]]
    dates: dict[str, list[str]]
    prominence: dict[str, int]
    types: dict[str, list[str]] = field(default_factory=dict)  # IRI -> its types (IRIs)

    def numbers(self) -> dict[str, frozenset[str]]:
        """The numbers of each IRI's descriptions and dates (those that have any)."""
        found: dict[str, set[str]] = {}
        for iri, literals in self.descriptions.items():
            found.setdefault(iri, set()).update(*(numbers_in(lit.value) for lit in literals))
        for iri, texts in self.dates.items():
            found.setdefault(iri, set()).update(*(numbers_in(text) for text in texts))
        return {iri: frozenset(numbers) for iri, numbers in found.items() if numbers}


def read_names(store, subjects: Iterable[str] | None = None) -> StoredNames:
    """Every label, other name, description, date and type of every IRI in the store (or of
    ``subjects`` only), and how many statements point to each: one query.

    >>> from zkg.store.local import Store
    >>> store = Store.open(base_iri="http://zkg.test/")
    >>> store.update('INSERT DATA { GRAPH graph:g { id:a rdfs:label "A"@en ; schema:description "Since 2015" . id:b zkg:p id:a } }')
    >>> found = read_names(store, ["http://zkg.test/id/a"])
    >>> found.rows, found.prominence, found.numbers()
    ([('http://zkg.test/id/a', 'http://www.w3.org/2000/01/rdf-schema#label', 'A', 'en')], {'http://zkg.test/id/a': 1}, {'http://zkg.test/id/a': frozenset({'2015'})})
    >>> store.update('INSERT DATA { GRAPH graph:g { id:a a schema:Thing, zkg:T } }')
    >>> read_names(store, ["http://zkg.test/id/a"]).types
    {'http://zkg.test/id/a': ['http://zkg.test/def/T', 'https://schema.org/Thing']}
    """
    # Names first in VALUES: the engine yields them in that order, the store's row order
    # the entries keep (see LabelIndex).
    date_properties = DATE_PROPERTIES + (store.base_iri + "def/since",)
    properties = " ".join(f"<{p}>" for p in SEARCH_PROPERTIES + DESCRIPTION_PROPERTIES + date_properties)
    described, dated = set(DESCRIPTION_PROPERTIES), set(date_properties)
    only = "" if subjects is None else "VALUES ?s { " + " ".join(f"<{iri}>" for iri in subjects) + " } "
    found = StoredNames([], {}, {}, {})
    for r in store.query(
        f"SELECT DISTINCT ?s ?p ?l ?n ?t WHERE {{ {{ {only}VALUES ?p {{ {properties} }} ?s ?p ?l "
        f"FILTER(isIRI(?s) && isLiteral(?l)) }} UNION "
        f"{{ SELECT ?s (COUNT(?x) AS ?n) WHERE {{ {only}?x ?q ?s FILTER(isIRI(?s)) }} GROUP BY ?s }} UNION "
        f"{{ {only}?s a ?t FILTER(isIRI(?s) && isIRI(?t)) }} }}"
    ):
        iri = r["s"].value
        if r["t"] is not None:
            found.types.setdefault(iri, []).append(r["t"].value)
        elif r["n"] is not None:
            found.prominence[iri] = int(r["n"].value)
        elif r["p"].value in described:
            found.descriptions.setdefault(iri, []).append(r["l"])
        elif r["p"].value in dated:
            found.dates.setdefault(iri, []).append(r["l"].value)
        else:
            found.rows.append((iri, r["p"].value, r["l"].value, r["l"].language))
    for types in found.types.values():
        types.sort()  # (the engine's order is not the same from one store layout to the next)
    return found


class NameSearch:
    """Search over the names of resources, and their labels and descriptions: what every
    reader of names calls. Where the names are kept is a subclass's: :class:`LabelIndex` in
    memory, :class:`zkg.linked_data.stored_search.StoredLabelIndex` in a SQLite file of the
    data directory. They answer alike (the same word index walk, the same scoring)."""

    # -- where the names are kept (a subclass's) ---------------------------------------------

    def labels_of(self, iri: str) -> list[LabelEntry]:
        """The IRI's labels and other names, in the store's order."""
        raise NotImplementedError

    def descriptions_of(self, iri: str) -> list[ox.Literal]:
        raise NotImplementedError

    def prominence(self, iri: str) -> int:
        """How many statements point to the IRI."""
        raise NotImplementedError

    def _candidates(self, query: Query, cost: Cost) -> list[LabelEntry]:
        """The names the word index offers for ``query``, in its order."""
        raise NotImplementedError

    def _numbers_of(self, iris: set[str]) -> Mapping[str, frozenset[str]]:
        """The numbers of each IRI's descriptions and dates (those that have any)."""
        raise NotImplementedError

    # -- one resource ------------------------------------------------------------------------

    def label(self, iri: str, languages: Sequence[str] = DEFAULT_LANGUAGES) -> str:
        """The IRI's display label in ``languages`` (:func:`zkg.linked_data.labels.choose_label`)."""
        return _label([(e.property, e.literal()) for e in self.labels_of(iri) if e.main], iri, languages)

    def description(self, iri: str, languages: Sequence[str] = DEFAULT_LANGUAGES, length: int = ONE_LINE) -> str | None:
        """The IRI's description in ``languages``, on one line, cut to ``length`` characters.

        >>> LabelIndex([], {"http://x/a": [ox.Literal("A park.\\n  Big, " + "very " * 40)]}).description("http://x/a", length=30)
        'A park. Big, very very very…'
        """
        return _description(self.descriptions_of(iri), languages, length)

    # -- search ------------------------------------------------------------------------------

    def _scoring_facts(self, query: Query, cost: Cost) -> tuple[list[LabelEntry], Mapping, Mapping]:
        """The names the word index offers for ``query`` (:meth:`_candidates`), and the
        numbers and prominence of their IRIs: what scoring and ranking them reads. A subclass
        may read the three at once."""
        entries = self._candidates(query, cost)
        iris = {e.iri for e in entries}
        return entries, self._numbers_of(iris), self._prominence_of(iris)

    def _found(self, query: Query, entry: LabelEntry, numbers: Mapping[str, frozenset[str]]) -> Found | None:
        """The name scored against the query, if it answers it (other names weigh
        :data:`ALTERNATIVE_WEIGHT`)."""
        match = score(query, entry.name, numbers.get(entry.iri, _NO_NUMBERS))
        if match is None:
            return None
        weight = 1.0 if entry.main else ALTERNATIVE_WEIGHT
        return Found(entry.iri, entry, Match(match.kind, match.score * weight))

    def answers(self, query: str, *, within: str | None = None, cost: Cost | None = None) -> Iterable[Found]:
        """Each name the word index offers for ``query`` (of an IRI under ``within``) that
        answers it, scored (other names weigh :data:`ALTERNATIVE_WEIGHT`)."""
        prepared = Query.of(query)
        if not prepared.words:
            return
        cost = cost if cost is not None else Cost()
        entries, numbers, _prominence = self._scoring_facts(prepared, cost)
        if within is not None:
            entries = [e for e in entries if e.iri.startswith(within)]
        for entry in deadline.checked(entries, every=128):
            cost.scored += 1
            found = self._found(prepared, entry, numbers)
            if found is not None:
                yield found

    def matches(self, query: str, *, within: str | None = None, cost: Cost | None = None) -> list[Found]:
        """Every resource (under ``within``, an IRI prefix, if given) whose names answer
        ``query``, each with its best-scored name, best score first (reconciliation's order)."""
        best: dict[str, Found] = {}
        for found in self.answers(query, within=within, cost=cost):
            held = best.get(found.iri)
            if held is None or (found.match.score, found.entry.main) > (held.match.score, held.entry.main):
                best[found.iri] = found
        return sorted(best.values(), key=lambda f: (-f.match.score, f.iri))

    def _prominence_of(self, iris: set[str]) -> Mapping[str, int]:
        return {iri: self.prominence(iri) for iri in iris}

    def search(
        self,
        query: str,
        *,
        limit: int = 20,
        languages: Sequence[str] = DEFAULT_LANGUAGES,
        cost: Cost | None = None,
    ) -> list[Hit]:
        """The best ``limit`` resources for ``query``, best first (an empty query finds nothing).

        Names holding the whole query (or its letters and digits) are scored first: only they
        can match as a phrase (exact, prefix, word, substring), the kinds listed before any
        other. When they give ``limit`` resources matching so, no other name can enter the
        list and the rest are not scored (most queries: a few dozen names scored of hundreds).
        Each resource keeps its best key, the first of its names in the word index's order
        on a tie, as when every name was scored in that order."""
        prepared = Query.of(query)
        if not prepared.words:
            return []
        cost = cost if cost is not None else Cost()
        phrase, rest, numbers, prominence = self._split_candidates(prepared, cost)
        best: dict[str, tuple] = {}
        self._rank(prepared, phrase, numbers, prominence, best, cost)
        if sum(1 for key, *_held in best.values() if key[0] <= PHRASE_RANK) < limit:
            self._rank(prepared, rest(), numbers, prominence, best, cost)
        ordered = [
            Found(entry.iri, _entry(entry), Match(kind, value))
            for _key, _position, entry, kind, value in sorted(best.values(), key=lambda held: held[:2])[:limit]
        ]
        return self._hits(ordered, languages)

    def _split_candidates(self, query: Query, cost: Cost) -> tuple[list, Callable[[], list], Mapping, Mapping]:
        """The names the word index offers for ``query`` as ``(position, entry)`` in two parts:
        those that may hold it as a phrase (the whole query in their folded text, or the same
        letters and digits), and a function reading the rest; then the numbers and prominence
        of their IRIs (the rest's added when it is read)."""
        entries, numbers, prominence = self._scoring_facts(query, cost)
        phrase, rest = [], []
        for position, entry in enumerate(entries):
            holds = query.folded in entry.name.folded or query.compact == entry.name.compact
            (phrase if holds else rest).append((position, entry))
        return phrase, lambda: rest, numbers, prominence

    def _rank(self, query, candidates, numbers, prominence, best, cost) -> None:
        """Score ``(position, entry)`` candidates, keeping in ``best`` each IRI's least search
        key (the earliest position on a tie) with its entry and match. The key: the kind of
        match, the score to two places, how well known the resource is (more statements point
        to it first), then shorter names. ``entry``: a :class:`LabelEntry` or anything with its
        ``iri``, ``main``, ``folded`` and ``name`` (:func:`_entry` makes it one)."""
        for position, entry in deadline.checked(candidates, every=128):
            cost.scored += 1
            iri = entry.iri
            match = score(query, entry.name, numbers.get(iri, _NO_NUMBERS))
            if match is None:
                continue
            value = match.score if entry.main else match.score * ALTERNATIVE_WEIGHT
            folded = entry.folded
            key = (_KIND_RANK[match.kind], -round(value, 2), -prominence.get(iri, 0), len(folded), folded, iri)
            held = best.get(iri)
            if held is None or (key, position) < held[:2]:
                best[iri] = (key, position, entry, match.kind, value)

    def _hits(self, ordered: list[Found], languages: Sequence[str]) -> list[Hit]:
        labels, descriptions = self._shown(f.iri for f in ordered)
        return [
            Hit(
                f.iri,
                _label(labels.get(f.iri, ()), f.iri, languages),
                f.entry.text,
                f.entry.language,
                f.match.kind,
                round(f.match.score, 4),
                _description(descriptions.get(f.iri, ()), languages),
            )
            for f in ordered
        ]

    def _shown(self, iris: Iterable[str]) -> tuple[Mapping[str, list], Mapping[str, list[ox.Literal]]]:
        """What hits show of their IRIs: their label candidates ``(property, literal)`` and
        descriptions (a subclass may read them at once)."""
        wanted = list(iris)
        labels = {iri: [(e.property, e.literal()) for e in self.labels_of(iri) if e.main] for iri in wanted}
        return labels, {iri: self.descriptions_of(iri) for iri in wanted}

    # -- what a hit shows besides: a subclass that keeps them answers, others leave it to the store

    def types_of(self, iris: Iterable[str]) -> dict[str, list[str]] | None:
        """Each IRI's types (those it has), in order; None: not kept here (ask the store)."""
        return None

    def label_candidates(self, iris: Iterable[str]) -> dict[str, list[tuple[str, ox.Literal]]] | None:
        """Each IRI's label candidates, as :func:`zkg.linked_data.labels.fetch_label_candidates`
        reads them from the store; None: not kept here (ask the store)."""
        return None


def _entry(entry) -> LabelEntry:
    """A candidate as a LabelEntry (a reader may offer lighter ones: see NameSearch._rank)."""
    return entry if isinstance(entry, LabelEntry) else entry.entry()


def _label(candidates, iri: str, languages: Sequence[str]) -> str:
    return choose_label(candidates, languages) or fallback_label(iri)


def _description(literals, languages: Sequence[str], length: int = ONE_LINE) -> str | None:
    chosen = choose_literal(literals, languages)
    if chosen is None:
        return None
    text = " ".join(chosen.value.split())
    if len(text) <= length:
        return text
    cut = text[: length - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut[length // 2 :] else cut).rstrip(" ,;:") + "…"


class LabelIndex(NameSearch):
    """Names in memory, from ``(iri, property, text, language)`` rows, searchable; with the
    descriptions of each IRI (``descriptions``: IRI -> literals), the lexical forms of its
    dates (``dates``) and how many statements point to it (``prominence``) beside them.

    :attr:`entries` keep the order of the rows (the store's). Texts that fold to nothing are
    left out. The word index is built by the first search, once: a process that only reads
    names never pays for it.
    """

    def __init__(
        self,
        rows: Iterable[tuple[str, str, str, str | None]],
        descriptions: Mapping[str, Iterable[ox.Literal]] | None = None,
        *,
        dates: Mapping[str, Iterable[str]] | None = None,
        prominence: Mapping[str, int] | None = None,
    ):
        self.entries: list[LabelEntry] = []
        self._by_iri: dict[str, list[LabelEntry]] = {}
        for iri, prop, text, language in rows:
            folded = fold(text)
            if not folded:
                continue
            entry = LabelEntry(iri, prop, text, language or None, folded, Name.of(folded, folded=True))
            self.entries.append(entry)
            self._by_iri.setdefault(iri, []).append(entry)
        self._descriptions = {iri: list(literals) for iri, literals in (descriptions or {}).items()}
        numbers: dict[str, set[str]] = {}
        for iri, literals in self._descriptions.items():
            numbers.setdefault(iri, set()).update(*(numbers_in(lit.value) for lit in literals))
        for iri, texts in (dates or {}).items():
            numbers.setdefault(iri, set()).update(*(numbers_in(text) for text in texts))
        self._numbers = {iri: frozenset(found) for iri, found in numbers.items() if found}
        self._prominence = dict(prominence or {})
        self._word_index: WordIndex | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_store(cls, store) -> LabelIndex:
        """Every label, other name, description and date of every IRI in the store, and how
        many statements point to each (one query)."""
        found = read_names(store)
        return cls(found.rows, found.descriptions, dates=found.dates, prominence=found.prominence)

    def labels_of(self, iri: str) -> list[LabelEntry]:
        """The IRI's labels and other names, in the store's order."""
        return list(self._by_iri.get(iri, ()))

    def descriptions_of(self, iri: str) -> list[ox.Literal]:
        return list(self._descriptions.get(iri, ()))

    def prominence(self, iri: str) -> int:
        """How many statements point to the IRI."""
        return self._prominence.get(iri, 0)

    def _prominence_of(self, iris: set[str]) -> Mapping[str, int]:
        return self._prominence

    def entries_within(self, space: str) -> list[LabelEntry]:
        """The names of the IRIs under ``space``, in the store's order."""
        return [e for e in self.entries if e.iri.startswith(space)]

    def _numbers_of(self, iris: set[str]) -> Mapping[str, frozenset[str]]:
        return self._numbers

    def _words(self) -> WordIndex:
        with self._lock:
            if self._word_index is None:
                self._word_index = WordIndex([e.name for e in self.entries])
            return self._word_index

    def _candidates(self, query: Query, cost: Cost) -> list[LabelEntry]:
        return [self.entries[number] for number in self._words().candidates(query, cost)]
