"""Label search: every label and other name of every resource, in every language.

Matching ignores case, accents and compatibility forms (NFKD, combining marks dropped,
case-folded: "zhongguancun" finds "Zhōngguāncūn", "ＩＡＳＰ" finds "IASP"), and works in
scripts without spaces (Chinese) by substring. Ranked: the whole label, then its beginning,
then the beginning of a word in it, then anywhere in it, then all the query's words found
in any order; within a rank, main labels before other names, shorter labels first.

The index is built from the store with one query and kept by the caller as long as the
dataset version does not change (:mod:`zkg.web.linked_data.home` does that).

>>> index = LabelIndex([("http://x/zp", "http://www.w3.org/2000/01/rdf-schema#label", "Zhongguancun Science Park", "en"),
...                     ("http://x/zp", "http://www.w3.org/2004/02/skos/core#prefLabel", "中关村科技园区", "zh-hans"),
...                     ("http://x/sp", "http://www.w3.org/2000/01/rdf-schema#label", "Z-Park software park", "en")])
>>> [(h.iri, h.match) for h in index.search("PARK")]
[('http://x/sp', 'word'), ('http://x/zp', 'word')]
>>> [(h.label, h.matched, h.match) for h in index.search("科技")]
[('Zhongguancun Science Park', '中关村科技园区', 'substring')]
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from dataclasses import dataclass
from typing import Iterable, Sequence

import pyoxigraph as ox

from zkg.base import deadline
from zkg.linked_data.labels import (
    ALTERNATIVE_LABEL_PROPERTIES,
    DEFAULT_LANGUAGES,
    LABEL_PROPERTIES,
    choose_label,
    fallback_label,
)

SEARCH_PROPERTIES = LABEL_PROPERTIES + ALTERNATIVE_LABEL_PROPERTIES
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


@dataclass(frozen=True)
class Entry:
    iri: str
    property: str
    label: str
    language: str | None
    folded: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class Hit:
    iri: str
    label: str  # the resource's display label
    matched: str  # the label or name that matched
    language: str | None  # the matched label's language
    match: str  # one of MATCHES


def _match_rank(query: str, query_words: list[str], entry: Entry) -> int | None:
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
    """Labels in memory, ``(iri, property, label, language)`` each, searchable.

    A search never scans every label: entries are found through an index of the character
    pairs (bigrams, or single characters for one-character words) of their folded text.
    Every kind of match (the whole query or each of its words inside the label) contains
    every pair of every query word, so the entries holding the query's rarest pair are the
    only candidates; only those are ranked. The index is built once per dataset version.
    """

    def __init__(self, rows: Iterable[tuple[str, str, str, str | None]]):
        self._entries: list[Entry] = []
        self._candidates: dict[str, list[tuple[str, ox.Literal]]] = {}
        for iri, prop, label, language in rows:
            folded = fold(label)
            if not folded:
                continue
            self._entries.append(Entry(iri, prop, label, language or None, folded, tuple(_WORD.findall(folded))))
            if prop in LABEL_PROPERTIES:
                literal = ox.Literal(label, language=language) if language else ox.Literal(label)
                self._candidates.setdefault(iri, []).append((prop, literal))
        grams: dict[str, list[int]] = {}
        for number, entry in enumerate(self._entries):
            text = entry.folded
            for gram in {text[i : i + 2] for i in range(len(text) - 1)} | set(text):
                grams.setdefault(gram, []).append(number)
        self._grams = {gram: array("I", numbers) for gram, numbers in grams.items()}

    def _candidate_numbers(self, words: list[str]) -> Sequence[int]:
        """The entries holding the rarest character pair (or character) of the query's words."""
        best: Sequence[int] | None = None
        for word in words:
            keys = {word[i : i + 2] for i in range(len(word) - 1)} or {word}
            for key in keys:
                found = self._grams.get(key)
                if found is None:
                    return ()
                if best is None or len(found) < len(best):
                    best = found
        return best if best is not None else ()

    @classmethod
    def from_store(cls, store) -> "LabelIndex":
        """Every label and other name of every IRI in the store (one query)."""
        properties = " ".join(f"<{p}>" for p in SEARCH_PROPERTIES)
        rows = store.query(
            f"SELECT DISTINCT ?s ?p ?l WHERE {{ VALUES ?p {{ {properties} }} ?s ?p ?l "
            f"FILTER(isIRI(?s) && isLiteral(?l)) }}"
        )
        return cls((r["s"].value, r["p"].value, r["l"].value, r["l"].language) for r in rows)

    def label(self, iri: str, languages: Sequence[str] = DEFAULT_LANGUAGES) -> str:
        return choose_label(self._candidates.get(iri, ()), languages) or fallback_label(iri)

    def search(self, query: str, *, limit: int = 20, languages: Sequence[str] = DEFAULT_LANGUAGES) -> list[Hit]:
        """The best ``limit`` resources for ``query``, best first (an empty query finds nothing)."""
        wanted = fold(query[:MAX_QUERY_LENGTH])
        if not wanted:
            return []
        wanted_words = _WORD.findall(wanted)
        best: dict[str, tuple[tuple, Entry, int]] = {}
        words = wanted_words if len(wanted_words) > 1 else [wanted]
        for number in deadline.checked(self._candidate_numbers(words), every=256):
            entry = self._entries[number]
            rank = _match_rank(wanted, wanted_words, entry)
            if rank is None:
                continue
            main = 0 if entry.property in LABEL_PROPERTIES else 1
            key = (rank, main, len(entry.folded), entry.folded, entry.iri)
            if entry.iri not in best or key < best[entry.iri][0]:
                best[entry.iri] = (key, entry, rank)
        ordered = sorted(best.values(), key=lambda item: item[0])[:limit]
        return [
            Hit(entry.iri, self.label(entry.iri, languages), entry.label, entry.language, MATCHES[rank])
            for _key, entry, rank in ordered
        ]
