import hashlib
import json

import pyoxigraph as ox
import pytest

from tests.support.zkg_testing import FIXTURE_PROJECT, TEST_BASE
from zkg.base.errors import DataError, QueryError, StoreError
from zkg.store.local import Store

OTHER_BASE = "https://zkg.example.org/"


def load(store, project=FIXTURE_PROJECT, **options):
    return store.load_sources(graph_dir=project / "graph", ontology_dir=project / "ontology", **options)


def iri(base, path):
    return ox.NamedNode(base + path)


def test_load_resolves_relative_iris_against_the_base(fixture_store):
    graphs = [g.value for g in fixture_store.named_graphs()]
    assert graphs == [TEST_BASE + "graph/" + name for name in ("example-source", "metadata", "shapes", "vocabulary")]
    alice = ox.Quad(
        iri(TEST_BASE, "id/alice"),
        ox.NamedNode("https://schema.org/knows"),
        iri(TEST_BASE, "id/bob"),
        iri(TEST_BASE, "graph/example-source"),
    )
    assert alice in fixture_store.oxigraph
    assert fixture_store.count(TEST_BASE + "graph/vocabulary") > 0
    assert bool(fixture_store.query("ASK { GRAPH graph:shapes { zkg:PersonShape a sh:NodeShape } }"))
    assert bool(fixture_store.query("ASK { GRAPH graph:vocabulary { zkg:Researcher rdfs:subClassOf schema:Person } }"))


def test_two_bases_give_two_sets_of_iris():
    first, second = Store.open(base_iri=TEST_BASE), Store.open(base_iri=OTHER_BASE)
    load(first), load(second)
    assert ox.NamedNode(TEST_BASE + "id/alice") in {q.subject for q in first.quads()}
    assert ox.NamedNode(OTHER_BASE + "id/alice") in {q.subject for q in second.quads()}
    assert not any(TEST_BASE in str(q) for q in second.quads())
    assert first.count() == second.count()


def test_load_report(fixture_store):
    report = load(fixture_store)
    assert [f["path"].rsplit("/", 1)[-1] for f in report.files] == [
        "metadata.trig",
        "example-source.trig",
        "vocabulary.ttl",
        "shapes.ttl",
    ]
    source = FIXTURE_PROJECT / "graph" / "sources" / "example-source.trig"
    assert report.files[1]["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert report.total == sum(report.graphs.values()) == fixture_store.count()
    assert not report.bulk and report.removed_graphs == []
    text = "\n".join(report.lines())
    assert "example-source.trig" in text and f"total: {report.total} quads" in text


def test_load_is_idempotent(fixture_store):
    before = fixture_store.dump(format="nquads")
    load(fixture_store)
    assert fixture_store.dump(format="nquads") == before
    assert fixture_store.dump(format="trig") == fixture_store.dump(format="trig")


def test_a_broken_file_leaves_the_store_unchanged(project_copy):
    store = Store.open(base_iri=TEST_BASE)
    load(store, project_copy)
    before = store.dump(format="nquads")
    # A valid edit in one file and a syntax error in another: neither may land.
    source = project_copy / "graph" / "sources" / "example-source.trig"
    source.write_text(source.read_text().replace('"Alice"@en', '"Alicia"@en'))
    broken = project_copy / "ontology" / "vocabulary.ttl"
    broken.write_text(broken.read_text() + '\nzkg:oops rdfs:label "unterminated .\n')
    with pytest.raises(DataError) as caught:
        load(store, project_copy)
    line_count = broken.read_text().count("\n")
    assert f"vocabulary.ttl:{line_count}:" in caught.value.message
    assert caught.value.line == line_count and caught.value.column is not None
    assert store.dump(format="nquads") == before


def test_bad_iri_and_missing_folders_are_data_errors(project_copy, tmp_path):
    store = Store.open(base_iri=TEST_BASE)
    bad = project_copy / "graph" / "bad.trig"
    bad.write_text("<graph/x> {\n  <id/a b> <p> <o> .\n}\n")
    with pytest.raises(DataError, match=r"bad\.trig:2:\d+: "):
        load(store, project_copy)
    with pytest.raises(DataError, match="no graph directory"):
        store.load_sources(graph_dir=tmp_path / "missing", ontology_dir=project_copy / "ontology")
    assert store.count() == 0


def test_a_refused_literal_inside_a_triple_term_is_a_data_error(project_copy):
    # It has no line of its own to name (only literals written out are looked for): the file, then.
    (project_copy / "graph" / "quoted.trig").write_text(
        '<graph/q> { <id/a> <def/p> <<( <id/b> <def/q> "twelve"^^<http://www.w3.org/2001/XMLSchema#integer> )>> . }\n'
    )
    with pytest.raises(DataError, match=r'quoted\.trig: "twelve" is not a valid xsd:integer'):
        load(Store.open(base_iri=TEST_BASE), project_copy)


def test_triples_outside_a_named_graph_are_rejected(project_copy):
    (project_copy / "graph" / "loose.trig").write_text("<id/a> <def/p> <id/b> .\n")
    with pytest.raises(DataError, match=r"loose\.trig: a triple outside any GRAPH block"):
        load(Store.open(base_iri=TEST_BASE), project_copy)


def test_reload_leaves_other_graphs_alone(fixture_store):
    fixture_store.update('INSERT DATA { GRAPH graph:changeset-1 { id:alice schema:jobTitle "Curator" } }')
    changeset = sorted(map(str, fixture_store.quads(TEST_BASE + "graph/changeset-1")))
    load(fixture_store)
    assert sorted(map(str, fixture_store.quads(TEST_BASE + "graph/changeset-1"))) == changeset
    # The default graph is the union again, the kept graph's statement in it once.
    assert fixture_store.query('ASK { id:alice schema:jobTitle "Curator" }')
    union = {(q.subject, q.predicate, q.object) for q in fixture_store.quads()}
    assert fixture_store.count(ox.DefaultGraph()) == len(union)


def test_reload_replaces_the_graphs_the_files_define(project_copy):
    store = Store.open(base_iri=TEST_BASE)
    load(store, project_copy)
    source = project_copy / "graph" / "sources" / "example-source.trig"
    source.write_text(source.read_text().replace('"Alice"@en', '"Alicia"@en'))
    load(store, project_copy)
    names = {str(r["n"]) for r in store.query("SELECT ?n { id:alice schema:name ?n }")}
    assert names == {'"Alicia"@en', '"爱丽丝"@zh'}


def test_a_graph_whose_file_is_gone_is_dropped_on_reload(project_copy):
    store = Store.open(base_iri=TEST_BASE)
    load(store, project_copy)
    (project_copy / "graph" / "metadata.trig").unlink()
    report = load(store, project_copy)
    assert report.removed_graphs == [TEST_BASE + "graph/metadata"]
    assert TEST_BASE + "graph/metadata" not in {g.value for g in store.named_graphs()}


def test_bulk_path_gives_the_same_store(fixture_store):
    seen = []
    bulk = Store.open(base_iri=TEST_BASE)
    report = load(bulk, bulk_threshold=3, progress=seen.append)
    assert report.bulk and seen and seen[-1] == report.total
    assert bulk.dump(format="nquads") == fixture_store.dump(format="nquads")
    load(bulk, bulk_threshold=3)  # replaces, does not duplicate
    assert bulk.dump(format="nquads") == fixture_store.dump(format="nquads")


def test_export_is_deterministic_and_survives_a_reload(fixture_store, tmp_path):
    trig = fixture_store.dump(format="trig")
    assert trig == fixture_store.dump(format="trig")
    fresh = Store.open(base_iri=TEST_BASE)
    load(fresh)
    assert fresh.dump(format="trig") == trig
    assert b"_:c14n" in trig  # blank nodes got canonical labels
    # The export is valid TriG holding exactly the store's dataset.
    reread = Store.open(base_iri=TEST_BASE)
    reread.oxigraph.load(trig, format=ox.RdfFormat.TRIG)
    assert reread.dump(format="nquads") == fixture_store.dump(format="nquads")


def test_query_predeclares_prefixes_and_uses_the_union(fixture_store):
    rows = list(fixture_store.query("SELECT ?name { id:bob schema:name ?name }"))
    assert [str(r["name"]) for r in rows] == ['"Bob"@en']
    # The default graph is the union (kept by the store, never switched off), or one chosen.
    assert fixture_store.query("ASK { id:bob ?p ?o }")
    assert fixture_store.query("ASK { id:bob ?p ?o }", default_graph=TEST_BASE + "graph/example-source")
    assert not fixture_store.query("ASK { id:bob ?p ?o }", default_graph=[TEST_BASE + "graph/metadata"])
    assert not fixture_store.query("ASK { GRAPH ?g { id:bob ?p ?o } }", named_graphs=[TEST_BASE + "graph/metadata"])
    # Relative IRIs resolve against the base IRI.
    assert fixture_store.query("ASK { <id/bob> a <def/Researcher> }")
    # Substitutions bind variables safely.
    rows = fixture_store.query(
        "SELECT ?who ?n { ?who schema:name ?n }", substitutions={"who": ox.NamedNode(TEST_BASE + "id/bob")}
    )
    assert len(list(rows)) == 1


def test_bad_queries_and_updates_raise_query_errors(fixture_store):
    with pytest.raises(QueryError, match="SPARQL syntax error"):
        fixture_store.query("SELECT ?x WHERE { ?x }")
    with pytest.raises(QueryError, match="SPARQL syntax error"):
        fixture_store.update("INSERT NOTHING")


def test_update_is_atomic(fixture_store):
    before = fixture_store.count()
    with pytest.raises(QueryError):
        fixture_store.update("INSERT DATA { GRAPH graph:x { id:a zkg:p 1 } } ; DROP GRAPH graph:does-not-exist")
    assert fixture_store.count() == before


def test_counts_graphs_and_quads(fixture_store):
    total = fixture_store.count()
    assert total == sum(fixture_store.count(g) for g in fixture_store.named_graphs())
    assert total == len(list(fixture_store.quads()))
    assert fixture_store.count(TEST_BASE + "graph/unknown") == 0


def test_union_graph_for_validation(fixture_store):
    graphs = fixture_store.union_graph_for_validation()
    assert len(graphs.shapes) == fixture_store.count(TEST_BASE + "graph/shapes")
    assert len(graphs.ontology) == fixture_store.count(TEST_BASE + "graph/vocabulary")
    data_quads = fixture_store.count(TEST_BASE + "graph/example-source") + fixture_store.count(
        TEST_BASE + "graph/metadata"
    )
    assert len(graphs.data) == data_quads


def test_disk_store_records_what_it_loaded(disk_store, settings):
    record = json.loads((settings.data / "zkg.json").read_text())
    assert record["base_iri"] == TEST_BASE and record["loaded_at"]
    assert {f["path"].rsplit("/", 1)[-1] for f in record["files"]} == {
        "metadata.trig",
        "example-source.trig",
        "vocabulary.ttl",
        "shapes.ttl",
    }
    assert all(len(f["sha256"]) == 64 for f in record["files"])
    assert (settings.data / "store").is_dir()
    assert disk_store.load_record == record


def test_disk_store_reopens_with_the_same_data(disk_store, settings):
    dump = disk_store.dump(format="nquads")
    disk_store.close()
    with Store.open(settings.data, base_iri=TEST_BASE) as reopened:
        assert reopened.dump(format="nquads") == dump


def test_open_errors(disk_store, settings, tmp_path):
    with pytest.raises(StoreError, match=r"^no store at .*missing: run `zkg load` first$"):
        Store.open(tmp_path / "missing", base_iri=TEST_BASE)
    with pytest.raises(StoreError, match="is in use by another process"):
        Store.open(settings.data, base_iri=TEST_BASE)
    disk_store.close()
    with pytest.raises(StoreError) as caught:
        Store.open(settings.data, base_iri=OTHER_BASE)
    assert caught.value.message == (
        f"store at {settings.data} was loaded with base IRI {TEST_BASE}; "
        f"run `zkg load --base-iri {OTHER_BASE}` into a new data directory"
    )
    with pytest.raises(StoreError, match="closed"):
        disk_store.count()


def test_real_data_loads(store):
    """The project's own graph/ and ontology/ folders load (skipped until they exist)."""
    graphs = {g.value for g in store.named_graphs()}
    assert TEST_BASE + "graph/vocabulary" in graphs
    assert len(graphs) >= 2 and store.count() > 0
    assert store.dump(format="trig") == store.dump(format="trig")


def test_a_query_naming_its_dataset_is_not_given_the_union(fixture_store):
    assert not fixture_store.query("ASK FROM graph:metadata { id:bob ?p ?o }")
    assert fixture_store.query("ASK FROM graph:example-source { id:bob ?p ?o }")
    assert list(fixture_store.query("SELECT * FROM NAMED graph:metadata { ?s ?p ?o }")) == []
    # The word "from" elsewhere (string, variable, IRI, comment) leaves the union on.
    assert fixture_store.query('ASK { id:bob ?from ?o FILTER(?o != "from") } # from')
