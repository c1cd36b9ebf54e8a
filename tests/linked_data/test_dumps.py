"""zkg.store.version and zkg.linked_data.dumps: versions change with every write; dumps follow."""

from __future__ import annotations

import gzip
import time

from tests.support.zkg_testing import FIXTURE_PROJECT, TEST_BASE
from zkg.linked_data.dumps import DumpCache
from zkg.store.local import Store
from zkg.store.version import dataset_version


def load(store):
    store.load_sources(graph_dir=FIXTURE_PROJECT / "graph", ontology_dir=FIXTURE_PROJECT / "ontology")


def test_the_version_changes_with_every_write_and_every_opening(tmp_path):
    store = Store.open(tmp_path / "data", base_iri=TEST_BASE, create=True)
    load(store)
    first = dataset_version(store)
    assert dataset_version(store) == first
    store.update("INSERT DATA { GRAPH graph:g { id:a zkg:p 1 } }")
    second = dataset_version(store)
    assert second.tag != first.tag and second.modified >= first.modified
    store.update_raw(f"INSERT DATA {{ GRAPH <{TEST_BASE}graph/g> {{ <{TEST_BASE}id/a> <{TEST_BASE}def/p> 2 }} }}")
    third = dataset_version(store)
    assert third.tag != second.tag
    load(store)
    assert dataset_version(store).tag != third.tag
    store.close()
    # Reopened, the same data on disk: a new session, so a new version (writes before it are unknown).
    again = Store.open(tmp_path / "data", base_iri=TEST_BASE)
    assert dataset_version(again).tag != dataset_version(store).tag
    again.close()


def test_a_failed_update_changes_nothing():
    store = Store.open(base_iri=TEST_BASE)
    before = dataset_version(store)
    try:
        store.update("INSERT NONSENSE")
    except Exception:
        pass
    assert dataset_version(store) == before


def test_etags_differ_by_variant():
    store = Store.open(base_iri=TEST_BASE)
    version = dataset_version(store)
    assert version.etag("page", "/id/a") != version.etag("ttl", "/id/a")
    assert version.etag("ttl", "/id/a").startswith('"') and version.http_date.endswith("GMT")


def test_memory_dumps_are_cached_per_version():
    store = Store.open(base_iri=TEST_BASE)
    load(store)
    cache = DumpCache(store)
    trig = cache.get("trig")
    assert gzip.decompress(trig.read()) == store.dump(format="trig")
    assert cache.get("trig") is trig
    store.update("INSERT DATA { GRAPH graph:g { id:new zkg:p 1 } }")
    fresh = cache.get("trig")
    assert fresh is not trig and b"id:new" in gzip.decompress(fresh.read())
    nquads = cache.get("nquads")
    assert gzip.decompress(nquads.read()) == store.dump(format="nquads")


def test_disk_dumps_replace_older_versions(tmp_path):
    store = Store.open(tmp_path / "data", base_iri=TEST_BASE, create=True)
    load(store)
    cache = DumpCache(store)
    first = cache.get("nquads")
    assert first.path.parent == tmp_path / "data" / "dumps" and first.path.is_file()
    mtime = first.path.stat().st_mtime_ns
    time.sleep(0.01)
    assert cache.get("nquads").path.stat().st_mtime_ns == mtime  # not rebuilt
    assert first.read() == gzip.compress(store.dump(format="nquads"), compresslevel=6, mtime=0)
    store.update("INSERT DATA { GRAPH graph:g { id:new zkg:p 1 } }")
    second = cache.get("nquads")
    assert second.path != first.path and not first.path.exists()
    assert [p.name for p in (tmp_path / "data" / "dumps").iterdir()] == [second.path.name]
    store.close()
