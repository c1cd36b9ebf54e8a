"""Shared fixtures: settings in a temporary data directory, stores loaded from files, and the
session's live ``zkg serve`` processes; the markers ``live``, ``browser`` and ``remote``, given
to each test from what it uses (tests/support/markers.py).

- ``live_server``: a real ``zkg serve`` subprocess, shared by the whole session, on a free
  loopback port, on a data directory made by ``zkg load`` from the project's real graph/,
  with a 1 s time limit and a row limit of 100 (so both can be tested cheaply);
- ``linked_data_server``: the same, with its own URL as its base IRI.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import markers
from tests.support.live_server import LiveServer, expect_live, serve_at_own_url, zkg_load
from tests.support.web_testing import LIVE_MAX_REQUEST_BYTES, LIVE_QUERY_TIMEOUT, LIVE_ROW_LIMIT
from tests.support.zkg_testing import FIXTURE_PROJECT, GRAPH_DIR, ONTOLOGY_DIR, TEST_BASE
from zkg.base.settings import Settings
from zkg.store.local import Store


@pytest.hookimpl(tryfirst=True)  # before pytest's own -m deselects by these markers
def pytest_collection_modifyitems(items):
    markers.mark(items)


@pytest.hookimpl(tryfirst=True)  # before the test's fixtures are set up
def pytest_runtest_setup(item):
    expect_live(item.get_closest_marker("live") is not None)


def _real_data_present() -> bool:
    return GRAPH_DIR.is_dir() and ONTOLOGY_DIR.is_dir()


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Settings with a fresh data directory under tmp_path and the test base IRI."""
    return Settings.from_env(
        environ={}, data=tmp_path / "zkg-data", base_iri=TEST_BASE, graph_dir=GRAPH_DIR, ontology_dir=ONTOLOGY_DIR
    )


@pytest.fixture
def store(settings) -> Store:
    """An in-memory store loaded from the project's real graph/ and ontology/ folders."""
    assert _real_data_present(), "the project's graph/ and ontology/ folders are missing"
    memory = Store.open(base_iri=settings.base_iri)
    memory.load_sources(graph_dir=settings.graph_dir, ontology_dir=settings.ontology_dir)
    return memory


@pytest.fixture
def disk_store(settings):
    """An on-disk store (in tmp_path) loaded from the fixture project; closed afterwards."""
    on_disk = Store.open(settings.data, base_iri=settings.base_iri, create=True)
    on_disk.load_sources(graph_dir=FIXTURE_PROJECT / "graph", ontology_dir=FIXTURE_PROJECT / "ontology")
    yield on_disk
    on_disk.close()


@pytest.fixture
def fixture_store() -> Store:
    """An in-memory store loaded from the fixture project."""
    memory = Store.open(base_iri=TEST_BASE)
    memory.load_sources(graph_dir=FIXTURE_PROJECT / "graph", ontology_dir=FIXTURE_PROJECT / "ontology")
    return memory


@pytest.fixture
def project_copy(tmp_path) -> Path:
    """A writable copy of the fixture project, for tests that edit or break files."""
    import shutil

    target = tmp_path / "project"
    shutil.copytree(FIXTURE_PROJECT, target)
    return target


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    data = tmp_path_factory.mktemp("live") / "zkg-data"
    zkg_load(data, base_iri=TEST_BASE)
    server = LiveServer(
        data,
        base_iri=TEST_BASE,
        options=(
            "--query-timeout",
            str(LIVE_QUERY_TIMEOUT),
            "--row-limit",
            str(LIVE_ROW_LIMIT),
            "--max-request-bytes",
            str(LIVE_MAX_REQUEST_BYTES),
            "--threads",
            "4",
        ),
    )
    yield server
    server.stop()


@pytest.fixture(scope="session")
def linked_data_server(tmp_path_factory):
    """A live ``zkg serve`` whose base IRI is its own URL, so that every IRI in its data
    dereferences on it (the linked-data walk and browser tests follow them). Loaded by
    ``zkg load`` from the project's real graph/."""
    server = serve_at_own_url(tmp_path_factory.mktemp("linked-data") / "zkg-data", threads=8)
    yield server
    server.stop()


@pytest.fixture
def lexed(monkeypatch):
    """The texts the SPARQL lexer reads from now on (its scan cache emptied first): a test
    counts them to show a path reads no text, or reads it once."""
    from zkg.rdf import sparql_scan
    from zkg.rdf.sparql_lexer import Lexer

    runs = []
    run = Lexer.run

    def counting(self):
        runs.append(self)
        return run(self)

    sparql_scan._scan_cached.cache_clear()
    monkeypatch.setattr(Lexer, "run", counting)
    return runs
