"""The label index kept on disk: ``{data}/search.sqlite``, a SQLite file every process of a
data directory reads, brought up to date a few resources at a time after each write.

Why SQLite (its WAL mode) rather than an index in each process's memory: one copy for every
worker, opened in milliseconds after a start (nothing to rebuild), and updated in one
transaction per write, which readers in other processes see at once and never half-done.
Why SQLite rather than a search library (tantivy and the like): it is in Python's standard
library (no dependency to build or ship), many processes may read one file while one writes
(WAL), and a write's rows are replaced atomically. FTS5, SQLite's full-text index, is not
used: its tokenizers split and fold text differently from :mod:`zkg.linked_data.matching`
(Chinese as character pairs, ordinals, compatibility forms) and it has no edit-distance
lookup; the site search must find exactly what it found before. So the file holds the word
index itself (:mod:`zkg.linked_data.word_index`) as tables, and the same code walks it:

- ``names``: every label and other name (``id`` in the store's order), folded, with what
  scoring it needs of its resource besides (how many statements point to it, the numbers of
  its descriptions and dates): a search reads its candidates in one query, nothing else;
- ``blank_labels``: the labels that fold to nothing (a search never finds them, a type's
  chip may still show one: see :meth:`zkg.linked_data.stored_search.StoredLabelIndex.label_candidates`);
- ``postings``: for each word, the names holding it, by rank (``size << 32 | id``: shortest
  names first, as the word index ranks them);
- ``words``, ``pairs``, ``pair_sizes``, ``lengths``: the words, and the words by their
  character pairs and length, for prefix, part-of-word and typo lookups;
- ``resources``: each IRI's descriptions, the numbers of its descriptions and dates, how
  many statements point to it, and its types (a search hit shows them: no engine query);
- ``meta``: which data the file reflects (``source``: the load) and up to where in the change
  log (``position``); see :mod:`zkg.curation.search_sync`.

>>> import tempfile, pathlib
>>> from zkg.linked_data.search import StoredNames
>>> database = SearchDatabase(pathlib.Path(tempfile.mkdtemp()) / DATABASE_FILE)
>>> label = "http://www.w3.org/2000/01/rdf-schema#label"
>>> database.rebuild(StoredNames([("http://x/zp", label, "Z-Park", "en")], {}, {}, {}), source="test", position=0)
>>> database.state(), database.builds()
(('test', 0), 1)
>>> database.replace(["http://x/zp"], StoredNames([], {}, {}, {}), position=10)
>>> database.state(), database.builds()
(('test', 10), 1)

Reading it: :mod:`zkg.linked_data.stored_search`.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Iterable

from zkg.linked_data.labels import LABEL_PROPERTIES
from zkg.linked_data.matching import Name, fold
from zkg.linked_data.search import StoredNames
from zkg.linked_data.word_index import pairs_of

DATABASE_FILE = "search.sqlite"
#: Bumped when the tables change: a file of another layout is rebuilt.
LAYOUT = "3"
#: Seconds a writer waits for another (the write path, a process catching up).
BUSY_TIMEOUT = 60.0
#: Names inserted per batch.
INSERT_BATCH = 20_000
#: The largest code point: words beginning with ``w`` sort before ``w + LAST``.
LAST = "\U0010ffff"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS names(id INTEGER PRIMARY KEY, iri TEXT NOT NULL, property TEXT NOT NULL,
    text TEXT NOT NULL, language TEXT, folded TEXT NOT NULL, size INTEGER NOT NULL, compact TEXT NOT NULL,
    words TEXT NOT NULL, prominence INTEGER NOT NULL, numbers TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blank_labels(iri TEXT NOT NULL, property TEXT NOT NULL, text TEXT NOT NULL, language TEXT);
CREATE INDEX IF NOT EXISTS blank_labels_of_iri ON blank_labels(iri);
CREATE INDEX IF NOT EXISTS names_of_iri ON names(iri, id);
CREATE TABLE IF NOT EXISTS postings(word TEXT NOT NULL, rank INTEGER NOT NULL, PRIMARY KEY(word, rank)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS words(word TEXT PRIMARY KEY, names INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pairs(pair TEXT NOT NULL, length INTEGER NOT NULL, word TEXT NOT NULL,
    PRIMARY KEY(pair, length, word)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pair_sizes(pair TEXT NOT NULL, length INTEGER NOT NULL, words INTEGER NOT NULL,
    PRIMARY KEY(pair, length)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS lengths(length INTEGER PRIMARY KEY, words INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS resources(iri TEXT PRIMARY KEY, prominence INTEGER NOT NULL, numbers TEXT NOT NULL,
    descriptions TEXT NOT NULL, types TEXT NOT NULL) WITHOUT ROWID;
"""
TABLES = ("names", "blank_labels", "postings", "words", "pairs", "pair_sizes", "lengths", "resources")


def connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """A connection in WAL mode (readers never wait for the writer)."""
    if read_only:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT, check_same_thread=False)
    else:
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints; the log replays the rest
        connection.executescript(SCHEMA)
        layout = connection.execute("SELECT value FROM meta WHERE key = 'layout'").fetchone()
        if layout is not None and layout[0] != LAYOUT:  # a file of another zkg: made anew
            connection.executescript(
                "".join(f"DROP TABLE IF EXISTS {t};" for t in TABLES) + "DELETE FROM meta;" + SCHEMA
            )
    return connection


def _rank(size: int, number: int) -> int:
    return size << 32 | number


class SearchDatabase:
    """The writer's side of the file (its readers: :mod:`zkg.linked_data.stored_search`): a full rebuild, or some IRIs' rows replaced; each one
    transaction (``BEGIN IMMEDIATE``: one writer at a time across processes)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._connection = connect(self.path)

    def close(self) -> None:
        self._connection.close()

    def builds(self) -> int:
        """How many times the file was built whole (a rebuild is what the file spares: the
        tests and the measurements count them)."""
        row = self._connection.execute("SELECT value FROM meta WHERE key = 'builds'").fetchone()
        return int(row[0]) if row else 0

    def state(self) -> tuple[str | None, int]:
        """(the source the file reflects, its change log position); (None, 0) for a file
        never built or of another layout."""
        meta = dict(self._connection.execute("SELECT key, value FROM meta"))
        if meta.get("layout") != LAYOUT or "source" not in meta:
            return None, 0
        return meta["source"], int(meta.get("position", "0"))

    def transaction(self) -> "_Transaction":
        """One write, alone: other writers (in any process) wait; readers see it whole."""
        return _Transaction(self._connection)

    # Within a transaction:

    def clear(self) -> None:
        for table in TABLES:
            self._connection.execute(f"DELETE FROM {table}")

    def remove(self, iris: Iterable[str]) -> None:
        """Take ``iris``' names, descriptions and counts out (words no name holds any more too)."""
        _remove(self._connection, list(dict.fromkeys(iris)))

    def insert(self, names: StoredNames) -> None:
        _insert(self._connection, names)

    def record(self, **meta) -> None:
        """Say what the file reflects (``source``, ``position``); with a ``source``, that it
        was built whole once more."""
        if "source" in meta:
            meta["builds"] = self.builds() + 1
        _set_meta(self._connection, **meta)

    def checkpoint(self) -> None:
        """After a rebuild: the WAL copied into the file and emptied (it held every row twice)."""
        self._connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # Whole writes:

    def rebuild(self, names: StoredNames, *, source: str, position: int) -> None:
        """Every table emptied and filled from ``names`` (all the store's)."""
        with self.transaction():
            self.clear()
            self.insert(names)
            self.record(source=source, position=position)
        self.checkpoint()

    def replace(self, iris: Iterable[str], names: StoredNames, *, position: int) -> None:
        """The rows of ``iris`` replaced by ``names`` (theirs, read from the store), and the
        position recorded."""
        with self.transaction():
            self.remove(iris)
            self.insert(names)
            self.record(position=position)


class _Transaction:
    def __init__(self, connection: sqlite3.Connection):
        self.connection = connection

    def __enter__(self) -> sqlite3.Connection:
        self.connection.execute("BEGIN IMMEDIATE")
        return self.connection

    def __exit__(self, kind, error, trace) -> None:
        self.connection.execute("COMMIT" if kind is None else "ROLLBACK")


def _set_meta(db: sqlite3.Connection, **values) -> None:
    values.setdefault("layout", LAYOUT)
    db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", [(k, str(v)) for k, v in values.items()])


def _insert(db: sqlite3.Connection, names: StoredNames) -> None:
    """Add ``names``' rows: names in their order, their words (new words with their pairs);
    a batch at a time (a rebuild's postings are never all in memory at once)."""
    numbers = {iri: " ".join(sorted(found)) for iri, found in names.numbers().items()}
    for start in range(0, len(names.rows), INSERT_BATCH):
        _insert_names(db, names.rows[start : start + INSERT_BATCH], names.prominence, numbers)
    _insert_resources(db, names, numbers)


def _insert_names(
    db: sqlite3.Connection,
    rows: list[tuple[str, str, str, str | None]],
    prominence: dict[str, int],
    numbers: dict[str, str],
) -> None:
    postings: list[tuple[str, int]] = []
    for iri, prop, text, language in rows:
        folded = fold(text)
        if not folded:
            if prop in LABEL_PROPERTIES:
                db.execute("INSERT INTO blank_labels VALUES (?, ?, ?, ?)", (iri, prop, text, language or None))
            continue
        name = Name.of(folded, folded=True)
        number = db.execute(
            "INSERT INTO names(iri, property, text, language, folded, size, compact, words, prominence, numbers) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                iri,
                prop,
                text,
                language or None,
                folded,
                len(name.compact),
                name.compact,
                " ".join(name.words),
                prominence.get(iri, 0),
                numbers.get(iri, ""),
            ),
        ).lastrowid
        postings.extend((word, _rank(len(name.compact), number)) for word in dict.fromkeys(name.words))
    postings.sort()
    db.executemany("INSERT INTO postings VALUES (?, ?)", postings)
    counts = Counter(word for word, _ in postings)
    del postings
    known = _known_words(db, counts)
    db.executemany("UPDATE words SET names = names + ? WHERE word = ?", [(counts[w], w) for w in known])
    new = sorted(set(counts) - known)
    db.executemany("INSERT INTO words VALUES (?, ?)", [(w, counts[w]) for w in new])
    _count_words(db, new, +1)


def _insert_resources(db: sqlite3.Connection, names: StoredNames, numbers: dict[str, str]) -> None:
    """The descriptions, numbers, counts and types of the IRIs with a name or a description:
    only theirs are ever asked for (search ranks named resources; hits show descriptions and
    types)."""
    described = {iri for iri, *_ in names.rows} | set(names.descriptions)
    db.executemany(
        "INSERT OR REPLACE INTO resources VALUES (?, ?, ?, ?, ?)",
        [
            (
                iri,
                names.prominence.get(iri, 0),
                numbers.get(iri, ""),
                json.dumps([(lit.value, lit.language) for lit in names.descriptions.get(iri, ())], ensure_ascii=False),
                json.dumps(sorted(names.types.get(iri, ()))),
            )
            for iri in sorted(described)
        ],
    )


def _known_words(db: sqlite3.Connection, words: Iterable[str]) -> set[str]:
    known: set[str] = set()
    listed = list(words)
    for start in range(0, len(listed), 500):
        chunk = listed[start : start + 500]
        marks = ",".join("?" * len(chunk))
        known.update(w for (w,) in db.execute(f"SELECT word FROM words WHERE word IN ({marks})", chunk))
    return known


def _count_words(db: sqlite3.Connection, words: list[str], step: int) -> None:
    """Words added (``step`` 1) or gone (-1): their pairs and the counts by pair and length."""
    pairs = [(pair, len(word), word) for word in words for pair in pairs_of(word)]
    if step > 0:
        db.executemany("INSERT INTO pairs VALUES (?, ?, ?)", sorted(pairs))
    else:
        db.executemany("DELETE FROM pairs WHERE pair = ? AND length = ? AND word = ?", pairs)
    sizes: dict[tuple[str, int], int] = {}
    for pair, length, _word in pairs:
        sizes[pair, length] = sizes.get((pair, length), 0) + step
    lengths: dict[int, int] = {}
    for word in words:
        lengths[len(word)] = lengths.get(len(word), 0) + step
    db.executemany(
        "INSERT INTO pair_sizes VALUES (?, ?, ?) ON CONFLICT(pair, length) DO UPDATE SET words = words + excluded.words",
        [(pair, length, n) for (pair, length), n in sizes.items()],
    )
    db.executemany(
        "INSERT INTO lengths VALUES (?, ?) ON CONFLICT(length) DO UPDATE SET words = words + excluded.words",
        list(lengths.items()),
    )
    if step < 0:
        db.execute("DELETE FROM pair_sizes WHERE words <= 0")
        db.execute("DELETE FROM lengths WHERE words <= 0")


def _remove(db: sqlite3.Connection, iris: list[str]) -> None:
    """Take ``iris``' names, words no name holds any more, and their resource rows out."""
    gone: dict[str, int] = {}
    for start in range(0, len(iris), 500):
        chunk = iris[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = db.execute(f"SELECT id, words, size FROM names WHERE iri IN ({marks})", chunk).fetchall()
        postings = []
        for number, words, size in rows:
            for word in dict.fromkeys(words.split(" ") if words else ()):
                postings.append((word, _rank(size, number)))
                gone[word] = gone.get(word, 0) + 1
        db.executemany("DELETE FROM postings WHERE word = ? AND rank = ?", postings)
        db.executemany("DELETE FROM names WHERE id = ?", [(number,) for number, _f, _s in rows])
        db.executemany("DELETE FROM resources WHERE iri = ?", [(iri,) for iri in chunk])
        db.executemany("DELETE FROM blank_labels WHERE iri = ?", [(iri,) for iri in chunk])
    db.executemany("UPDATE words SET names = names - ? WHERE word = ?", [(n, w) for w, n in gone.items()])
    unused = [w for w in gone if db.execute("SELECT names FROM words WHERE word = ?", (w,)).fetchone()[0] <= 0]
    db.executemany("DELETE FROM words WHERE word = ?", [(w,) for w in unused])
    _count_words(db, unused, -1)
