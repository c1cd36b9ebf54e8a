"""Issue 19: the query default graph is the set union of the named graphs (DESIGN.md, decision
4), kept in the store (zkg.store.union_graph): a triple stated by two sources is one triple
there, in every query form, and ``GRAPH ?g`` still shows both. Here on the embedded store:
written by the one write path (a triple's removal from one graph keeps it, from every graph
drops it, a revert restores), built by ``zkg load`` (small and bulk), refused in one line
for a data directory an earlier zkg loaded; and a differential test against rdflib's union
default graph, on generated datasets of overlapping graphs and generated writes."""

from __future__ import annotations

import json
from collections import Counter

import pyoxigraph as ox
import pytest
import rdflib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.zkg_testing import FIXTURE_PROJECT, TEST_BASE
from zkg.base.errors import StoreError
from zkg.curation.writer import Attribution, Curator
from zkg.store import union_graph
from zkg.store.local import Store

B = TEST_BASE
G1, G2 = ox.NamedNode(B + "graph/source-one"), ox.NamedNode(B + "graph/source-two")
S, P = ox.NamedNode(B + "id/thing"), ox.NamedNode(B + "def/amount")
FIVE = ox.Literal("5", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
ANN = Attribution("Ann Lee", source="https://example.org/union-test")


def value(store: Store, query: str) -> str:
    (row,) = list(store.query(query))
    return row[0].value


def both_sources(store: Store) -> Curator:
    """The triple ``S P 5`` stated by two sources, each written through the write path."""
    curator = Curator(store)
    curator.write(ANN, additions=[ox.Quad(S, P, FIVE, G1)])
    curator.write(ANN, additions=[ox.Quad(S, P, FIVE, G2)])
    return curator


def test_a_triple_of_two_graphs_is_one_triple_in_every_query_form():
    store = Store.open(base_iri=B)
    both_sources(store)
    assert value(store, "SELECT (COUNT(*) AS ?n) { ?s zkg:amount ?o }") == "1"
    assert len(list(store.query("SELECT ?s ?o { ?s zkg:amount ?o }"))) == 1
    assert value(store, "SELECT (SUM(?o) AS ?t) { ?s zkg:amount ?o }") == "5"
    assert value(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) { ?s ?p ?o FILTER(?p = zkg:amount) }") == "1"
    assert len(list(store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s zkg:amount ?o . ?s ?p ?o }"))) == 1
    assert len(list(store.query("DESCRIBE id:thing"))) == 1
    # GRAPH ?g still shows both sources.
    graphs = {row["g"] for row in store.query("SELECT ?g { GRAPH ?g { id:thing zkg:amount ?o } }")}
    assert graphs == {G1, G2}
    # What counts the store itself: the data's quads are the named graphs', the union apart.
    assert store.count(G1) == store.count(G2) == 1
    assert store.count(ox.DefaultGraph()) == len({(q.subject, q.predicate, q.object) for q in store.quads()})


def test_removing_it_from_one_graph_keeps_it_from_both_drops_it_and_a_revert_restores():
    store = Store.open(base_iri=B)
    curator = both_sources(store)
    one = curator.write(ANN, removals=[ox.Quad(S, P, FIVE, G1)])
    assert store.query("ASK { id:thing zkg:amount 5 }")
    assert value(store, "SELECT (COUNT(*) AS ?n) { ?s zkg:amount ?o }") == "1"
    other = curator.write(ANN, removals=[ox.Quad(S, P, FIVE, G2)])
    assert not store.query("ASK { id:thing zkg:amount 5 }")
    curator.revert(other.id, Attribution("Bo", message="it was right"))
    assert store.query("ASK { id:thing zkg:amount 5 }")
    curator.revert(one.id, Attribution("Bo", message="it was right"))
    assert value(store, "SELECT (COUNT(*) AS ?n) { ?s zkg:amount ?o }") == "1"
    # A graph-less removal (SPARQL Update's default graph) takes it from every graph.
    curator.apply_update("DELETE DATA { id:thing zkg:amount 5 }", ANN)
    assert not store.query("ASK { GRAPH ?g { id:thing zkg:amount 5 } }")
    assert not store.query("ASK { id:thing zkg:amount 5 }")


#: The test's statements (a store written through the write path holds changesets' records too).
MINE = "?s ?p ?o FILTER(?s = id:thing || isBlank(?s))"


def test_shared_blank_nodes_are_in_the_union_once_and_leave_it_with_their_last_graph():
    store = Store.open(base_iri=B)
    curator = Curator(store)
    curator.apply_update(f"INSERT DATA {{ GRAPH {G1} {{ id:thing zkg:part [ zkg:amount 5 ] }} }}", ANN)
    curator.apply_update(f"COPY {G1} TO {G2}", ANN)  # the copy shares the blank node
    assert value(store, f"SELECT (COUNT(*) AS ?n) {{ {MINE} }}") == "2"
    assert value(store, f"SELECT (COUNT(*) AS ?n) {{ GRAPH ?g {{ {MINE} }} }}") == "4"
    curator.apply_update(f"DELETE WHERE {{ GRAPH {G1} {{ ?b zkg:amount ?v }} }}", ANN)
    assert value(store, f"SELECT (COUNT(*) AS ?n) {{ {MINE} }}") == "2"
    curator.apply_update(f"DELETE WHERE {{ GRAPH {G2} {{ ?b zkg:amount ?v }} }}", ANN)
    assert value(store, f"SELECT (COUNT(*) AS ?n) {{ {MINE} }}") == "1"
    assert store.query("ASK { id:thing zkg:part ?b FILTER(isBlank(?b)) }")


@pytest.mark.parametrize("bulk", [False, True], ids=["small load", "bulk load"])
def test_zkg_load_builds_the_union(tmp_path, bulk):
    store = Store.open(tmp_path / "data", base_iri=B, create=True)
    store.load_sources(
        graph_dir=FIXTURE_PROJECT / "graph",
        ontology_dir=FIXTURE_PROJECT / "ontology",
        bulk_threshold=0 if bulk else 10**6,
    )
    triples = {(q.subject, q.predicate, q.object) for q in store.quads()}
    assert triples and set(map(union_graph.copy_in, store.quads())) == set(store.quads(ox.DefaultGraph()))
    assert store.count(ox.DefaultGraph()) == len(triples)
    assert union_graph.is_marked(store.load_record)


@pytest.mark.parametrize("bulk", [False, True], ids=["small load", "bulk load"])
def test_a_store_an_earlier_zkg_loaded_is_refused_until_zkg_load(tmp_path, bulk):
    data = tmp_path / "data"
    store = Store.open(data, base_iri=B, create=True)
    store.load_sources(graph_dir=FIXTURE_PROJECT / "graph", ontology_dir=FIXTURE_PROJECT / "ontology")
    # As an earlier zkg left it: no union kept, a statement of the store's own default graph.
    store.oxigraph.update("DROP DEFAULT ; INSERT DATA { <urn:x> <urn:y> <urn:z> }")
    store.close()
    record = json.loads((data / "zkg.json").read_text())
    del record["default_graph"]
    (data / "zkg.json").write_text(json.dumps(record))
    with pytest.raises(StoreError, match=r"loaded by an earlier zkg.*run `zkg load` again"):
        Store.open(data, base_iri=B)
    store = Store.open(data, base_iri=B, create=True)  # what `zkg load` opens
    store.load_sources(
        graph_dir=FIXTURE_PROJECT / "graph",
        ontology_dir=FIXTURE_PROJECT / "ontology",
        bulk_threshold=0 if bulk else 10**6,
    )
    store.close()
    store = Store.open(data, base_iri=B)
    # What a Graph Store client wrote to ?default is kept, where ?default is now: a named graph.
    kept = f"<{union_graph.graph_store_default_iri(B)}>"
    assert store.query(f"ASK {{ GRAPH {kept} {{ <urn:x> <urn:y> <urn:z> }} }}")
    assert store.query("ASK { <urn:x> <urn:y> <urn:z> }")
    assert store.count(ox.DefaultGraph()) == len({(q.subject, q.predicate, q.object) for q in store.quads()})


def test_the_export_carries_the_union_and_the_dump_does_not():
    store = Store.open(base_iri=B)
    both_sources(store)
    dump = store.dump(format="nquads").decode()
    assert dump.count(f"{S} {P} {FIVE}") == 2  # once per graph
    exported = store.dump(format="nquads", with_union=True).decode()
    assert f"{S} {P} {FIVE} .\n" in exported and exported.count(f"{S} {P} {FIVE}") == 3


# -- the differential test: any dataset of overlapping graphs, any writes, the same answers as rdflib's union ----

SUBJECTS = [ox.NamedNode(f"{B}id/s{i}") for i in range(3)]
PREDICATES = [ox.NamedNode(f"{B}def/p{i}") for i in range(2)]
OBJECTS = [*SUBJECTS, *(ox.Literal(str(i), datatype=FIVE.datatype) for i in range(3))]
GRAPHS = [ox.NamedNode(f"{B}graph/g{i}") for i in range(3)]

triples = st.tuples(st.sampled_from(SUBJECTS), st.sampled_from(PREDICATES), st.sampled_from(OBJECTS))
#: A write: add a triple to a graph, remove it from one, remove it from every graph, or revert.
writes = st.one_of(
    st.tuples(st.just("add"), triples, st.sampled_from(GRAPHS)),
    st.tuples(st.just("remove"), triples, st.sampled_from(GRAPHS)),
    st.tuples(st.just("remove everywhere"), triples, st.none()),
    st.tuples(st.just("revert"), st.integers(0, 20), st.none()),
)
#: Queries of every form over the default graph, each compared as a multiset of rows.
_OURS = f"FILTER(?p IN ({PREDICATES[0]}, {PREDICATES[1]}))"
QUERIES = [
    "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }",
    "SELECT ?s ?p ?o { ?s ?p ?o }",
    f"SELECT ?s (COUNT(?o) AS ?n) (SUM(?o) AS ?t) {{ ?s ?p ?o {_OURS} FILTER(isLiteral(?o)) }} GROUP BY ?s",
    f"SELECT ?a ?c {{ ?a {PREDICATES[0]} ?b . ?b {PREDICATES[1]} ?c }}",
    f"SELECT (COUNT(DISTINCT ?s) AS ?n) (COUNT(?s) AS ?m) {{ ?s {PREDICATES[0]} ?o }}",
    "SELECT ?g (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    f"ASK {{ ?s ?p ?o {_OURS} }}",
    f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o {_OURS} }}",
    f"DESCRIBE {SUBJECTS[0]}",
]


def _term(term) -> str:
    """A term of either library as N-Triples text (numbers by value, the way both write them)."""
    if term is None:
        return "UNDEF"
    if isinstance(term, rdflib.Literal) and term.datatype is not None:
        return f'"{term}"^^<{term.datatype}>'
    if isinstance(term, rdflib.Literal):  # escaped as N-Triples (rdflib's n3() writes long quotes)
        return str(ox.Literal(str(term), language=term.language) if term.language else ox.Literal(str(term)))
    if isinstance(term, rdflib.URIRef):
        return term.n3()
    return str(term)


def zkg_answer(store: Store, query: str) -> Counter:
    result = store.query(query)
    if isinstance(result, ox.QueryBoolean):
        return Counter([bool(result)])
    if isinstance(result, ox.QueryTriples):
        return Counter(str(t) for t in result)
    return Counter(tuple(_term(row[v]) for v in result.variables) for row in result)


def _rdflib_term(term):
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    if term.datatype.value == "http://www.w3.org/2001/XMLSchema#string":
        return rdflib.Literal(term.value)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value), normalize=False)


def rdflib_answer(quads: list[ox.Quad], query: str) -> Counter:
    """``query``'s answer by rdflib over ``quads``, its default graph their union (a set)."""
    dataset = rdflib.Dataset(default_union=True)
    for q in quads:
        dataset.graph(_rdflib_term(q.graph_name)).add(tuple(map(_rdflib_term, (q.subject, q.predicate, q.object))))
    result = dataset.query(query)
    if result.type == "ASK":
        return Counter([bool(result.askAnswer)])
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        return Counter(" ".join(_term(t) for t in triple) for triple in result.graph)
    return Counter(tuple(_term(row[v]) for v in result.vars) for row in result)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(initial=st.lists(st.tuples(triples, st.sampled_from(GRAPHS)), max_size=12), steps=st.lists(writes, max_size=6))
def test_every_query_answers_as_over_rdflibs_union_default_graph(initial, steps):
    store = Store.open(base_iri=B)
    curator = Curator(store)
    start = [ox.Quad(*t, g) for t, g in initial]
    if start:
        curator.write(ANN, additions=start)
    done: list[str] = []
    for kind, what, graph in steps:
        try:
            if kind == "add":
                done.append(curator.write(ANN, additions=[ox.Quad(*what, graph)]).id)
            elif kind == "remove":
                done.append(curator.write(ANN, removals=[ox.Quad(*what, graph)]).id)
            elif kind == "remove everywhere":
                done.append(curator.write(ANN, removals=[ox.Quad(*what)]).id)
            elif done:
                curator.revert(done[what % len(done)], Attribution("Bo", message="undo"))
        except (
            Exception
        ) as error:  # a removal of what is not there, a revert of a reverted one: refused, nothing written
            assert type(error).__name__ in ("Conflict", "ChangesetError"), error
    named = list(store.quads())
    # The store's default graph is exactly the set of the named graphs' triples...
    assert set(store.quads(ox.DefaultGraph())) == {union_graph.copy_in(q) for q in named}
    # ...and every query form answers as over rdflib's union default graph of the same quads.
    for query in QUERIES:
        assert zkg_answer(store, query) == rdflib_answer(named, query), query
