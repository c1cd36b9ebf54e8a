"""The words of every name, each with the names holding it, and the words by their character
pairs: what the label index (:mod:`zkg.linked_data.search`) reads to find, for a query, the
few names worth scoring, in work bounded by the caps below whatever the store holds.

For each query word, the words of the names that may answer it (:meth:`WordIndex.alternatives`):
the same word and its ordinal forms; words it begins (found by bisection in the sorted
words); words it is part of and words one or two edits away (found through the character
pairs the query word shares with them: a word within ``k`` edits of a query word of ``n``
distinct padded pairs shares at least ``n − 3k`` of them, since an edit changes at most two
pairs and a swap three); and, for a query word that is several words run together, the
words it starts and ends with. Then the names holding them (:meth:`WordIndex.candidates`): first those
holding an answer to every word (other than numbers, which may be in the entity's other
text), then, for queries that are partly wrong, the names of each query word in turn, the
rarest first. Names are numbered shortest first, so that every cap keeps the names a query
can best cover.

>>> from zkg.linked_data.matching import Name, Query
>>> names = [Name.of(t) for t in ("Sinovac Biotech", "Zhongguancun Science Park", "Z-Park", "32nd IASP World Conference")]
>>> index = WordIndex(names)
>>> [index.words[i] for i in index.alternatives("sinovak")], [index.words[i] for i in index.alternatives("32")]
(['sinovac'], ['32nd'])
>>> index.candidates(Query.of("zhongguancum park")), index.candidates(Query.of("park"))
([1], [2, 1])
"""

from __future__ import annotations

import bisect
import heapq
from array import array
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from zkg.base import deadline
from zkg.linked_data.matching import FUZZY_ONE, LEAST_FOUND, Name, Query, ordinal_forms, osa_distance, typos_forgiven

#: Words looked at per query word: beginning with it, holding it, near it (each kind).
WORDS_PER_KIND = 64
#: Sorted words read to find those a query word begins.
PREFIX_SCAN = 4096
#: Words read (by their pairs) and words checked by their edit distance, per query word.
NEAR_READ, NEAR_CHECKED = 30000, 512
#: Query words whose answers are kept for the next queries.
REMEMBERED = 4096
#: Names read per query word (its answers' names, shortest first).
NAMES_PER_WORD = 10000
#: Names scored per query: the most any query costs.
CANDIDATES = 500
#: Ranks of query words' names kept between queries (8 bytes each).
HELD_RANKS = 1_000_000


@dataclass
class Cost:
    """What one query cost: words compared, names read from the postings, names scored."""

    words: int = 0
    postings: int = 0
    scored: int = 0


def pairs_of(word: str) -> set[str]:
    """The word's character pairs, with its first and last character marked (``^w``, ``d$``)."""
    padded = f"^{word}$"
    return {padded[i : i + 2] for i in range(len(padded) - 1)}


class WordIndex:
    """Built once from the names of a label index (``names[n]`` is entry ``n``)."""

    def __init__(self, names: Sequence[Name]):
        # Rank: names by length, shortest first; postings hold ranks, so read in order they
        # give the shortest names first.
        self.ranked = array("I", sorted(range(len(names)), key=lambda n: (len(names[n].compact), n)))
        postings: dict[str, list[int]] = {}
        for rank, number in enumerate(self.ranked):
            for word in dict.fromkeys(names[number].words):
                postings.setdefault(word, []).append(rank)
        self.words: list[str] = sorted(postings)
        self.ids = {word: i for i, word in enumerate(self.words)}
        self.postings = [array("I", postings[word]) for word in self.words]
        # The words by their character pairs and their length: a word's near misses have
        # about its length, and only those are read.
        pairs: dict[tuple[str, int], list[int]] = {}
        for i, word in enumerate(self.words):
            for pair in pairs_of(word):
                pairs.setdefault((pair, len(word)), []).append(i)
        self.pairs = {key: array("I", ids) for key, ids in pairs.items()}
        self.lengths = sorted({len(word) for word in self.words})
        self._alternatives: dict[str, list] = {}
        self._ranked = HeldRanks()

    # -- where the words and names are read: in memory here; a subclass may keep them
    # elsewhere (zkg.linked_data.search_database), its word ids comparing as the words do.

    def _id_of(self, word: str):
        """The id of ``word``, if a name holds it."""
        return self.ids.get(word)

    def _word(self, i) -> str:
        return self.words[i]

    def _beginning(self, word: str, cost: Cost) -> list:
        """The ids of the words ``word`` begins, in the words' order, from the first
        :data:`PREFIX_SCAN` words at or after it."""
        beginning = []
        start = bisect.bisect_left(self.words, word)
        for i in range(start, min(len(self.words), start + PREFIX_SCAN)):
            if not self.words[i].startswith(word):
                break
            beginning.append(i)
        cost.words += len(beginning)
        return beginning

    def _lengths(self) -> list[int]:
        return self.lengths

    def _pair_size(self, pair: str, length: int) -> int:
        """How many words of ``length`` characters hold ``pair``."""
        return len(self.pairs.get((pair, length), ()))

    def _pair_words(self, pair: str, length: int, limit: int) -> Sequence:
        """The ids of the first ``limit`` words of ``length`` characters holding ``pair``, in the words' order."""
        return self.pairs.get((pair, length), ())[:limit]

    def _postings(self, i, limit: int) -> Sequence[int]:
        """The ranks of the first ``limit`` names holding word ``i``, shortest first."""
        return self.postings[i][:limit]

    def _entry(self, rank: int) -> int:
        """The entry a rank names."""
        return self.ranked[rank]

    # -- words --------------------------------------------------------------------------------

    def alternatives(self, word: str, cost: Cost | None = None) -> list[int]:
        """The ids of the words that may answer the query word ``word``, best first (kept
        for the next queries, up to :data:`REMEMBERED` words)."""
        cost = cost if cost is not None else Cost()
        known = self._alternatives.get(word)
        if known is None:
            known = self._find_alternatives(word, cost)
            if len(self._alternatives) >= REMEMBERED:
                self._alternatives.clear()
            self._alternatives[word] = known
        return known

    def _find_alternatives(self, word: str, cost: Cost) -> list[int]:
        found: dict[int, None] = {}
        for form in (word, *ordinal_forms(word)):
            if (known := self._id_of(form)) is not None:
                found[known] = None
        beginning = self._beginning(word, cost)
        found.update(dict.fromkeys(sorted(beginning, key=lambda i: len(self._word(i)))[:WORDS_PER_KIND]))
        if len(word) >= 3:
            found.update(dict.fromkeys(self._holding(word, cost)))
        if typos_forgiven(word):
            found.update(dict.fromkeys(self._near(word, cost)))
        if not found and len(word) > FUZZY_ONE:
            # Words run together ("sinovacbiotech", "ulfvborbos"): the longest word it starts
            # with, and the longest it ends with.
            for part in (word[:end] for end in range(len(word) - 1, FUZZY_ONE - 1, -1)):
                if (known := self._id_of(part)) is not None:
                    found[known] = None
                    break
            for part in (word[start:] for start in range(1, len(word) - FUZZY_ONE + 1)):
                if (known := self._id_of(part)) is not None:
                    found[known] = None
                    break
        return list(found)

    def _holding(self, word: str, cost: Cost) -> list[int]:
        """Words holding ``word`` past their beginning: those with its rarest inner pair."""
        longer = [n for n in self._lengths() if n > len(word)]
        inner = {word[i : i + 2] for i in range(len(word) - 1)}
        rarest = min(inner, key=lambda pair: sum(self._pair_size(pair, n) for n in longer))
        held: list = []
        read = 0
        for n in longer:
            size = self._pair_size(rarest, n)
            if not size:
                continue
            for i in self._pair_words(rarest, n, WORDS_PER_KIND * 64 - read):
                other = self._word(i)
                if word in other and not other.startswith(word):
                    held.append(i)
            read += size
            if len(held) >= WORDS_PER_KIND or read >= WORDS_PER_KIND * 64:
                break
        cost.words += read
        return held[:WORDS_PER_KIND]

    def _near(self, word: str, cost: Cost) -> list[int]:
        """Words within the typos forgiven: those of about its length sharing enough of its
        pairs (the most sharing first), checked by their edit distance. The pairs are read
        rarest first, :data:`NEAR_READ` words at most: a word sharing ``least`` pairs shares
        ``least`` minus the unread ones among those read."""
        forgiven = typos_forgiven(word)
        lengths = range(len(word) - forgiven, len(word) + forgiven + 1)
        postings = [[(pair, n, size) for n in lengths if (size := self._pair_size(pair, n))] for pair in pairs_of(word)]
        postings.sort(key=lambda lists: sum(size for _pair, _n, size in lists))
        least = max(1, len(postings) - 3 * forgiven)
        shared: Counter = Counter()
        read = unread = 0
        for lists in postings:
            if read >= NEAR_READ:
                unread += 1
                continue
            for pair, n, _size in lists:
                part = self._pair_words(pair, n, NEAR_READ - read)
                shared.update(part)
                read += len(part)
        cost.words += read
        least = max(1, least - unread)
        enough = [(count, i) for i, count in shared.items() if count >= least]
        if len(enough) > NEAR_CHECKED:
            enough = heapq.nlargest(NEAR_CHECKED, enough)
        near = []
        for _count, i in sorted(enough, key=lambda item: (-item[0], item[1])):
            other = self._word(i)
            if other != word and not other.isdigit():
                cost.words += 1
                if osa_distance(word, other) <= forgiven:
                    near.append(i)
                    if len(near) == WORDS_PER_KIND:
                        break
        return near

    # -- names ------------------------------------------------------------------------------

    def names_of(self, word: str, cost: Cost | None = None) -> set[int]:
        """The ranks of the names holding an answer to the query word, at most
        :data:`NAMES_PER_WORD`, the best answers first and, for each, the shortest names."""
        cost = cost if cost is not None else Cost()
        ranks: set[int] = set()
        read = 0
        for i in self.alternatives(word, cost):
            postings = self._postings(i, NAMES_PER_WORD - read)
            read += len(postings)
            ranks.update(postings)
            if read >= NAMES_PER_WORD:
                break
        cost.postings += read
        return ranks

    def ranked_names(self, word: str, cost: Cost | None = None) -> Sequence[int]:
        """:meth:`names_of` in order (shortest names first), kept for the next queries (a
        common word's are thousands, and distinct queries share their words)."""
        held = self._ranked.get(word)
        if held is None:
            held = array("q", sorted(self.names_of(word, cost)))
            self._ranked.keep(word, held)
        return held

    def candidates(self, query: Query, cost: Cost | None = None) -> list[int]:
        """The entry numbers of the names worth scoring for ``query``, at most :data:`CANDIDATES`:
        those answering every word first, then the rest of each word's, rarest word first.

        The names of each word are in order, so the first of an intersection, or of a word's
        names not yet taken, are read off the front (no set built, nothing sorted)."""
        cost = cost if cost is not None else Cost()
        per_word = []
        for word in query.words:
            deadline.check()
            per_word.append((word, self.ranked_names(word, cost)))
        answered = [ranks for _word, ranks in per_word if ranks]
        driving = [ranks for word, ranks in per_word if ranks and not word.isdigit()] or answered
        chosen: list[int] = []
        if driving:
            smallest = min(range(len(driving)), key=lambda n: len(driving[n]))
            others = [ranks for n, ranks in enumerate(driving) if n != smallest]
            for rank in driving[smallest]:
                if all(_holds(ranks, rank) for ranks in others):
                    chosen.append(rank)
                    if len(chosen) == CANDIDATES:
                        break
        taken = set(chosen)
        # The rest hold part of the query: those that may hold enough of it (numbers may be in
        # the entity's other text), rarest word first.
        least = LEAST_FOUND * sum(map(len, query.words)) - sum(len(w) for w in query.words if w[0].isdigit())
        weighed = [(len(word), ranks) for word, ranks in per_word if ranks]
        answered.sort(key=len)
        for left, ranks in enumerate(answered):
            room = (CANDIDATES - len(chosen)) // (len(answered) - left)
            more: list[int] = []
            looked = 0  # of the first 4 × room names not taken, those holding enough
            for rank in ranks:
                if len(more) == room or looked == 4 * room:
                    break
                if rank in taken:
                    continue
                looked += 1
                if least <= 0 or sum(n for n, held in weighed if _holds(held, rank)) >= least:
                    more.append(rank)
            chosen.extend(more)
            taken.update(more)
        return [self._entry(rank) for rank in chosen]


def _holds(ranks: Sequence[int], rank: int) -> bool:
    """Whether the sorted ``ranks`` hold ``rank``."""
    at = bisect.bisect_left(ranks, rank)
    return at < len(ranks) and ranks[at] == rank


class HeldRanks:
    """Query words' names (:meth:`WordIndex.ranked_names`), up to :data:`HELD_RANKS` in all:
    past it they are dropped together and kept afresh."""

    def __init__(self) -> None:
        self.ranks: dict[str, Sequence[int]] = {}
        self.held = 0

    def get(self, word: str) -> Sequence[int] | None:
        return self.ranks.get(word)

    def keep(self, word: str, ranks: Sequence[int]) -> None:
        if self.held + len(ranks) > HELD_RANKS:
            self.ranks.clear()
            self.held = 0
        self.ranks[word] = ranks
        self.held += len(ranks)
