"""zkg.linked_data.describe: what a description holds, how it is bounded, how few queries it takes."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from tests.support.zkg_testing import TEST_BASE
from zkg.linked_data import describe as describe_module
from zkg.linked_data.describe import INCOMING, NEIGHBOUR, OWN, PROVENANCE, describe
from zkg.store.local import Store

ID = TEST_BASE + "id/"
ARTICLE_GRAPH = TEST_BASE + "graph/china-daily-2016-03-05-p7"
REFERENCE_GRAPH = TEST_BASE + "graph/reference"
SCHEMA = "https://schema.org/"
SKOS = "http://www.w3.org/2004/02/skos/core#"


class CountingStore:
    """Passes queries through to a store, counting them."""

    def __init__(self, store):
        self.store, self.queries = store, 0

    def query(self, *args, **kwargs):
        self.queries += 1
        return self.store.query(*args, **kwargs)


def triples(description, role=None):
    return {
        (
            s.subject.value if isinstance(s.subject, ox.NamedNode) else "_",
            s.predicate.value,
            s.object.value if not isinstance(s.object, ox.BlankNode) else "_",
        )
        for s in description.statements
        if role is None or s.role == role
    }


def test_z_park_own_incoming_neighbours_and_provenance(real_store):
    counting = CountingStore(real_store)
    d = describe(counting, ID + "z-park")
    assert counting.queries <= 4, "a description is a handful of queries, not one per neighbour"
    assert d.exists
    own = triples(d, OWN)
    assert (ID + "z-park", SCHEMA + "name", "Zhongguancun Science Park") in own
    assert (ID + "z-park", TEST_BASE + "def/owns", ID + "zhongguancun-development-group") in own
    incoming = triples(d, INCOMING)
    assert (ID + "obs-mna-completed-2015", TEST_BASE + "def/refSubject", ID + "z-park") in incoming
    assert (ID + "z-park-administrative-committee", TEST_BASE + "def/administers", ID + "z-park") in incoming
    neighbours = triples(d, NEIGHBOUR)
    assert (ID + "zhongguancun-development-group", SCHEMA + "name", "中关村发展集团") in neighbours
    assert (
        ID + "obs-mna-completed-2015",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
        "http://purl.org/linked-data/cube#Observation",
    ) in neighbours
    provenance = triples(d, PROVENANCE)
    assert (ARTICLE_GRAPH, "http://purl.org/dc/terms/source", ID + "china-daily-2016-03-05-p7") in provenance
    assert (ID + "china-daily-2016-03-05-p7", SCHEMA + "printPage", "7") in provenance
    # Every statement knows its graphs; the Chinese name comes from the reference graph.
    assert all(s.graphs for s in d.statements)
    chinese = [s for s in d.own() if s.predicate.value == SCHEMA + "name" and s.object.language == "zh-hans"]
    assert [g.value for s in chinese for g in s.graphs] == [REFERENCE_GRAPH]
    assert d.source_of(ARTICLE_GRAPH).source == ID + "china-daily-2016-03-05-p7"
    assert d.source_of(ARTICLE_GRAPH).derived
    assert d.source_of(REFERENCE_GRAPH).source == ID + "zkg-project"
    assert not d.source_of(REFERENCE_GRAPH).derived
    assert not (d.own_truncated or d.incoming_truncated or d.blank_nodes_truncated)


def test_blank_nodes_are_followed(real_store):
    d = describe(real_store, ID + "zhongguancun-stanford-startup-fund")
    amount = [s.object for s in d.own() if s.predicate.value == SCHEMA + "amount"]
    assert len(amount) == 1 and isinstance(amount[0], ox.BlankNode)
    inside = {(s.predicate.value, s.object.value) for s in d.about(amount[0])}
    assert (SCHEMA + "currency", "USD") in inside and (SCHEMA + "value", "912500000") in inside


def test_long_rdf_lists_are_followed_to_the_end(real_store):
    # sh:alternativePath ( ten properties ): eleven blank levels deep, past the first query.
    d = describe(real_store, TEST_BASE + "def/shapes/OrganizationShape-related")
    firsts = [s for s in d.statements if s.predicate.value.endswith("#first")]
    assert len(firsts) == 10 and not d.blank_nodes_truncated


def test_an_unknown_iri_has_no_description(real_store):
    d = describe(real_store, ID + "no-such-thing")
    assert not d.exists and d.statements == []


@pytest.fixture
def small_store():
    return Store.open(base_iri=TEST_BASE)


def test_statements_in_two_graphs_keep_both(small_store):
    small_store.update('INSERT DATA { GRAPH graph:a { id:x schema:name "X" } GRAPH graph:b { id:x schema:name "X" } }')
    d = describe(small_store, ID + "x")
    [name] = d.own()
    assert [g.value for g in name.graphs] == [TEST_BASE + "graph/a", TEST_BASE + "graph/b"]


def test_the_blank_node_closure_is_bounded(small_store):
    depth = describe_module.MAX_BLANK_DEPTH + 3
    chain = " ".join(f"_:b{i} zkg:next _:b{i + 1} ." for i in range(depth))
    small_store.update(f"INSERT DATA {{ GRAPH graph:a {{ id:x zkg:next _:b0 . {chain} }} }}")
    d = describe(small_store, ID + "x")
    assert d.blank_nodes_truncated
    assert len(d.by_role(OWN)) == describe_module.MAX_BLANK_DEPTH + 1


def test_incoming_links_are_bounded(small_store, monkeypatch):
    monkeypatch.setattr(describe_module, "INCOMING_LIMIT", 5)
    small_store.update(
        "INSERT DATA { GRAPH graph:a { " + " ".join(f"id:s{i} schema:about id:x ." for i in range(8)) + " } }"
    )
    d = describe(small_store, ID + "x")
    assert d.incoming_truncated and len(d.by_role(INCOMING)) == 5
    assert d.exists


def test_incoming_links_from_blank_nodes_are_left_out(small_store):
    small_store.update("INSERT DATA { GRAPH graph:a { [] schema:about id:x . id:y schema:about id:x } }")
    d = describe(small_store, ID + "x")
    assert {s.subject.value for s in d.by_role(INCOMING)} == {ID + "y"}
