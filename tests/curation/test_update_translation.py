"""zkg.curation.update_translation: SPARQL Update text → the changeset diff, operation by operation.

Two kinds of check:
- expected diffs, written out, for every operation and for zkg's own semantics of the
  default graph (the union: additions go to the changeset's graph, deletions everywhere);
- an oracle: for updates that name their graphs (where zkg's semantics are SPARQL's plain
  ones), the diff applied to the data must give exactly what pyoxigraph's own update
  engine gives (blank nodes compared by canonicalisation). Both against the in-memory
  store and against a RemoteStore on a real Oxigraph engine process.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from zkg.base.errors import QueryError, QueryRefused
from zkg.curation import update_where
from zkg.curation.update_operations import UpdateError, split_operations
from zkg.curation.update_translation import translate_update
from zkg.rdf.prefixes import prefixes
from zkg.rdf.serialize import canonical_quads
from zkg.store.local import Store

BASE = "http://zkg.test/"
P = prefixes(BASE)
DATA = """
GRAPH graph:a { id:x schema:name "Old" ; schema:amount _:m . _:m schema:value 5 ; schema:currency "CNY" .
                id:y schema:name "Why" ; schema:knows id:x }
GRAPH graph:b { id:x schema:name "Old" . id:z schema:name "Zed" }
"""


def nq(text: str) -> set[str]:
    """Expected quads written in Turtle-ish shorthand, resolved: 'id:x schema:name "N" graph:a'."""
    return {str(q) for q in _parse_lines(text)}


def _parse_lines(text: str) -> list[ox.Quad]:
    # One quad a line: subject, predicate, object, graph ("-": the default graph); no spaces inside terms.
    parts = [line.split() for line in text.strip().splitlines() if line.strip()]
    body = " ".join(f"GRAPH {g} {{ {s} {p} {o} }}" if g != "-" else f"{s} {p} {o} ." for s, p, o, g in parts)
    scratch = ox.Store()
    scratch.update(f"INSERT DATA {{ {body} }}", base_iri=BASE, prefixes=P)
    return list(scratch)


def strings(quads) -> set[str]:
    return {str(q) for q in quads}


@pytest.fixture
def store() -> Store:
    memory = Store.open(base_iri=BASE)
    memory.update(f"INSERT DATA {{ {DATA} }}")
    return memory


# -- splitting --------------------------------------------------------------------------------


def test_operations_split_at_semicolons_outside_braces_and_keep_the_prologue():
    ops = split_operations(
        'PREFIX e: <http://e/> INSERT DATA { e:a e:b "x;y" ; e:c 1 } ; BASE <http://b/> DELETE WHERE { ?s ?p "}" } ;'
    )
    assert [[t.text for t in op.tokens][:2] for op in ops] == [["INSERT", "DATA"], ["DELETE", "WHERE"]]
    assert ops[0].prologue == "PREFIX e: <http://e/>"
    assert ops[1].prologue == "PREFIX e: <http://e/> BASE <http://b/>"


# -- each operation -------------------------------------------------------------------------------


def test_insert_data_in_a_named_graph_adds_only_what_is_new(store):
    t = translate_update(store, 'INSERT DATA { GRAPH graph:a { id:x schema:name "Old", "New" } }')
    assert strings(t.additions) == nq('id:x schema:name "New" graph:a')
    assert t.removals == []


def test_insert_data_without_graph_is_a_default_graph_quad_even_when_a_graph_has_it(store):
    # The changeset puts default-graph additions in its own graph: a second source for a fact.
    t = translate_update(store, 'INSERT DATA { id:x schema:name "Old" }')
    assert strings(t.additions) == nq('id:x schema:name "Old" -')


def test_insert_data_blank_nodes_are_fresh(store):
    t = translate_update(store, "INSERT DATA { GRAPH graph:a { id:x schema:amount [ schema:value 5 ] } }")
    assert len(t.additions) == 2
    assert all(isinstance(q.object, ox.BlankNode) for q in t.additions if q.predicate.value.endswith("amount"))


def test_delete_data_in_a_graph_removes_only_what_is_there(store):
    t = translate_update(store, 'DELETE DATA { GRAPH graph:a { id:x schema:name "Old", "Never" } }')
    assert strings(t.removals) == nq('id:x schema:name "Old" graph:a')
    assert t.additions == []


def test_delete_data_without_graph_removes_the_triple_from_every_graph(store):
    t = translate_update(store, 'DELETE DATA { id:x schema:name "Old" }')
    assert strings(t.removals) == nq('id:x schema:name "Old" graph:a\nid:x schema:name "Old" graph:b')


def test_blank_nodes_in_delete_data_are_refused(store):
    with pytest.raises(QueryError, match="3.1.2"):
        translate_update(store, "DELETE DATA { _:b schema:value 5 }")
    with pytest.raises(QueryError):
        translate_update(store, "DELETE DATA { GRAPH graph:a { [] schema:value 5 } }")


def test_delete_insert_where_with_graph_variable(store):
    t = translate_update(
        store,
        'DELETE { GRAPH ?g { ?s schema:name "Old" } } INSERT { GRAPH ?g { ?s schema:name "New" } } '
        'WHERE { GRAPH ?g { ?s schema:name "Old" } }',
    )
    assert strings(t.removals) == nq('id:x schema:name "Old" graph:a\nid:x schema:name "Old" graph:b')
    assert strings(t.additions) == nq('id:x schema:name "New" graph:a\nid:x schema:name "New" graph:b')


def test_the_where_reads_the_union_default_graph(store):
    t = translate_update(store, "INSERT { GRAPH graph:c { ?s a schema:Thing } } WHERE { ?s schema:name ?n }")
    assert strings(t.additions) == nq(
        "id:x a schema:Thing graph:c\nid:y a schema:Thing graph:c\nid:z a schema:Thing graph:c"
    )


def test_delete_where_follows_blank_nodes_of_the_store(store):
    t = translate_update(store, "DELETE WHERE { GRAPH graph:a { id:x schema:amount ?m . ?m ?p ?v } }")
    assert len(t.removals) == 3  # amount link + the two statements of the blank node
    blank = {q.subject for q in t.removals if isinstance(q.subject, ox.BlankNode)}
    assert len(blank) == 1 and {str(q.predicate) for q in t.removals} == {
        "<https://schema.org/amount>",
        "<https://schema.org/value>",
        "<https://schema.org/currency>",
    }


def test_with_sets_the_graph_of_templates_and_where(store):
    t = translate_update(
        store,
        'WITH graph:b DELETE { ?s schema:name ?n } INSERT { ?s schema:name "Renamed" } '
        'WHERE { ?s schema:name ?n FILTER(?n = "Zed") }',
    )
    assert strings(t.removals) == nq('id:z schema:name "Zed" graph:b')
    assert strings(t.additions) == nq('id:z schema:name "Renamed" graph:b')


def test_using_and_using_named_set_the_dataset(store):
    t = translate_update(
        store, "INSERT { GRAPH graph:c { ?s schema:seen true } } USING graph:b WHERE { ?s schema:name ?n }"
    )
    assert strings(t.additions) == nq("id:x schema:seen true graph:c\nid:z schema:seen true graph:c")
    t = translate_update(
        store,
        "INSERT { GRAPH graph:c { ?s schema:in ?g } } USING NAMED graph:a WHERE { GRAPH ?g { ?s schema:knows ?o } }",
    )
    assert strings(t.additions) == nq("id:y schema:in graph:a graph:c")


def test_protocol_dataset_parameters(store):
    t = translate_update(
        store,
        "INSERT { GRAPH graph:c { ?s schema:seen true } } WHERE { ?s schema:name ?n }",
        using_graphs=[BASE + "graph/b"],
    )
    assert strings(t.additions) == nq("id:x schema:seen true graph:c\nid:z schema:seen true graph:c")
    with pytest.raises(UpdateError, match="dataset twice"):
        translate_update(
            store, "WITH graph:a DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", using_named_graphs=[BASE + "graph/b"]
        )


def test_template_blank_nodes_are_fresh_per_solution(store):
    t = translate_update(
        store,
        "INSERT { GRAPH graph:c { ?s schema:mark [ schema:of ?s ] } } WHERE { GRAPH graph:a { ?s schema:name ?n } }",
    )
    marks = [q.object for q in t.additions if q.predicate.value.endswith("mark")]
    assert len(marks) == 2 and len(set(marks)) == 2


def test_clear_and_drop(store):
    t = translate_update(store, "CLEAR GRAPH graph:b")
    assert strings(t.removals) == nq('id:x schema:name "Old" graph:b\nid:z schema:name "Zed" graph:b')
    assert len(translate_update(store, "DROP ALL").removals) == 8
    assert len(translate_update(store, "CLEAR NAMED").removals) == 8
    assert len(translate_update(store, "CLEAR DEFAULT").removals) == 8  # the default graph is the union
    with pytest.raises(UpdateError, match="no such graph"):
        translate_update(store, "DROP GRAPH <http://example.org/nothing>")
    assert translate_update(store, "DROP SILENT GRAPH <http://example.org/nothing>").empty


def test_create(store):
    assert translate_update(store, "CREATE GRAPH graph:new").empty
    with pytest.raises(UpdateError, match="exists already"):
        translate_update(store, "CREATE GRAPH graph:a")
    assert translate_update(store, "CREATE SILENT GRAPH graph:a").empty
    # created in this request: it exists for the next operation
    assert translate_update(store, "CREATE GRAPH graph:new ; DROP GRAPH graph:new").empty


def test_add_copy_move(store):
    # (Oxigraph's parser takes `graph:b` after ADD/COPY/MOVE/TO for the GRAPH keyword: write GRAPH graph:b.)
    t = translate_update(store, "ADD GRAPH graph:b TO GRAPH graph:c")
    assert strings(t.additions) == nq('id:x schema:name "Old" graph:c\nid:z schema:name "Zed" graph:c')
    t = translate_update(store, "COPY GRAPH graph:b TO GRAPH graph:a")
    assert strings(t.additions) == nq('id:z schema:name "Zed" graph:a')
    assert nq('id:x schema:name "Old" graph:a') & strings(t.removals) == set()  # kept: it is in both
    assert len(t.removals) == 5  # graph:a's six quads less the one COPY puts back
    t = translate_update(store, "MOVE GRAPH graph:b TO GRAPH graph:c")
    assert strings(t.removals) == nq('id:x schema:name "Old" graph:b\nid:z schema:name "Zed" graph:b')
    assert strings(t.additions) == nq('id:x schema:name "Old" graph:c\nid:z schema:name "Zed" graph:c')
    assert translate_update(store, "MOVE GRAPH graph:a TO GRAPH graph:a").empty
    with pytest.raises(UpdateError, match="does not exist"):
        translate_update(store, "ADD GRAPH graph:nothing TO GRAPH graph:a")
    assert translate_update(store, "ADD SILENT GRAPH graph:nothing TO GRAPH graph:a").empty


def test_later_operations_see_earlier_ones(store):
    t = translate_update(
        store,
        """
        INSERT DATA { GRAPH graph:c { id:w schema:name "Dub" } } ;
        INSERT { GRAPH graph:d { ?s a schema:Named } } WHERE { GRAPH graph:c { ?s schema:name ?n } } ;
        DELETE WHERE { GRAPH graph:b { id:z ?p ?o } } ;
        INSERT { GRAPH graph:d { ?s schema:stillNamed true } } WHERE { GRAPH graph:b { ?s schema:name ?n } }""",
    )
    assert strings(t.additions) == nq(
        'id:w schema:name "Dub" graph:c\nid:w a schema:Named graph:d\nid:x schema:stillNamed true graph:d'
    )
    assert strings(t.removals) == nq('id:z schema:name "Zed" graph:b')


def test_later_operations_see_earlier_ones_through_the_union(store):
    t = translate_update(
        store,
        'CLEAR ALL ; INSERT DATA { GRAPH graph:c { id:w schema:name "Dub" } } ; '
        "INSERT { GRAPH graph:d { ?s a schema:Named } } WHERE { ?s schema:name ?n }",
    )
    assert strings(t.additions) == nq('id:w schema:name "Dub" graph:c\nid:w a schema:Named graph:d')
    assert len(t.removals) == 8


def test_changes_that_cancel_out_leave_nothing(store):
    assert translate_update(
        store,
        'INSERT DATA { GRAPH graph:c { id:q schema:name "Q" } } ; '
        'DELETE DATA { GRAPH graph:c { id:q schema:name "Q" } }',
    ).empty
    assert translate_update(
        store,
        'DELETE DATA { GRAPH graph:a { id:x schema:name "Old" } } ; '
        'INSERT DATA { GRAPH graph:a { id:x schema:name "Old" } }',
    ).empty


def test_overlay_limit(store, monkeypatch):
    monkeypatch.setattr(update_where, "OVERLAY_LIMIT", 3)
    with pytest.raises(UpdateError, match="separate requests"):
        translate_update(
            store,
            'DELETE DATA { GRAPH graph:a { id:x schema:name "Old" } } ; '
            "INSERT { GRAPH graph:c { ?s a schema:Thing } } WHERE { ?s ?p ?o }",
        )


def test_refused_and_broken_updates(store):
    with pytest.raises(QueryRefused, match="LOAD"):
        translate_update(store, "LOAD <http://example.org/data.ttl>")
    with pytest.raises(QueryRefused, match="SERVICE"):
        translate_update(store, "INSERT { ?s ?p ?o } WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    with pytest.raises(QueryError, match="line 1, column 7: 'XYZ' is no SPARQL keyword"):
        translate_update(store, "CLEAR XYZ")
    with pytest.raises(QueryError, match="error at 2:18: expected"):  # the engine's, at the user's position
        translate_update(store, "PREFIX ex: <http://example.org/>\nCLEAR GRAPH ex:g ALL")
    with pytest.raises(QueryError, match="empty"):
        translate_update(store, "  ")
    with pytest.raises(QueryError):
        translate_update(store, "SELECT * { ?s ?p ?o }")


def test_the_store_is_never_written(store):
    before = store.dump(format="nquads")
    translate_update(store, 'CLEAR ALL ; INSERT DATA { GRAPH graph:c { id:w schema:name "Dub" } }')
    assert store.dump(format="nquads") == before and store.writes == 1


# -- the oracle: pyoxigraph's own engine --------------------------------------------------------------

ORACLE_UPDATES = [
    'INSERT DATA { GRAPH graph:a { id:x schema:name "New" } }',
    'DELETE DATA { GRAPH graph:a { id:x schema:name "Old" } GRAPH graph:b { id:nobody schema:name "N" } }',
    "DELETE { GRAPH ?g { ?s schema:name ?n } } INSERT { GRAPH ?g { ?s rdfs:label ?n } } WHERE { GRAPH ?g { ?s schema:name ?n } }",
    "DELETE WHERE { GRAPH graph:a { id:x schema:amount ?m . ?m ?p ?v } }",
    "DELETE { GRAPH graph:a { ?m ?p ?v } } WHERE { GRAPH graph:a { ?m schema:value ?x ; ?p ?v } }",
    "WITH graph:b DELETE { ?s ?p ?o } INSERT { ?s schema:seen true } WHERE { ?s ?p ?o }",
    "INSERT { GRAPH graph:c { ?s schema:k [ schema:v ?n ] } } WHERE { GRAPH graph:a { ?s schema:name ?n } }",
    "INSERT { GRAPH graph:c { ?s ?p ?o } } USING graph:a USING graph:b WHERE { ?s ?p ?o FILTER(isIRI(?s)) }",
    "CLEAR GRAPH graph:a",
    "CLEAR SILENT GRAPH graph:nothing",
    "DROP GRAPH graph:b",
    "CLEAR NAMED",
    "DROP ALL",
    "ADD GRAPH graph:a TO GRAPH graph:b",
    "COPY GRAPH graph:a TO GRAPH graph:b",
    "MOVE GRAPH graph:b TO GRAPH graph:c",
    "COPY GRAPH graph:b TO GRAPH graph:b",
    """INSERT DATA { GRAPH graph:c { id:w schema:name "Dub" } } ;
       INSERT { GRAPH graph:d { ?s a schema:Named } } WHERE { GRAPH graph:c { ?s schema:name ?n } } ;
       MOVE GRAPH graph:d TO GRAPH graph:a ;
       DELETE { GRAPH graph:a { ?s ?p ?o } } WHERE { GRAPH graph:a { ?s a schema:Named ; ?p ?o } } ;
       COPY GRAPH graph:c TO GRAPH graph:b""",
    "DROP GRAPH graph:a ; INSERT { GRAPH graph:e { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o } }",
    'PREFIX e: <http://example.org/> BASE <http://example.org/base/> INSERT DATA { GRAPH e:g { <rel> e:p "1" } } ; '
    "INSERT { GRAPH e:h { ?s e:q ?o } } WHERE { GRAPH e:g { ?s e:p ?o } }",
]


def _oracle(initial: list[ox.Quad], update: str) -> list[str]:
    engine = ox.Store()
    engine.extend(initial)
    engine.update(update, base_iri=BASE, prefixes=P)
    return [str(q) for q in canonical_quads(engine)]


def _applied(initial: list[ox.Quad], translation) -> list[str]:
    dataset = ox.Dataset(initial)
    for quad in translation.removals:
        dataset.remove(quad)
    for quad in translation.additions:
        assert not isinstance(quad.graph_name, ox.DefaultGraph)  # these updates name their graphs
        dataset.add(quad)
    return [str(q) for q in canonical_quads(dataset)]


@pytest.mark.parametrize("update", ORACLE_UPDATES)
def test_same_result_as_the_engine_in_memory(store, update):
    initial = list(store.quads())
    assert _applied(initial, translate_update(store, update)) == _oracle(initial, update)


@pytest.fixture(scope="module")
def remote(tmp_path_factory):
    from zkg.store.managed_engine import ManagedEngine
    from zkg.store.remote import RemoteStore

    data = tmp_path_factory.mktemp("translation") / "zkg-data"
    with Store.open(data, base_iri=BASE, create=True) as disk:
        disk.update(f"INSERT DATA {{ {DATA} }}")
        disk._write_own_record({"base_iri": BASE, "files": []})
    with ManagedEngine(data / "store", query_timeout=10) as engine:
        yield RemoteStore(base_iri=BASE, supervisor=engine, timeout=10, data_dir=data)


@pytest.mark.parametrize("update", ORACLE_UPDATES)
def test_same_result_as_the_engine_through_a_remote_store(remote, update):
    initial = list(remote.quads())
    assert len(initial) == 8
    assert _applied(initial, translate_update(remote, update)) == _oracle(initial, update)


def test_clearing_everything_leaves_what_keep_keeps(store):
    keep = lambda quad: quad.graph_name == ox.NamedNode(BASE + "graph/b")  # noqa: E731
    for update in ("CLEAR ALL", "DROP NAMED", "CLEAR DEFAULT"):
        t = translate_update(store, update, keep=keep)
        assert len(t.removals) == 6 and all(q.graph_name == ox.NamedNode(BASE + "graph/a") for q in t.removals)
    # Named explicitly, a graph is cleared whatever keep says: the write path then refuses it.
    assert len(translate_update(store, "CLEAR GRAPH graph:b", keep=keep).removals) == 2


# -- stale corrections: deleting by name what is not there, and inserting ----------------------------

STALE_NAME = 'id:x schema:name "Older"'


@pytest.mark.parametrize(
    "text",
    [
        f'DELETE DATA {{ GRAPH graph:a {{ {STALE_NAME} }} }} ; INSERT DATA {{ GRAPH graph:a {{ id:x schema:name "New" }} }}',
        f'DELETE DATA {{ {STALE_NAME} }} ; INSERT DATA {{ id:x schema:name "New" }}',
        f'INSERT DATA {{ id:x schema:name "New" }} ; DELETE DATA {{ {STALE_NAME} }}',
        f'DELETE {{ {STALE_NAME} }} INSERT {{ id:x schema:name "New" }} WHERE {{}}',
        f'WITH graph:a DELETE {{ {STALE_NAME} }} INSERT {{ id:x schema:name "New" }} WHERE {{ id:x ?p ?o }}',
        f'DELETE DATA {{ {STALE_NAME} }} ; INSERT DATA {{ id:x schema:name "Old" }}',  # an insert of what is there
        'DELETE DATA { GRAPH graph:b { id:y schema:name "Why" } } ; INSERT DATA { id:y schema:name "Y" }',
    ],
    ids=["data", "no graph", "insert first", "template", "with", "insert present", "in another graph"],
)
def test_a_stale_correction_is_told_apart(store, text):
    translation = translate_update(store, text)
    assert translation.stale_correction and translation.stale


@pytest.mark.parametrize(
    "text",
    [
        f"DELETE DATA {{ {STALE_NAME} }}",  # a no-op, as SPARQL says
        'DELETE DATA { GRAPH graph:a { id:x schema:name "Old" } } ; INSERT DATA { GRAPH graph:a { id:x schema:name "New" } }',
        'DELETE { ?s schema:name "Older" } INSERT { ?s schema:name "New" } WHERE { ?s schema:name "Older" }',
        f'DELETE WHERE {{ {STALE_NAME} }} ; INSERT DATA {{ id:x schema:name "New" }}',
        'INSERT DATA { id:x schema:name "New" } ; DELETE DATA { id:x schema:name "New" } ; INSERT DATA { id:q schema:name "Q" }',
        'DELETE DATA { id:x schema:name "Old" } ; DELETE DATA { id:x schema:name "Old" } ; INSERT DATA { id:q schema:name "Q" }',
    ],
    ids=["delete only", "current", "conditional", "delete where", "own insert", "deleted twice"],
)
def test_what_is_not_a_stale_correction(store, text):
    assert not translate_update(store, text).stale_correction


def test_a_prefixed_graph_name_after_copy_is_the_graph_not_the_keyword(store):
    """Oxigraph's parser reads "graph:a" right after COPY as GRAPH then ":a"; the guard writes
    prefixed names out, so the engine reads the graph the SPARQL grammar means."""
    translation = translate_update(store, "COPY graph:a TO graph:c")
    assert {q.graph_name.value for q in translation.additions} == {BASE + "graph/c"}
    assert len(translation.additions) == len(list(store.quads(BASE + "graph/a")))
