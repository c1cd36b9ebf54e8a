"""Shared fixtures: settings in a temporary data directory, and stores loaded from files."""

from __future__ import annotations

from pathlib import Path

import pytest

from zkg.base.settings import Settings
from zkg.store.local import Store
from zkg_testing import FIXTURE_PROJECT, GRAPH_DIR, ONTOLOGY_DIR, TEST_BASE


def _real_data_present() -> bool:
    return GRAPH_DIR.is_dir() and ONTOLOGY_DIR.is_dir()


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Settings with a fresh data directory under tmp_path and the test base IRI."""
    return Settings.from_env(environ={}, data=tmp_path / "zkg-data", base_iri=TEST_BASE,
                             graph_dir=GRAPH_DIR, ontology_dir=ONTOLOGY_DIR)


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
