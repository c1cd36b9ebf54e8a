"""Fixtures of the linked-data core tests: the real data, loaded once per module."""

from __future__ import annotations

import pytest

from tests.support.zkg_testing import GRAPH_DIR, ONTOLOGY_DIR, TEST_BASE
from zkg.store.local import Store


@pytest.fixture(scope="module")
def real_store() -> Store:
    """An in-memory store loaded from graph/ and ontology/ (read-only in the tests using it)."""
    store = Store.open(base_iri=TEST_BASE)
    store.load_sources(graph_dir=GRAPH_DIR, ontology_dir=ONTOLOGY_DIR)
    return store
