"""zkg.linked_data.search_database: the label index kept in SQLite answers exactly as the one
in memory (the same word index walk over its tables, the same scoring), and rows replaced a
few IRIs at a time leave it as a rebuild would."""

from __future__ import annotations

import random

import pytest

from tests.linked_data.test_search import one_typo
from tests.support.zkg_testing import TEST_BASE
from zkg.linked_data.search import LabelIndex, read_names
from zkg.linked_data.search_database import SearchDatabase
from zkg.linked_data.stored_search import StoredLabelIndex

ID = TEST_BASE + "id/"
QUERIES = ["z-park", "stanford", "shousheng", "ousheng", "中关村科技园区", "发展", "Shoucheng Zhang", "park science",
           "zhongguancum sceince", "IASP 2015", "sinovacbiotech", "a", "of the", "32", "qqqxxx"]  # fmt: skip


@pytest.fixture(scope="module")
def both(real_store, tmp_path_factory):
    path = tmp_path_factory.mktemp("search") / "search.sqlite"
    database = SearchDatabase(path)
    database.rebuild(read_names(real_store), source="test", position=0)
    database.close()
    return LabelIndex.from_store(real_store), StoredLabelIndex(path)


def queries(index: LabelIndex) -> list[str]:
    rng = random.Random(18)
    names = sorted({e.text for e in index.entries})
    return QUERIES + rng.sample(names, 60) + [one_typo(name, rng) for name in rng.sample(names, 60)]


def test_the_file_answers_as_memory_does(both):
    memory, stored = both
    for query in queries(memory):
        assert stored.search(query) == memory.search(query), query
        assert stored.search(query, languages=["zh"]) == memory.search(query, languages=["zh"]), query
        expected = [(f.iri, f.entry, f.match) for f in memory.matches(query, within=ID)]
        assert [(f.iri, f.entry, f.match) for f in stored.matches(query, within=ID)] == expected, query


def test_one_resource_reads_alike(both):
    memory, stored = both
    for iri in sorted({e.iri for e in memory.entries})[:80]:
        assert stored.labels_of(iri) == memory.labels_of(iri)
        assert stored.label(iri, ["zh"]) == memory.label(iri, ["zh"])
        assert stored.description(iri) == memory.description(iri)
        assert stored.prominence(iri) == memory.prominence(iri)
    assert stored.entries_within(ID) == memory.entries_within(ID)


def test_replaced_rows_leave_the_file_as_a_rebuild_would(real_store, tmp_path):
    """Every entity's rows replaced (by its rows, in batches): the same answers, the same words."""
    path = tmp_path / "search.sqlite"
    database = SearchDatabase(path)
    database.rebuild(read_names(real_store), source="test", position=0)
    memory = LabelIndex.from_store(real_store)
    words = database._connection.execute("SELECT * FROM words ORDER BY word").fetchall()
    iris = sorted({e.iri for e in memory.entries})
    for start in range(0, len(iris), 37):
        batch = iris[start : start + 37]
        database.replace(batch, read_names(real_store, batch), position=start + 1)
    assert database.state() == ("test", start + 1) and database.builds() == 1
    for table in ("words", "pair_sizes", "lengths"):
        assert (
            database._connection.execute(
                f"SELECT count(*) FROM {table} WHERE {'names' if table == 'words' else 'words'} < 1"
            ).fetchone()[0]
            == 0
        )
    assert database._connection.execute("SELECT * FROM words ORDER BY word").fetchall() == words
    stored = StoredLabelIndex(path)
    for query in QUERIES:
        assert [(h.iri, h.match) for h in stored.search(query)] == [(h.iri, h.match) for h in memory.search(query)]
