"""Which IRI a request means is kept per dataset version: a write (which makes a new
version) is seen at once, for an IRI that appears and for one that goes away."""

from __future__ import annotations

from tests.support.zkg_testing import TEST_BASE
from zkg.store.local import Store
from zkg.web.iris import resolve


def test_resolving_an_iri_sees_writes_at_once():
    store = Store.open(base_iri=TEST_BASE)
    assert resolve(store, TEST_BASE, ["id/newcomer"]) is None
    assert resolve(store, TEST_BASE, ["id/newcomer"]) is None  # the kept answer
    store.update('INSERT DATA { GRAPH graph:g { id:newcomer schema:name "New" } }')
    assert resolve(store, TEST_BASE, ["id/newcomer"]) == f"{TEST_BASE}id/newcomer"
    store.update('DELETE DATA { GRAPH graph:g { id:newcomer schema:name "New" } }')
    assert resolve(store, TEST_BASE, ["id/newcomer"]) is None
