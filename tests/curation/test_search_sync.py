"""zkg.curation.search_sync: the label index file follows the change log. A changeset is in it
once applied, without a rebuild; a process whose file is behind the log (a write it did not
see) catches up from the log; a new load rebuilds it; a store without a writable data
directory keeps its index in memory."""

from __future__ import annotations

import pytest

from tests.curation.conftest import changeset, turtle
from tests.support.zkg_testing import FIXTURE_PROJECT, GRAPH_DIR, ONTOLOGY_DIR, TEST_BASE
from zkg.curation import search_sync
from zkg.curation.apply import apply_changeset
from zkg.curation.changelog import ChangeLog
from zkg.linked_data.search import LabelIndex
from zkg.store.local import Store

ID = TEST_BASE + "id/"


@pytest.fixture
def store(tmp_path):
    store = Store.open(tmp_path / "data", base_iri=TEST_BASE, create=True)
    store.load_sources(graph_dir=GRAPH_DIR, ontology_dir=ONTOLOGY_DIR)
    search_sync.build_for_load(store)
    yield store
    store.close()


def iris(index, query: str) -> list[str]:
    return [hit.iri for hit in index.search(query)]


def test_a_write_is_in_the_file_once_applied_and_a_rename_replaces_the_old_name(store):
    keeper = search_sync.SearchKeeper(store)
    log = ChangeLog.for_store(store)
    assert ID + "quokka" not in iris(keeper.current(store), "quokka")
    apply_changeset(store, changeset(add=turtle('id:quokka rdfs:label "Quokka Hub"@en', graph="reference")), log=log)
    # Another process's keeper sees it with no work of its own: the write path did it.
    other = search_sync.SearchKeeper(store)
    assert search_sync.catch_up(store, other.database, other.changes) == 0
    assert iris(other.current(store), "quokka hub")[0] == ID + "quokka"
    apply_changeset(
        store,
        changeset(
            remove=turtle('id:quokka rdfs:label "Quokka Hub"@en', graph="reference"),
            add=turtle('id:quokka rdfs:label "Wombat Works"@en', graph="reference"),
        ),
        log=log,
    )
    index = keeper.current(store)
    assert ID + "quokka" not in iris(index, "quokka") and iris(index, "wombat works")[0] == ID + "quokka"
    assert index.label(ID + "quokka") == "Wombat Works"
    assert keeper.rebuilds == other.rebuilds == 0 and keeper.database.builds() == 1
    # As a rebuild would have it (prominence of the agent and the changesets included).
    memory = LabelIndex.from_store(store)
    for query in ("wombat", "z-park", "changeset", "test curator"):
        assert index.search(query) == memory.search(query), query


def test_a_file_behind_the_log_catches_up_from_it(store, monkeypatch):
    keeper = search_sync.SearchKeeper(store)
    keeper.current(store)
    monkeypatch.setattr(search_sync, "after_commit", lambda store, changes: None)  # a write the file missed
    log = ChangeLog.for_store(store)
    apply_changeset(store, changeset(add=turtle('id:quokka rdfs:label "Quokka Hub"@en', graph="reference")), log=log)
    assert ID + "quokka" not in iris(keeper.index, "quokka")
    assert iris(keeper.current(store), "quokka")[0] == ID + "quokka"
    assert keeper.rebuilds == 0 and keeper.database.state()[1] == log.settled_since(0)[1]


def test_a_new_load_rebuilds_the_file(store, tmp_path):
    keeper = search_sync.SearchKeeper(store)
    keeper.current(store)
    assert ID + "alice" not in iris(keeper.index, "alice")
    # Other files: a new load record (zkg load would rebuild the file itself).
    store.load_sources(graph_dir=FIXTURE_PROJECT / "graph", ontology_dir=FIXTURE_PROJECT / "ontology")
    assert search_sync.catch_up(store, keeper.database, keeper.changes) is None
    assert iris(keeper.current(store), "alice")[0] == ID + "alice"
    assert keeper.rebuilds == 1


def test_a_store_without_a_data_directory_keeps_its_index_in_memory():
    assert not search_sync.keeps_search_file(Store.open(base_iri=TEST_BASE))


def test_the_log_is_never_read_while_the_file_is_locked_for_writing(store, monkeypatch):
    """The lock order (CI's soak found the other one deadlocking): the write path holds the
    change log's lock while it brings the file up to date, so nothing may ask for the log's
    lock while it holds the file's write lock. Every log read of a catch-up and of a rebuild
    happens outside the file's transaction."""
    keeper = search_sync.SearchKeeper(store)
    log = ChangeLog.for_store(store)
    reads = []
    real = ChangeLog.settled_since

    def settled_since(self, offset):
        reads.append(keeper.database._connection.in_transaction)
        return real(self, offset)

    monkeypatch.setattr(ChangeLog, "settled_since", settled_since)
    apply_changeset(store, changeset(add=turtle('id:quokka rdfs:label "Quokka Hub"@en', graph="reference")), log=log)
    behind = search_sync.SearchKeeper(store)  # (its own connection: a reader of another thread)
    with keeper.database.transaction():  # the file set back: the write to be followed again
        keeper.database.record(position=0)
    reads_before = len(reads)
    assert search_sync.catch_up(store, keeper.database, keeper.changes) >= 1
    search_sync.rebuild(store, keeper.database, keeper.changes, force=True)
    assert len(reads) > reads_before and not any(reads), reads
    assert iris(behind.current(store), "quokka hub")[0] == ID + "quokka"
