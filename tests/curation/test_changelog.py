"""The change log: RDF Patch entries, commit marks, recovery of pending and torn entries."""

from __future__ import annotations

import threading

import pyoxigraph as ox
import pytest

from tests.support.zkg_testing import FIXTURE_PROJECT, TEST_BASE
from zkg.base.errors import StoreError
from zkg.curation.apply import apply_changeset
from zkg.curation.changelog import ABORTED, COMMITTED, LOG_FILE, PENDING, ChangeLog
from zkg.store.local import Store


@pytest.fixture
def disk(tmp_path):
    store = Store.open(tmp_path / "data", base_iri=TEST_BASE, create=True)
    store.load_sources(graph_dir=FIXTURE_PROJECT / "graph", ontology_dir=FIXTURE_PROJECT / "ontology")
    yield store
    store.close()


def _cs(helpers, n: int = 0):
    return helpers.changeset(add=f'id:thing-{n} schema:description "thing {n}"@en .')


def test_entries_are_rdf_patch_with_headers(disk, helpers):
    log = ChangeLog.for_store(disk)
    first = apply_changeset(disk, _cs(helpers, 1), log=log).changeset
    second = apply_changeset(disk, _cs(helpers, 2), log=log).changeset
    text = (disk.data_dir / LOG_FILE).read_text()
    assert text.count("TX .") == 2 and text.count("TC .") == 2
    assert f"H prev <{first.graph}> ." in text
    reread = ChangeLog.for_store(disk)  # a new reader parses the file from scratch
    assert [(e.id, e.status) for e in reread.entries()] == [(first.id, COMMITTED), (second.id, COMMITTED)]
    assert reread.entry(second.id).changeset.additions == second.additions


def test_pending_entry_is_aborted_when_the_store_does_not_have_it(disk, helpers):
    log = ChangeLog.for_store(disk)
    cs = _cs(helpers)
    log.begin(cs)
    assert log.entries()[-1].status == PENDING
    with pytest.raises(StoreError, match="unsettled"):
        log.begin(_cs(helpers, 2))
    assert log.reconcile(disk) == {cs.id: ABORTED}
    assert ChangeLog.for_store(disk).entry(cs.id).status == ABORTED


def test_pending_entry_is_committed_when_the_store_has_it(disk, helpers):
    from zkg.curation import apply as curation

    log = ChangeLog.for_store(disk)
    cs = _cs(helpers)
    log.begin(cs)
    disk.update(
        curation._update_text(curation._check(disk, cs), curation.metadata_quads(disk, cs), ox.DefaultGraph()),
        keeps_union=True,
    )
    assert log.reconcile(disk) == {cs.id: COMMITTED}


def test_torn_last_line_is_cut_and_the_entry_aborted(disk, helpers):
    log = ChangeLog.for_store(disk)
    done = apply_changeset(disk, _cs(helpers, 1), log=log).changeset
    path = disk.data_dir / LOG_FILE
    size = path.stat().st_size
    cs = _cs(helpers, 2)
    log.begin(cs)
    with open(path, "ab") as handle:
        handle.write(b"A <http://zkg.test/id/x> <http://zk")  # a crash in the middle of a row
    fresh = ChangeLog.for_store(disk)
    assert fresh.reconcile(disk) == {cs.id: ABORTED}
    assert not path.read_bytes().count(b"<http://zk\n") and path.read_bytes().endswith(b"TA .\n")
    assert [e.status for e in fresh.entries()] == [COMMITTED, ABORTED]
    assert path.stat().st_size > size and fresh.entry(done.id).status == COMMITTED


def test_apply_reconciles_first(disk, helpers):
    log = ChangeLog.for_store(disk)
    stale = _cs(helpers, 1)
    log.begin(stale)  # a writer died here
    apply_changeset(disk, _cs(helpers, 2), log=ChangeLog.for_store(disk))
    assert [e.status for e in ChangeLog.for_store(disk).entries()] == [ABORTED, COMMITTED]


def test_writers_are_serialised(helpers):
    store = Store.open(base_iri=TEST_BASE)
    store.load_sources(graph_dir=FIXTURE_PROJECT / "graph", ontology_dir=FIXTURE_PROJECT / "ontology")
    log = ChangeLog.for_store(store)
    errors = []

    def write(n):
        try:
            apply_changeset(store, _cs(helpers, n), log=log)
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    entries = log.entries()
    assert len(entries) == 8 and all(e.status == COMMITTED for e in entries)
    # Each entry's prev is the one before it: no two writers interleaved.
    prevs = [ox.NamedNode(e.changeset.graph) for e in entries]
    text = log._read_from(0).decode()
    for before in prevs[:-1]:
        assert f"H prev {before} ." in text
