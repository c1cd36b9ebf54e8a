"""The label index read from the data directory's file (:mod:`zkg.linked_data.search_database`):
the word index's walk (:mod:`zkg.linked_data.word_index`) over its tables, and the search,
scoring and readers of :class:`zkg.linked_data.search.NameSearch` over its rows, so that it
answers exactly as the index in memory does. Each thread of a process reads through its own
read-only connection (WAL: never waiting for the writer); what they keep of the file's words
between queries is the process's, dropped when the file changes.

>>> import tempfile, pathlib
>>> from zkg.linked_data.search import StoredNames
>>> from zkg.linked_data.search_database import SearchDatabase
>>> path = pathlib.Path(tempfile.mkdtemp()) / "search.sqlite"
>>> label = "http://www.w3.org/2000/01/rdf-schema#label"
>>> names = StoredNames([("http://x/zp", label, "Zhongguancun Science Park", "en")], {}, {}, {"http://x/zp": 3})
>>> database = SearchDatabase(path)
>>> database.rebuild(names, source="test", position=0)
>>> index = StoredLabelIndex(path)
>>> [(h.iri, h.match) for h in index.search("sciense park")], index.label("http://x/zp")
([('http://x/zp', 'fuzzy')], 'Zhongguancun Science Park')
>>> database.replace(["http://x/zp"], StoredNames([], {}, {}, {}), position=10)
>>> index.refreshed()
>>> index.search("park")
[]
"""

from __future__ import annotations

import json
import sqlite3
import threading
from array import array
from pathlib import Path
from typing import Callable, Mapping, Sequence

import pyoxigraph as ox

from zkg.linked_data.labels import LABEL_PROPERTIES
from zkg.linked_data.matching import COMPARED_LENGTH, Name, Query
from zkg.linked_data.search import LabelEntry, NameSearch
from zkg.linked_data.search_database import LAST, connect
from zkg.linked_data.word_index import NAMES_PER_WORD, PREFIX_SCAN, Cost, HeldRanks, WordIndex

#: Postings a reader keeps in memory (8 bytes each), and pair counts: until the file changes.
HELD_POSTINGS = 2_000_000
#: The columns of a name read as a LabelEntry (its Name as written, not computed again).
ENTRY = "iri, property, text, language, folded, compact, words"


#: A search's candidates (ids as a JSON list) that may hold the query (folded, compact) as a
#: phrase, and the others; the labels and descriptions of its hits (IRIs as a JSON list).
CANDIDATE = f"SELECT id, {ENTRY}, prominence, numbers FROM names WHERE id IN (SELECT value FROM json_each(?1))"
PHRASE_CANDIDATES = CANDIDATE + " AND (instr(folded, ?2) > 0 OR compact = ?3)"
OTHER_CANDIDATES = CANDIDATE + " AND NOT (instr(folded, ?2) > 0 OR compact = ?3)"
SHOWN_LABELS = (
    "SELECT iri, property, text, language FROM names WHERE iri IN (SELECT value FROM json_each(?)) ORDER BY id"
)
SHOWN_DESCRIPTIONS = "SELECT iri, descriptions FROM resources WHERE iri IN (SELECT value FROM json_each(?))"


class _Candidate:
    """A name row as search scores it: a LabelEntry's fields, its Name a plain one (a search
    reads hundreds; frozen dataclasses cost several times as much to make), made a
    LabelEntry when it is a hit (:meth:`entry`)."""

    __slots__ = ("iri", "property", "text", "language", "folded", "name", "main")

    def __init__(self, iri: str, prop: str, text: str, language: str | None, folded: str, compact: str, words: str):
        self.iri, self.property, self.text, self.language, self.folded = iri, prop, text, language, folded
        self.name = _Words(folded[:COMPARED_LENGTH], compact, tuple(words.split(" ")) if words else ())
        self.main = prop in LABEL_PROPERTIES

    def entry(self) -> LabelEntry:
        name = self.name
        return LabelEntry(
            self.iri, self.property, self.text, self.language, self.folded, Name(name.folded, name.compact, name.words)
        )


class _Words:
    """What scoring reads of a Name (:func:`zkg.linked_data.matching.score`)."""

    __slots__ = ("folded", "compact", "words")

    def __init__(self, folded: str, compact: str, words: tuple[str, ...]):
        self.folded, self.compact, self.words = folded, compact, words


def _first(item: tuple) -> int:
    return item[0]


def _literal(text: str, language: str | None) -> ox.Literal:
    return ox.Literal(text, language=language) if language else ox.Literal(text)


def _name(folded: str, compact: str, words: str) -> Name:
    """A name as :meth:`zkg.linked_data.matching.Name.of` makes it, from its stored parts."""
    return Name(folded[:COMPARED_LENGTH], compact, tuple(words.split(" ")) if words else ())


class Remembered:
    """What a process's readers keep of the file's words between queries, shared by its
    threads, dropped whole when the file changes (:meth:`StoredLabelIndex.refreshed`)."""

    def __init__(self) -> None:
        self.alternatives: dict[str, list] = {}  # the word index's answers per query word
        self.lengths: list[int] | None = None
        self.postings: dict[str, array] = {}
        self.pair_sizes: dict[tuple[str, int], int] = {}
        self.held = 0  # postings kept
        self.label_candidates: dict[str, list] = {}  # of the types search hits show (few)
        self.ranked = HeldRanks()  # each query word's names, in order


class StoredWordIndex(WordIndex):
    """The word index's walk over the file's tables; word ids are the words themselves (they
    compare as the in-memory index's ids do: in the words' order)."""

    def __init__(self, connection: sqlite3.Connection, remembered: Remembered):
        self._db = connection
        self.remember(remembered)

    def remember(self, remembered: Remembered) -> None:
        self._memory = remembered
        self._alternatives = remembered.alternatives
        self._ranked = remembered.ranked

    def _id_of(self, word: str):
        return word if self._db.execute("SELECT 1 FROM words WHERE word = ?", (word,)).fetchone() else None

    def _word(self, i) -> str:
        return i

    def _beginning(self, word: str, cost: Cost) -> list:
        rows = self._db.execute(
            "SELECT word FROM words WHERE word >= ? AND word < ? ORDER BY word LIMIT ?",
            (word, word + LAST, PREFIX_SCAN),
        )
        beginning = [w for (w,) in rows if w.startswith(word)]
        cost.words += len(beginning)
        return beginning

    def _lengths(self) -> list[int]:
        if self._memory.lengths is None:
            self._memory.lengths = [n for (n,) in self._db.execute("SELECT length FROM lengths ORDER BY length")]
        return self._memory.lengths

    def _pair_size(self, pair: str, length: int) -> int:
        size = self._memory.pair_sizes.get((pair, length))
        if size is None:
            row = self._db.execute(
                "SELECT words FROM pair_sizes WHERE pair = ? AND length = ?", (pair, length)
            ).fetchone()
            size = self._memory.pair_sizes[pair, length] = row[0] if row else 0
        return size

    def _pair_words(self, pair: str, length: int, limit: int) -> Sequence:
        rows = self._db.execute(
            "SELECT word FROM pairs WHERE pair = ? AND length = ? ORDER BY word LIMIT ?", (pair, length, limit)
        )
        return [w for (w,) in rows]

    def _postings(self, i, limit: int) -> Sequence[int]:
        # The first NAMES_PER_WORD of a word's postings are kept (up to HELD_POSTINGS in all):
        # a common word's are thousands of rows, read again by every query holding it.
        memory = self._memory
        held = memory.postings.get(i)
        if held is None:
            rows = self._db.execute(
                "SELECT rank FROM postings WHERE word = ? ORDER BY rank LIMIT ?", (i, NAMES_PER_WORD)
            )
            held = array("q", (r for (r,) in rows))
            if memory.held + len(held) > HELD_POSTINGS:
                memory.postings.clear()
                memory.held = 0
            memory.postings[i] = held
            memory.held += len(held)
        return held[:limit]

    def _entry(self, rank: int) -> int:
        return rank & 0xFFFFFFFF


class StoredLabelIndex(NameSearch):
    """The label index read from the file (:class:`zkg.linked_data.search.NameSearch`'s
    readers and search): one read-only connection per thread; :meth:`refreshed` after the
    file changed drops what was remembered of its words."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._local = threading.local()
        self._remembered = Remembered()

    def refreshed(self) -> None:
        """The file changed: what was remembered of its words is dropped."""
        self._remembered = Remembered()

    def _connection(self) -> tuple[sqlite3.Connection, StoredWordIndex]:
        held = getattr(self._local, "held", None)
        if held is None:
            connection = connect(self.path, read_only=True)
            held = self._local.held = (connection, StoredWordIndex(connection, self._remembered))
        if held[1]._memory is not self._remembered:
            held[1].remember(self._remembered)
        return held

    def _entries(self, rows) -> list[LabelEntry]:
        return [
            LabelEntry(iri, prop, text, language, folded, _name(folded, compact, words))
            for iri, prop, text, language, folded, compact, words in rows
        ]

    def labels_of(self, iri: str) -> list[LabelEntry]:
        db, _words = self._connection()
        rows = db.execute(f"SELECT {ENTRY} FROM names WHERE iri = ? ORDER BY id", (iri,))
        return self._entries(rows)

    def descriptions_of(self, iri: str) -> list[ox.Literal]:
        db, _words = self._connection()
        row = db.execute("SELECT descriptions FROM resources WHERE iri = ?", (iri,)).fetchone()
        literals = json.loads(row[0]) if row else []
        return [ox.Literal(value, language=language) if language else ox.Literal(value) for value, language in literals]

    def prominence(self, iri: str) -> int:
        db, _words = self._connection()
        row = db.execute("SELECT prominence FROM resources WHERE iri = ?", (iri,)).fetchone()
        return row[0] if row else 0

    def _about(self, iris: set[str], column: str) -> dict:
        db, _words = self._connection()
        listed = sorted(iris)
        found = {}
        for start in range(0, len(listed), 500):
            chunk = listed[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(db.execute(f"SELECT iri, {column} FROM resources WHERE iri IN ({marks})", chunk))
        return found

    def _prominence_of(self, iris: set[str]) -> Mapping[str, int]:
        return self._about(iris, "prominence")

    def _numbers_of(self, iris: set[str]) -> Mapping[str, frozenset[str]]:
        return {iri: frozenset(text.split()) for iri, text in self._about(iris, "numbers").items() if text}

    def _candidates(self, query: Query, cost: Cost) -> list[LabelEntry]:
        return self._scoring_facts(query, cost)[0]

    def _scoring_facts(self, query: Query, cost: Cost) -> tuple[list[LabelEntry], Mapping, Mapping]:
        phrase, rest, numbers, prominence = self._split_candidates(query, cost)
        return [entry.entry() for _position, entry in sorted(phrase + rest(), key=_first)], numbers, prominence

    def _split_candidates(self, query: Query, cost: Cost) -> tuple[list, Callable[[], list], Mapping, Mapping]:
        # The file tells the names holding the query from the rest (instr, in SQLite's C):
        # most searches never read the rest. Each name row holds its resource's prominence
        # and numbers, so the candidates are all a search reads besides its hits' labels.
        db, words = self._connection()
        ids = words.candidates(query, cost)
        if not ids:
            return [], list, {}, {}
        position_of = {n: i for i, n in enumerate(ids)}
        numbers: dict[str, frozenset[str]] = {}
        prominence: dict[str, int] = {}
        asked = (json.dumps(ids), query.folded, query.compact)

        def read(statement: str) -> list[tuple[int, LabelEntry]]:
            found = []
            for n, iri, prop, text, language, folded, compact, words_, held, figures in db.execute(statement, asked):
                found.append((position_of[n], _Candidate(iri, prop, text, language, folded, compact, words_)))
                prominence[iri] = held
                if figures:
                    numbers[iri] = frozenset(figures.split())
            found.sort(key=_first)
            return found

        return read(PHRASE_CANDIDATES), lambda: read(OTHER_CANDIDATES), numbers, prominence

    def _shown(self, iris) -> tuple[Mapping[str, list], Mapping[str, list[ox.Literal]]]:
        # Two queries for all the hits (not two per hit).
        wanted = json.dumps(list(dict.fromkeys(iris)))
        db, _words = self._connection()
        labels: dict[str, list] = {}
        for iri, prop, text, language in db.execute(SHOWN_LABELS, (wanted,)):
            if prop in LABEL_PROPERTIES:
                labels.setdefault(iri, []).append((prop, _literal(text, language)))
        descriptions = {
            iri: [_literal(value, language) for value, language in json.loads(text)]
            for iri, text in db.execute(SHOWN_DESCRIPTIONS, (wanted,))
        }
        return labels, descriptions

    def types_of(self, iris) -> dict[str, list[str]]:
        """Each IRI's types, in the order of their IRIs (read with its names from the store)."""
        found = self._about(set(iris), "types")
        return {iri: types for iri, text in found.items() if (types := json.loads(text))}

    def label_candidates(self, iris) -> dict[str, list[tuple[str, ox.Literal]]]:
        """The labels of each IRI (those that fold to nothing too), as the store has them;
        kept until the file changes (search asks for the few types of its hits again and again)."""
        remembered = self._remembered.label_candidates
        iris = list(dict.fromkeys(iris))
        wanted = [iri for iri in iris if iri not in remembered]
        if wanted:
            db, _words = self._connection()
            found: dict[str, list] = {iri: [] for iri in wanted}
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for table in ("names", "blank_labels"):
                    rows = db.execute(
                        f"SELECT iri, property, text, language FROM {table} WHERE iri IN ({marks})", chunk
                    )
                    for iri, prop, text, language in rows:
                        if prop in LABEL_PROPERTIES:
                            literal = ox.Literal(text, language=language) if language else ox.Literal(text)
                            found[iri].append((prop, literal))
            remembered.update(found)
        return {iri: remembered[iri] for iri in iris if remembered[iri]}

    def entries_within(self, space: str) -> list[LabelEntry]:
        """The names of the IRIs under ``space``, in the store's order."""
        db, _words = self._connection()
        rows = db.execute(
            f"SELECT {ENTRY} FROM names WHERE iri >= ? AND iri < ? ORDER BY id",
            (space, space + LAST),
        )
        return self._entries(rows)
