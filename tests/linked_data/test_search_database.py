"""zkg.linked_data.search_database: the label index kept in SQLite answers exactly as the one
in memory (the same word index walk over its tables, the same scoring), and rows replaced a
few IRIs at a time leave it as a rebuild would."""

from __future__ import annotations

import random

import pytest

from tests.linked_data.test_search import one_typo
from tests.support.zkg_testing import TEST_BASE
from zkg.linked_data.labels import fetch_label_candidates
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


def test_a_hits_types_and_their_labels_are_the_stores(real_store, both):
    """What a search hit shows besides its names (its types, their label candidates) is read
    from the file, as the store has it (the engine is no longer asked per search)."""
    memory, stored = both
    iris = sorted({e.iri for e in memory.entries})
    expected = {}
    for row in real_store.query("SELECT DISTINCT ?s ?t WHERE { ?s a ?t FILTER(isIRI(?s) && isIRI(?t)) } ORDER BY ?t"):
        if row["s"].value in set(iris):
            expected.setdefault(row["s"].value, []).append(row["t"].value)
    assert stored.types_of(iris) == expected and expected
    kinds = sorted({t for ts in expected.values() for t in ts})
    from_store = fetch_label_candidates(real_store, kinds)
    from_file = stored.label_candidates(kinds)
    assert {t: sorted((p, lit.value, lit.language) for p, lit in c) for t, c in from_file.items()} == {
        t: sorted((p, lit.value, lit.language) for p, lit in c) for t, c in from_store.items()
    }


def test_a_type_written_is_in_the_file_after_its_rows_are_replaced(real_store, tmp_path):
    path = tmp_path / "search.sqlite"
    database = SearchDatabase(path)
    database.rebuild(read_names(real_store), source="test", position=0)
    zp = ID + "z-park"
    before = StoredLabelIndex(path).types_of([zp])[zp]
    names = read_names(real_store, [zp])
    names.types[zp] = [*before, TEST_BASE + "def/Example"]
    database.replace([zp], names, position=1)
    assert StoredLabelIndex(path).types_of([zp])[zp] == sorted([*before, TEST_BASE + "def/Example"])
