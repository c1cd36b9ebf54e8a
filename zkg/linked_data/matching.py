"""How well a name answers a query: the one scoring of the site search and of reconciliation.

Texts are compared folded (:func:`fold`: compatibility forms, accents and case dropped, so
"ＩＡＳＰ" is "iasp" and "Zhōngguāncūn" is "zhongguancun") and split into words
(:func:`words`); Chinese and other scripts written without spaces become overlapping
character pairs, so that 中关村 is found inside 中关村科技园区 word by word.

Each query word is looked for among the name's words, the best of: the same word; the
beginning of one (``univ`` in ``university``); part of one (``ousheng`` in ``shousheng``,
three characters or more); a word one or two edits away (:func:`osa_distance`, an edit
being a letter added, dropped, changed, or two neighbours swapped: one edit for words of
:data:`FUZZY_ONE` letters, two from :data:`FUZZY_TWO`, none below, never in numbers); a
whole name word inside it (``sinovacbiotech``); for a number, the same number as an ordinal
(``32`` and ``32nd``) or, when the name lacks it, among the numbers of the entity's other
text (its dates and descriptions: ``IASP 2015`` finds the 32nd IASP World Conference, held
in 2015). A name written without its spaces, or with one edit anywhere, matches as a whole.

The score, from 0 to 1, is 1 for the same text and 0.98 for the same letters and digits
(``z park``, ``Z-Park``); otherwise at most 0.97:

    found² × (0.2 + 0.8 × covered) × (1 − edits / length)

``found``: the share of the query's characters found; ``covered``: the share of the name's
characters the found words account for (a short name answering the whole query beats a long
one that mentions it); ``edits``: the typos forgiven, over the longer of the two texts;
words found out of order cost 1%. A name must hold at least one query word and half the
query's characters. Each match also says what kind it is (:data:`KINDS`): the whole text,
its beginning, the beginning of a word in it, inside it, every word found, every word found
with typos forgiven, or part of the query only. The site search lists the kinds in that
order (who typed a name exactly wants it before near misses), reconciliation by score alone.

>>> [score(Query.of(q), Name.of("Zhongguancun Science Park")).kind for q in ("zhongguancun science park", "Zhongguancun Sci", "science", "ience", "park zhong", "zhongguancum park", "zhongguancun garden")]
['exact', 'prefix', 'word', 'substring', 'words', 'fuzzy', 'partial']
>>> round(score(Query.of("Sinovak"), Name.of("Sinovac")).score, 3), round(score(Query.of("sinovacbiotech"), Name.of("Sinovac Biotech")).score, 2)
(0.857, 0.98)
>>> match = score(Query.of("IASP 2015"), Name.of("32nd IASP World Conference"), numbers=frozenset({"2015"}))
>>> match.kind, round(match.score, 3)
('words', 0.437)
>>> words(fold("中关村 Science-Park")), sorted(numbers_in("Founded 2012; 32nd edition in 2015-09"))
(['中关', '关村', 'science', 'park'], ['09', '2012', '2015', '32'])
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from typing import NamedTuple

#: Characters of a text compared (longer texts are not names; the cut bounds the work).
COMPARED_LENGTH = 300
#: Words of a query looked for (the first ones, each once).
QUERY_WORDS = 12
#: Word lengths from which one, then two, typos are forgiven.
FUZZY_ONE, FUZZY_TWO = 4, 8
#: The least share of a query's characters a name must hold to be an answer at all.
LEAST_FOUND = 0.5
#: Kinds of match, best first (the site search's order).
KINDS = ("exact", "prefix", "word", "substring", "words", "fuzzy", "partial")
OUT_OF_ORDER = 0.99
BEST_INEXACT = 0.97
_UNSEEN = object()

# Scripts written without spaces between words: the CJK blocks (radicals to Yi, compatibility
# ideographs, the supplementary ideographs), split into character pairs.
_UNSPACED = "\u2e80-\ua4cf\uf900-\ufaff\U00020000-\U0003ffff"
_TOKEN = re.compile(rf"([{_UNSPACED}]+)|((?:(?![{_UNSPACED}])\w)+)")
_NUMBER = re.compile(r"\d+")
_ORDINAL = re.compile(r"(\d+)(?:st|nd|rd|th)")


def fold(text: str) -> str:
    """Text reduced for comparison: compatibility-decomposed, accents dropped, case-folded,
    runs of spaces made one.

    >>> fold("  Zhōngguāncūn   SCIENCE Park "), fold("ＩＡＳＰ"), fold("Straße")
    ('zhongguancun science park', 'iasp', 'strasse')
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


def words(folded: str) -> list[str]:
    """The words of a folded text, in order; a run of Chinese characters as its character
    pairs (one character alone as itself)."""
    found: list[str] = []
    for unspaced, spaced in _TOKEN.findall(folded):
        if spaced or len(unspaced) == 1:
            found.append(spaced or unspaced)
        else:
            found.extend(unspaced[i : i + 2] for i in range(len(unspaced) - 1))
    return found


def numbers_in(text: str) -> set[str]:
    """The numbers written in a text (dates give their year, month and day), as digits, folded
    as a query's are (full-width ２０１５ is 2015)."""
    return set(_NUMBER.findall(fold(text)))


def compact_text(folded: str) -> str:
    """Letters and digits only: ``z-park`` and ``z park`` are the same name."""
    return "".join(c for c in folded if c.isalnum())


def typos_forgiven(word: str) -> int:
    """How many edits a query word of this length may carry (none in numbers)."""
    if word.isdigit() or len(word) < FUZZY_ONE:
        return 0
    return 1 if len(word) < FUZZY_TWO else 2


def ordinal_forms(word: str) -> list[str]:
    """The other ways of writing a number: ``32`` -> ``32st``, ``32nd``… and ``32nd`` -> ``32``."""
    if word.isdigit():
        return [word + suffix for suffix in ("st", "nd", "rd", "th")]
    ordinal = _ORDINAL.fullmatch(word)
    return [ordinal.group(1)] if ordinal else []


# -- the edit distance ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _masks(pattern: str) -> dict[str, int]:
    """For each character of ``pattern``, the bits of the positions where it is."""
    masks: dict[str, int] = {}
    for position, char in enumerate(pattern):
        masks[char] = masks.get(char, 0) | (1 << position)
    return masks


def osa_distance(a: str, b: str) -> int:
    """Edits from one text to the other: a character added, dropped or changed, or two
    neighbours swapped (the optimal string alignment distance, Damerau's edits with no
    character edited twice).

    Bit-parallel (Myers 1999, with Hyyrö's 2003 transposition term): the longer text is a
    bit mask per character, the shorter is read once, each character costing a dozen integer
    operations; ``tests/linked_data/test_matching.py`` checks it against the textbook table.

    >>> osa_distance("sinovak", "sinovac"), osa_distance("microsfot", "microsoft"), osa_distance("ca", "abc")
    (1, 1, 3)
    """
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return len(a)
    get = _masks(a).get
    full = (1 << len(a)) - 1
    top = 1 << (len(a) - 1)
    plus, minus, diagonal, previous, distance = full, 0, 0, 0, len(a)
    for char in b:
        equal = get(char, 0)
        swapped = ((~diagonal & equal) << 1) & previous
        diagonal = (((equal & plus) + plus) ^ plus) | equal | minus | swapped
        h_plus = minus | ~(diagonal | plus)
        h_minus = plus & diagonal
        if h_plus & top:
            distance += 1
        elif h_minus & top:
            distance -= 1
        h_plus = (h_plus << 1) | 1  # the first row of the table grows by one per column
        h_minus <<= 1
        plus = (h_minus | ~(diagonal | h_plus)) & full
        minus = h_plus & diagonal & full
        previous = equal
    return distance


# -- queries and names -----------------------------------------------------------------------------


class WordMatch(NamedTuple):
    """One query word found in a name word: how well (``value``, compared between the name's
    words: characters found less edits, then characters covered, then the same word), how
    many of its characters (``found``), how many of the name word's it accounts for
    (``covered``), with how many edits, and how."""

    value: tuple[int, int, bool]
    found: int
    covered: int
    edits: int
    how: str  # exact, prefix, part, typo, contains

    @classmethod
    def of(cls, found: int, covered: int, edits: int, how: str) -> WordMatch:
        return cls((found - edits, covered, how == "exact"), found, covered, edits, how)


def match_word(query_word: str, word: str) -> WordMatch | None:
    """How ``query_word`` is found in the name word ``word``, if it is.

    >>> [match_word(q, w).how for q, w in (("park", "park"), ("32", "32nd"), ("univ", "university"), ("ousheng", "shousheng"), ("incubater", "incubator"), ("sinovacbiotech", "sinovac"))]
    ['exact', 'exact', 'prefix', 'part', 'typo', 'contains']
    """
    if word == query_word or word in ordinal_forms(query_word):
        return WordMatch.of(len(query_word), len(word), 0, "exact")
    if word.startswith(query_word):
        return WordMatch.of(len(query_word), len(query_word), 0, "prefix")
    if len(query_word) >= 3 and query_word in word:
        return WordMatch.of(len(query_word), len(query_word), 0, "part")
    forgiven = typos_forgiven(query_word)
    if forgiven and abs(len(word) - len(query_word)) <= forgiven and not word.isdigit():
        edits = osa_distance(query_word, word)
        if edits <= forgiven:
            return WordMatch.of(len(query_word), len(word), edits, "typo")
    if len(word) >= FUZZY_ONE and word in query_word:
        return WordMatch.of(len(word), len(word), 0, "contains")
    return None


@dataclass(frozen=True, slots=True)
class Name:
    """A name ready for comparison: folded (its first :data:`COMPARED_LENGTH` characters),
    its letters and digits, its words."""

    folded: str
    compact: str
    words: tuple[str, ...]

    @classmethod
    def of(cls, text: str, *, folded: bool = False) -> Name:
        text = (text if folded else fold(text[: 2 * COMPARED_LENGTH]))[:COMPARED_LENGTH]
        return cls(text, compact_text(text), tuple(words(text)))


@dataclass(frozen=True)
class Query(Name):
    """A query ready for comparison: a :class:`Name` whose words are looked for once each
    (the first :data:`QUERY_WORDS`), remembering, for each, how it was found in the name
    words it met (``seen``: one query meets the same words in many names), and the forms of
    each number (``numbers``: ``32`` and ``32nd``) looked for in the entity's other text."""

    seen: tuple[dict[str, WordMatch | None], ...] = field(default=(), compare=False, repr=False)
    numbers: tuple[frozenset[str], ...] = field(default=(), compare=False, repr=False)

    @classmethod
    def of(cls, text: str, *, folded: bool = False) -> Query:
        name = Name.of(text, folded=folded)
        asked = tuple(dict.fromkeys(name.words))[:QUERY_WORDS]
        forms = tuple(frozenset((w, *ordinal_forms(w))) if w[0].isdigit() else frozenset() for w in asked)
        return cls(name.folded, name.compact, asked, tuple({} for _ in asked), forms)


@dataclass(frozen=True, slots=True)
class Match:
    kind: str  # one of KINDS
    score: float  # 0 to 1

    @property
    def rank(self) -> int:
        return KINDS.index(self.kind)


def score(query: Query, name: Name, numbers: frozenset[str] = frozenset()) -> Match | None:
    """How well ``name`` answers ``query`` (see the module); None when it does not.
    ``numbers``: those of the named entity's other text (:func:`numbers_in`)."""
    if not query.words or not name.words:
        return None
    if name.folded == query.folded:
        return Match("exact", 1.0)
    if query.compact == name.compact:
        return Match("exact", 0.98)
    asked = sum(len(w) for w in query.words)
    found = edits = extra = 0
    covered: dict[int, int] = {}
    positions: list[int] = []
    missing = False
    for position, query_word in enumerate(query.words):
        best, where, seen = None, -1, query.seen[position]
        for index, word in enumerate(name.words):
            candidate = seen.get(word, _UNSEEN)
            if candidate is _UNSEEN:
                candidate = seen[word] = match_word(query_word, word)
            if candidate is not None and (best is None or candidate.value > best.value):
                best, where = candidate, index
        if best is not None and best.how == "contains":
            # Words run together: every name word inside it counts ("zhongkerobotics").
            inside = {i: seen[w] for i, w in enumerate(name.words) if seen[w] is not None and seen[w].how == "contains"}
            held = min(len(query_word), sum(m.found for m in {name.words[i]: m for i, m in inside.items()}.values()))
            found += held
            for index, part in inside.items():
                covered[index] = max(covered.get(index, 0), part.covered)
            positions.append(min(inside))
            missing = missing or held < len(query_word)
        elif best is not None:
            found += best.found
            edits += best.edits
            covered[where] = max(covered.get(where, 0), best.covered)
            positions.append(where)
            missing = missing or best.found < len(query_word)
        elif numbers and not query.numbers[position].isdisjoint(numbers):
            found += len(query_word)
            extra += len(query_word)  # as if the name said it
        else:
            missing = True
    share = found / asked
    value, kind = 0.0, None
    if positions and share >= LEAST_FOUND:
        length = sum(len(w) for w in name.words)
        coverage = min(1.0, (sum(covered.values()) + extra) / (length + extra))
        value = share * share * (0.2 + 0.8 * coverage) * (1 - edits / max(asked, length))
        if positions != sorted(positions):
            value *= OUT_OF_ORDER
        kind = _phrase_kind(query.folded, name.folded) or ("partial" if missing else ("fuzzy" if edits else "words"))
    if kind in (None, "partial", "fuzzy", "words"):
        whole = _whole_with_a_typo(query, name)
        if whole > value:
            value, kind = whole, "fuzzy"
    return Match(kind, min(value, BEST_INEXACT)) if kind else None


def _phrase_kind(query: str, name: str) -> str | None:
    if name.startswith(query):
        return "prefix"
    position = name.find(query)
    while position > 0:
        if not name[position - 1].isalnum():
            return "word"
        position = name.find(query, position + 1)
    return "substring" if query in name else None


def _whole_with_a_typo(query: Name, name: Name) -> float:
    """The score of the whole texts' letters and digits as one word (``zhongguancunsciencepark``,
    ``x-park`` for ``z-park``): 1 − edits / length, when within the typos forgiven."""
    forgiven = typos_forgiven(query.compact) if not query.compact.isdigit() else 0
    if not forgiven or abs(len(query.compact) - len(name.compact)) > forgiven:
        return 0.0
    edits = osa_distance(query.compact, name.compact)
    return 1 - edits / max(len(query.compact), len(name.compact)) if edits <= forgiven else 0.0
