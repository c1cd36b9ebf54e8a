"""The label index: every label, other name and description of every resource, in every
language, read from the store in one query; and label search over it.

One index per dataset version serves every reader of names: the site search (``/search``,
the curation forms' entity lookup: :meth:`LabelIndex.search`) and reconciliation, whose
:class:`zkg.power.entity_index.Catalogue` is a view of the entities' names held here, with
an n-gram index of its own. The web app keeps one per dataset version
(:func:`zkg.web.http_caching.label_index`); a script builds one with
:meth:`LabelIndex.from_store`.

Texts are compared folded (:func:`fold`), once for every reader: NFKD, combining marks
dropped, case-folded, so "zhongguancun" finds "Zhōngguāncūn" and "ＩＡＳＰ" finds "IASP".
Search works in scripts without spaces (Chinese) by substring. Ranked: the whole label, then
its beginning, then the beginning of a word in it, then anywhere in it, then all the query's
words found in any order; within a rank, main labels before other names, shorter labels first.

>>> index = LabelIndex([("http://x/zp", "http://www.w3.org/2000/01/rdf-schema#label", "Zhongguancun Science Park", "en"),
...                     ("http://x/zp", "http://www.w3.org/2004/02/skos/core#prefLabel", "中关村科技园区", "zh-hans"),
...                     ("http://x/sp", "http://www.w3.org/2000/01/rdf-schema#label", "Z-Park software park", "en")])
>>> [(h.iri, h.match) for h in index.search("PARK")]
[('http://x/sp', 'word'), ('http://x/zp', 'word')]
>>> [(h.label, h.matched, h.match) for h in index.search("科技")]
[('Zhongguancun Science Park', '中关村科技园区', 'substring')]
>>> [(e.text, e.folded, e.main) for e in index.labels_of("http://x/sp")]
[('Z-Park software park', 'z-park software park', True)]
"""

from __future__ import annotations

import re
import threading
import unicodedata
from array import array
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import pyoxigraph as ox

from zkg.base import deadline
from zkg.linked_data.labels import (
    ALTERNATIVE_LABEL_PROPERTIES,
    DEFAULT_LANGUAGES,
    LABEL_PROPERTIES,
    choose_label,
    fallback_label,
)
from zkg.rdf.namespaces import DCTERMS, RDFS, SCHEMA

#: What the index holds as names (searched, and matched by reconciliation): labels, then other names.
SEARCH_PROPERTIES = LABEL_PROPERTIES + ALTERNATIVE_LABEL_PROPERTIES
#: What it holds as descriptions (shown by reconciliation), never searched.
DESCRIPTION_PROPERTIES: tuple[str, ...] = (SCHEMA + "description", RDFS + "comment", DCTERMS + "description")
MATCHES = ("exact", "prefix", "word", "substring", "words")
#: Characters of a search (``/search`` refuses longer ones; callers inside zkg are cut to it).
MAX_QUERY_LENGTH = 200


def fold(text: str) -> str:
    """Text reduced for comparison: compatibility-decomposed, accents dropped, case-folded,
    runs of spaces made one.

    >>> fold("  Zhōngguāncūn   SCIENCE Park "), fold("ＩＡＳＰ"), fold("Straße")
    ('zhongguancun science park', 'iasp', 'strasse')
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class LabelEntry:
    """One label or other name of a resource, folded once for every reader."""

    iri: str
    property: str
    text: str
    language: str | None
    folded: str
    words: tuple[str, ...]  # the folded text's words

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


def _match_rank(query: str, query_words: list[str], entry: LabelEntry) -> int | None:
    if entry.folded == query:
        return 0
    if entry.folded.startswith(query):
        return 1
    position = entry.folded.find(query)
    if position >= 0:
        before = entry.folded[position - 1] if position > 0 else " "
        return 2 if not (before.isalnum() or before == "_") else 3
    if len(query_words) > 1 and all(any(w.startswith(q) for w in entry.words) for q in query_words):
        return 4
    return None


class LabelIndex:
    """Names in memory, from ``(iri, property, text, language)`` rows, searchable; with the
    descriptions of each IRI (``descriptions``: IRI -> literals) kept beside them.

    :attr:`entries` keep the order of the rows (the store's): reconciliation breaks ties
    between candidates by it, as it did when it read the store itself. Texts that fold to
    nothing are left out.

    A search never scans every label: entries are found through an index of the character
    pairs (bigrams, or single characters for one-character words) of their folded text.
    Every kind of match (the whole query or each of its words inside the label) contains
    every pair of every query word, so the entries holding the query's rarest pair are the
    only candidates; only those are ranked.
    """

    def __init__(
        self,
        rows: Iterable[tuple[str, str, str, str | None]],
        descriptions: Mapping[str, Iterable[ox.Literal]] | None = None,
    ):
        self.entries: list[LabelEntry] = []
        self._by_iri: dict[str, list[LabelEntry]] = {}
        for iri, prop, text, language in rows:
            folded = fold(text)
            if not folded:
                continue
            entry = LabelEntry(iri, prop, text, language or None, folded, tuple(_WORD.findall(folded)))
            self.entries.append(entry)
            self._by_iri.setdefault(iri, []).append(entry)
        self._descriptions = {iri: list(literals) for iri, literals in (descriptions or {}).items()}
        self._grams: dict[str, array] | None = None
        self._grams_lock = threading.Lock()

    @classmethod
    def from_store(cls, store) -> LabelIndex:
        """Every label, other name and description of every IRI in the store (one query)."""
        # Names first in VALUES: the engine yields them in that order, the store's row order
        # the entries keep (see the class).
        properties = " ".join(f"<{p}>" for p in SEARCH_PROPERTIES + DESCRIPTION_PROPERTIES)
        described = set(DESCRIPTION_PROPERTIES)
        rows: list[tuple[str, str, str, str | None]] = []
        descriptions: dict[str, list[ox.Literal]] = {}
        for r in store.query(
            f"SELECT DISTINCT ?s ?p ?l WHERE {{ VALUES ?p {{ {properties} }} ?s ?p ?l "
            f"FILTER(isIRI(?s) && isLiteral(?l)) }}"
        ):
            if r["p"].value in described:
                descriptions.setdefault(r["s"].value, []).append(r["l"])
            else:
                rows.append((r["s"].value, r["p"].value, r["l"].value, r["l"].language))
        return cls(rows, descriptions)

    # -- one resource ------------------------------------------------------------------------

    def labels_of(self, iri: str) -> list[LabelEntry]:
        """The IRI's labels and other names, in the store's order."""
        return list(self._by_iri.get(iri, ()))

    def label(self, iri: str, languages: Sequence[str] = DEFAULT_LANGUAGES) -> str:
        """The IRI's display label in ``languages`` (:func:`zkg.linked_data.labels.choose_label`)."""
        candidates = [(e.property, e.literal()) for e in self._by_iri.get(iri, ()) if e.main]
        return choose_label(candidates, languages) or fallback_label(iri)

    def descriptions_of(self, iri: str) -> list[ox.Literal]:
        return list(self._descriptions.get(iri, ()))

    # -- search ------------------------------------------------------------------------------

    def _gram_index(self) -> dict[str, array]:
        """Character pair (or character) -> the entries holding it; built by the first search,
        once: a process that only reconciles reads the entries and never pays for it."""
        with self._grams_lock:
            if self._grams is None:
                grams: dict[str, list[int]] = {}
                for number, entry in enumerate(self.entries):
                    text = entry.folded
                    for gram in {text[i : i + 2] for i in range(len(text) - 1)} | set(text):
                        grams.setdefault(gram, []).append(number)
                self._grams = {gram: array("I", numbers) for gram, numbers in grams.items()}
            return self._grams

    def _candidate_numbers(self, words: list[str]) -> Sequence[int]:
        """The entries holding the rarest character pair (or character) of the query's words."""
        index = self._gram_index()
        best: Sequence[int] | None = None
        for word in words:
            keys = {word[i : i + 2] for i in range(len(word) - 1)} or {word}
            for key in keys:
                found = index.get(key)
                if found is None:
                    return ()
                if best is None or len(found) < len(best):
                    best = found
        return best if best is not None else ()

    def search(self, query: str, *, limit: int = 20, languages: Sequence[str] = DEFAULT_LANGUAGES) -> list[Hit]:
        """The best ``limit`` resources for ``query``, best first (an empty query finds nothing)."""
        wanted = fold(query[:MAX_QUERY_LENGTH])
        if not wanted:
            return []
        wanted_words = _WORD.findall(wanted)
        best: dict[str, tuple[tuple, LabelEntry, int]] = {}
        words = wanted_words if len(wanted_words) > 1 else [wanted]
        for number in deadline.checked(self._candidate_numbers(words), every=256):
            entry = self.entries[number]
            rank = _match_rank(wanted, wanted_words, entry)
            if rank is None:
                continue
            key = (rank, 0 if entry.main else 1, len(entry.folded), entry.folded, entry.iri)
            if entry.iri not in best or key < best[entry.iri][0]:
                best[entry.iri] = (key, entry, rank)
        ordered = sorted(best.values(), key=lambda item: item[0])[:limit]
        return [
            Hit(entry.iri, self.label(entry.iri, languages), entry.text, entry.language, MATCHES[rank])
            for _key, entry, rank in ordered
        ]
