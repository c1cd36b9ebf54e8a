"""Fixtures of the power-tool tests (reconciliation, canned queries, completion, languages):
the project's real graph/ and ontology/ in one in-memory store for the whole module, and the
app on it with Flask's test client."""

from __future__ import annotations

import pytest

from tests.support.zkg_testing import GRAPH_DIR, ONTOLOGY_DIR, TEST_BASE
from zkg.base.settings import Settings
from zkg.store.local import Store

#: The row limit of the `power_app`: above every canned query's answer on the real data.
POWER_ROW_LIMIT = 1000


@pytest.fixture(scope="session")
def real_store() -> Store:
    store = Store.open(base_iri=TEST_BASE)
    store.load_sources(graph_dir=GRAPH_DIR, ontology_dir=ONTOLOGY_DIR)
    return store


@pytest.fixture(scope="session")
def power_app(real_store, tmp_path_factory):
    from zkg.web import create_app

    settings = Settings.from_env(
        environ={}, base_iri=TEST_BASE, data=tmp_path_factory.mktemp("unused"), row_limit=POWER_ROW_LIMIT
    )
    return create_app({"ZKG_SETTINGS": settings, "ZKG_STORE": real_store, "TESTING": True})


@pytest.fixture
def client(power_app):
    return power_app.test_client()
