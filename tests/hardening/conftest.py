"""Fixtures of the hardening tests: apps on fresh in-memory stores (Flask's test client)."""

from __future__ import annotations

import pytest

from tests.support.curation_testing import make_curation
from tests.support.zkg_testing import FIXTURE_PROJECT, TEST_BASE
from zkg.base.settings import Settings
from zkg.store.local import Store


@pytest.fixture(scope="module")
def read_store() -> Store:
    store = Store.open(base_iri=TEST_BASE)
    store.load_sources(graph_dir=FIXTURE_PROJECT / "graph", ontology_dir=FIXTURE_PROJECT / "ontology")
    return store


@pytest.fixture
def read_app(tmp_path, read_store):
    from zkg.web import create_app

    settings = Settings.from_env(
        environ={}, base_iri=TEST_BASE, data=tmp_path / "unused", row_limit=50, max_request_bytes=20_000
    )
    return create_app({"ZKG_SETTINGS": settings, "ZKG_STORE": read_store, "TESTING": True, "ZKG_RATE_LIMIT": 0})


@pytest.fixture
def client(read_app):
    return read_app.test_client()


@pytest.fixture
def cur(tmp_path):
    """A writable app (fresh store, a write and a read token): see tests/support/curation_testing.py."""
    return make_curation(tmp_path)
