"""The one write API, without Flask: :class:`zkg.curation.writer.Curator` on an in-memory store
with its change log in a file, as the CLI and the web use it (they only adapt it)."""

from __future__ import annotations

import threading

import pyoxigraph as ox
import pytest

from tests.support.zkg_testing import TEST_BASE
from zkg.curation.apply import Conflict, Rejected
from zkg.curation.changelog import COMMITTED, ChangeLog
from zkg.curation.changeset_files import Patch, parse_patch
from zkg.curation.changesets import ANY_GRAPH, ChangesetError, changeset_graph
from zkg.curation.history import recent_changes
from zkg.curation.reserved import Reserved
from zkg.curation.writer import Attribution, Curator, NoSuchGraph, graph_quads, graph_store_default

B = TEST_BASE
SOURCE = "https://example.org/interview-2016"
ANN = Attribution("Ann Lee", source=SOURCE, message="from an interview")
FACT = 'id:luo-wei schema:description "Head of the overseas arm."@en .'
PEOPLE = ox.NamedNode("http://example.org/graphs/people")
SCHEMA = "https://schema.org/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"


@pytest.fixture
def log(store, tmp_path) -> ChangeLog:
    return ChangeLog(tmp_path / "changes.rdfp", base_iri=store.base_iri)


@pytest.fixture
def curator(store, log) -> Curator:
    return Curator(store, log)


def person(name: str, graph=PEOPLE, *, label: str | None = None) -> list[ox.Quad]:
    """A person as the shapes want one: a type, a name, a label and a description."""
    node = ox.NamedNode(f"{B}id/{name}")
    return [
        ox.Quad(node, ox.NamedNode(RDF_TYPE), ox.NamedNode(SCHEMA + "Person"), graph),
        ox.Quad(node, ox.NamedNode(SCHEMA + "name"), ox.Literal(label or name.title()), graph),
        ox.Quad(node, ox.NamedNode(RDFS + "label"), ox.Literal(name.title(), language="en"), graph),
        ox.Quad(node, ox.NamedNode(RDFS + "comment"), ox.Literal("A person."), graph),
    ]


# -- write ------------------------------------------------------------------------------------------


def test_write_commits_one_changeset_attributed_and_logged(curator, store, log, helpers):
    outcome = curator.write(ANN, additions=helpers.turtle(FACT))

    assert outcome.committed and outcome.report.conforms
    changeset = outcome.changeset
    assert changeset.agent == B + "id/agent/ann-lee" and changeset.agent_name == "Ann Lee"
    assert (changeset.source, changeset.message) == (SOURCE, "from an interview")
    # A statement written without a graph goes to the changeset's own graph.
    assert [q.graph_name.value for q in changeset.additions] == [changeset_graph(B, changeset.id)]
    assert bool(store.query(f"ASK {{ GRAPH <{changeset.graph}> {{ id:luo-wei schema:description ?d }} }}"))
    assert log.entry(changeset.id).status == COMMITTED
    assert changeset.id in log.path.read_text(encoding="utf-8")
    assert [e.agent_label for e in recent_changes(store, 1, log=log)] == ["Ann Lee"]


def test_a_token_is_its_own_agent_and_not_slugged(curator):
    outcome = curator.write(Attribution.of_token("ann.lee", source=SOURCE), additions=person("dave"))
    assert outcome.changeset.agent == B + "id/agent/ann.lee"


def test_a_dry_run_writes_nothing(curator, store, log, helpers):
    before = store.dump(format="nquads")
    outcome = curator.write(ANN, additions=helpers.turtle(FACT), dry_run=True)
    assert not outcome.committed and len(outcome.changeset.additions) == 1
    assert store.dump(format="nquads") == before and log.entries() == []


def test_a_write_needs_a_source(curator, helpers):
    with pytest.raises(ChangesetError, match="source"):
        curator.write(Attribution("Ann Lee"), additions=helpers.turtle(FACT))


def test_removals_without_a_graph_are_of_every_graph(curator, store):
    other = ox.Quad(ox.NamedNode(f"{B}id/dave"), ox.NamedNode(SCHEMA + "alternateName"), ox.Literal("Dai"))
    in_people = ox.Quad(other.subject, other.predicate, other.object, PEOPLE)
    curator.write(ANN, additions=[*person("dave"), in_people])
    # Without a graph: the triple in every graph holding it (the changeset records which).
    assert curator.write(ANN, removals=[other]).changeset.removals == (in_people,)
    curator.write(ANN, additions=[in_people])
    # The default graph is the union, not a graph of its own to remove the triple from.
    assert curator.write(ANN, removals=[other]).changeset.removals == (in_people,)
    assert not store.query(f"ASK {{ {other.subject} {other.predicate} {other.object} }}")
    curator.write(ANN, additions=[in_people])
    assert all(q.graph_name != ANY_GRAPH for q in curator.write(ANN, removals=[in_people]).changeset.removals)


def test_a_write_breaking_the_shapes_is_rejected_with_the_report(curator, store, log, helpers):
    before = store.dump(format="nquads")
    with pytest.raises(Rejected) as rejected:
        curator.write(ANN, additions=helpers.turtle("id:luo-wei org:memberOf id:nowhere ."))
    assert rejected.value.report.count("Violation") == 1 and "id:nowhere" in rejected.value.text()
    assert store.dump(format="nquads") == before and log.committed() == []


def test_what_only_zkg_writes_is_refused(curator, store, log):
    vocabulary = ox.NamedNode(f"{B}graph/vocabulary")
    term = ox.Quad(ox.NamedNode(f"{B}def/x"), ox.NamedNode(RDFS + "label"), ox.Literal("x"), vocabulary)
    before = store.dump(format="nquads")
    with pytest.raises(Reserved) as refused:
        curator.write(ANN, additions=[term])
    assert refused.value.http_status == 403 and "the vocabulary" in refused.value.message
    with pytest.raises(Reserved):
        curator.apply_update(f"CLEAR GRAPH {vocabulary}", ANN)
    assert store.dump(format="nquads") == before and log.entries() == []


def test_a_stale_removal_is_a_conflict_naming_what_is_gone(curator, store):
    gone = ox.Quad(
        ox.NamedNode(f"{B}id/luo-wei"),
        ox.NamedNode(SCHEMA + "name"),
        ox.Literal("Never"),
        ox.NamedNode(f"{B}graph/china-daily-2016-03-05-p7"),
    )
    with pytest.raises(Conflict) as conflict:
        curator.write(ANN, removals=[gone])
    assert conflict.value.missing == (gone,)


def test_a_patch_fills_in_the_attribution_from_its_headers(curator, store):
    text = (
        f'H source "A talk, 2016" .\nH message "from the patch" .\n'
        f'A <{B}id/dave> <{SCHEMA}alternateName> "Dai" <{PEOPLE.value}> .\n'
    )
    headers, additions, removals = parse_patch(text, base_iri=B)
    outcome = curator.apply_patch(Patch(headers, tuple(additions), tuple(removals)), Attribution("Ann Lee"))
    assert (outcome.changeset.source, outcome.changeset.message) == ("A talk, 2016", "from the patch")
    mine = curator.apply_patch(Patch(headers, (), tuple(additions)), ANN)
    assert (mine.changeset.source, mine.changeset.message) == (SOURCE, "from an interview")


# -- SPARQL Update ------------------------------------------------------------------------------------


def test_an_update_is_one_changeset_with_a_line_per_operation(curator, store):
    curator.write(ANN, additions=person("dave"))
    done = curator.apply_update(
        'DELETE { GRAPH ?g { ?s schema:name "Dave" } } '
        'INSERT { GRAPH ?g { ?s schema:name "David" } } '
        'WHERE { GRAPH ?g { ?s schema:name "Dave" } } ; '
        'INSERT DATA { id:dave schema:alternateName "Dai" }',
        ANN,
    )
    assert done.operations == ("DELETE INSERT WHERE: 1 solution(s), 1 removed, 1 added", "INSERT DATA: 1 added")
    changeset = done.outcome.changeset
    assert done.outcome.committed and len(changeset.removals) == 1 and len(changeset.additions) == 2
    assert {q.graph_name.value for q in changeset.additions} == {PEOPLE.value, changeset.graph}
    assert done.summary == "\n".join(done.operations)


def test_an_update_changing_nothing_has_no_changeset(curator, log):
    done = curator.apply_update('DELETE DATA { id:nobody schema:name "Nobody" }', ANN)
    assert done.outcome is None and done.operations == ("DELETE DATA: 0 removed",)
    assert log.entries() == []


def test_a_stale_correction_is_a_conflict(curator, store):
    before = store.dump(format="nquads")
    with pytest.raises(Conflict, match="correction of a value someone else has changed"):
        curator.apply_update(
            'DELETE DATA { id:luo-wei schema:name "Never" } ; INSERT DATA { id:luo-wei schema:name "Luo" }', ANN
        )
    assert store.dump(format="nquads") == before


def test_a_clear_of_everything_leaves_what_only_zkg_writes(curator, store):
    # A dry run: the changeset is worked out (and checked) but not written.
    done = curator.apply_update("CLEAR ALL", ANN, dry_run=True)
    closed = {f"{B}graph/vocabulary", f"{B}graph/shapes"}
    removed = {q.graph_name.value for q in done.outcome.changeset.removals if isinstance(q.graph_name, ox.NamedNode)}
    assert removed and not removed & closed and not done.outcome.committed


# -- graphs ---------------------------------------------------------------------------------------------


def test_replace_creates_replaces_and_is_idempotent(curator, store):
    created = curator.replace_graph(PEOPLE, person("dave"), ANN)
    assert created.created and created.outcome.committed
    assert sorted(map(str, graph_quads(store, PEOPLE))) == sorted(map(str, person("dave")))

    assert curator.replace_graph(PEOPLE, person("dave"), ANN).outcome is None  # the same content: nothing to do
    replaced = curator.replace_graph(PEOPLE, person("dave", label="David"), ANN)
    assert not replaced.created
    assert [q.object.value for q in replaced.outcome.changeset.removals] == ["Dave"]
    assert [q.object.value for q in replaced.outcome.changeset.additions] == ["David"]


def test_add_to_graph_leaves_out_what_it_holds(curator, store):
    curator.add_to_graph(PEOPLE, person("dave"), ANN)
    merged = curator.add_to_graph(PEOPLE, [*person("dave"), *person("erin")], ANN)
    assert not merged.created and len(merged.outcome.changeset.additions) == 4
    assert len(graph_quads(store, PEOPLE)) == 8


def test_delete_graph(curator, store):
    curator.replace_graph(PEOPLE, person("dave"), ANN)
    deleted = curator.delete_graph(PEOPLE, ANN)
    assert deleted.outcome.committed and len(deleted.outcome.changeset.removals) == 4
    assert graph_quads(store, PEOPLE) == []
    with pytest.raises(NoSuchGraph, match="there is no graph") as missing:
        curator.delete_graph(PEOPLE, ANN)
    assert missing.value.http_status == 404
    assert curator.delete_graph(ox.DefaultGraph(), ANN).outcome is None  # the default graph always exists


def test_a_graph_write_asks_its_precondition_under_the_lock_first(curator, log, store):
    class Refused(Exception):
        pass

    seen, others = [], []

    def other_writer(done: threading.Event) -> None:
        with log.writing():
            done.set()

    def precondition(exists: bool) -> None:
        # Another writer waits meanwhile: for the others, the check and the write are one step.
        done = threading.Event()
        others.append(threading.Thread(target=other_writer, args=(done,)))
        others[-1].start()
        seen.append((exists, done.wait(0.3)))
        raise Refused

    with pytest.raises(Refused):
        curator.replace_graph(PEOPLE, person("dave"), ANN, precondition=precondition)
    curator.replace_graph(PEOPLE, person("dave"), ANN)
    with pytest.raises(Refused):
        curator.delete_graph(PEOPLE, ANN, precondition=precondition)
    for thread in others:
        thread.join(5)
        assert not thread.is_alive()  # it got the lock once the curator let it go
    assert seen == [(False, False), (True, False)]
    assert len(graph_quads(store, PEOPLE)) == 4


def test_a_graph_write_to_the_default_graph_is_to_a_named_graph_of_its_own(curator, store):
    """The Graph Store's ``?default``: a graph of its own (the dataset's default graph is the
    union, which no write can make hold exactly a document), in the union like any graph."""
    quads = person("dave", ox.DefaultGraph())
    assert curator.add_to_graph(ox.DefaultGraph(), quads, ANN).outcome.committed
    assert len(graph_quads(store, ox.DefaultGraph())) == 4
    assert store.count(graph_store_default(B)) == 4 and store.query(f"ASK {{ <{B}id/dave> a schema:Person }}")


# -- revert ---------------------------------------------------------------------------------------------


def test_revert_restores_the_data_once(curator, store, helpers):
    before = helpers.data_dump(store)
    written = curator.write(ANN, additions=helpers.turtle(FACT))
    undone = curator.revert(written.id, Attribution("Bo Reviewer", message="unsourced"))
    # Issue 16: the revert's own reason, and no source borrowed from the changeset it undoes.
    assert undone.changeset.reverts == written.id and undone.changeset.source == ""
    assert undone.changeset.agent == B + "id/agent/bo-reviewer" and undone.changeset.message == "unsourced"
    assert helpers.data_dump(store) == before
    with pytest.raises(ChangesetError, match="already reverted"):
        curator.revert(written.id, Attribution("Bo Reviewer", message="again"))
    with pytest.raises(ChangesetError, match="no changeset"):
        curator.revert("20260101T000000000000Z-00000000", Attribution("Bo Reviewer", message="why not"))


# -- a revert's attribution (issue 16: its curator, its own reason, no borrowed source) -------------------


def _description(store, changeset_id: str) -> dict[str, set[str]]:
    """The changeset's description in the metadata graph: {predicate: {object values}}."""
    rows = store.query(
        f"SELECT ?p ?o WHERE {{ GRAPH <{B}graph/metadata> {{ <{changeset_graph(B, changeset_id)}> ?p ?o }} }}"
    )
    found: dict[str, set[str]] = {}
    for row in rows:
        found.setdefault(row["p"].value, set()).add(row["o"].value)
    return found


def test_a_revert_needs_a_reason_and_borrows_no_source(curator, store, helpers, log):
    written = curator.write(ANN, additions=helpers.turtle(FACT))
    before = store.dump(format="nquads")
    for silent in (Attribution("Bo Reviewer"), Attribution("Bo Reviewer", message="   ")):
        with pytest.raises(ChangesetError, match="give the reason for reverting"):
            curator.revert(written.id, silent)
    assert store.dump(format="nquads") == before and [e.id for e in log.committed()] == [written.id]
    # A dry run records nothing, so it may go without: what a confirmation page shows first.
    dry = curator.revert(written.id, Attribution("Bo Reviewer"), dry_run=True)
    assert not dry.committed and dry.changeset.removals and store.dump(format="nquads") == before

    undone = curator.revert(written.id, Attribution.of_token("bo", message="the interview does not say so"))
    said = _description(store, undone.id)
    assert said[PROV + "wasAttributedTo"] == {B + "id/agent/bo"}
    assert said[RDFS + "comment"] == {"the interview does not say so"}
    assert said[B + "def/reverts"] == {changeset_graph(B, written.id)}
    assert PROV + "wasDerivedFrom" not in said and DCTERMS + "bibliographicCitation" not in said
    logged = log.entry(undone.id).changeset  # the change log agrees: no H source
    assert (logged.source, logged.message, logged.reverts) == ("", "the interview does not say so", written.id)
    entry = recent_changes(store, 1, log=log)[0]
    assert (entry.id, entry.source, entry.message, entry.reverts) == (undone.id, "", logged.message, written.id)


def test_a_revert_records_the_source_its_curator_gives(curator, store, helpers):
    written = curator.write(ANN, additions=helpers.turtle(FACT))
    undone = curator.revert(
        written.id, Attribution("Bo Reviewer", source="Z-Park annual report 2024, p. 3", message="he left in 2020")
    )
    said = _description(store, undone.id)
    assert said[DCTERMS + "bibliographicCitation"] == {"Z-Park annual report 2024, p. 3"}
    assert PROV + "wasDerivedFrom" not in said and said[RDFS + "comment"] == {"he left in 2020"}


def test_a_sourceless_revert_conforms_to_the_shapes(curator, store, helpers):
    # No shape asks a changeset for a source (ontology/shapes/provenance.ttl describes source
    # graphs, not changesets): the whole graph still conforms with a revert that cites none.
    from zkg.validation.shacl import validate

    written = curator.write(ANN, additions=helpers.turtle(FACT))
    undone = curator.revert(written.id, Attribution("Bo Reviewer", message="unsourced"))
    assert undone.committed and not undone.report.count("Violation")
    assert validate(store).conforms


def test_the_default_log_is_the_stores_own(store):
    assert Curator(store).log is ChangeLog.for_store(store)
