"""The write path: accepted, rejected and conflicting changesets, their metadata and log
entries, and reverts that restore the dataset exactly."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from zkg.curation.apply import Conflict, Rejected, apply_changeset, revert
from zkg.curation.changelog import COMMITTED
from zkg.curation.changesets import ChangesetError, changeset_graph
from zkg.curation.history import get_changeset, history, recent_changes

FACT = 'id:luo-wei schema:description "Head of the overseas arm of Zhongguancun Development Group."@en .'


def test_accepted_write_is_visible_with_its_provenance_and_log_entry(store, log, helpers):
    cs = helpers.changeset(add=FACT, by="Ada Curator", message="from an interview")
    outcome = apply_changeset(store, cs, log=log)

    assert outcome.committed and outcome.report.conforms
    own = changeset_graph(helpers.base, cs.id)
    assert bool(store.query(f"ASK {{ GRAPH <{own}> {{ id:luo-wei schema:description ?d }} }}"))
    rows = list(
        store.query(f"""SELECT ?agent ?label ?time ?source ?comment ?graph WHERE {{ GRAPH graph:metadata {{
        <{own}> a prov:Entity, zkg:Changeset ; prov:wasAttributedTo ?agent ; prov:generatedAtTime ?time ;
                prov:wasDerivedFrom ?source ; rdfs:comment ?comment ; zkg:changedGraph ?graph ;
                zkg:quadsAdded 1 ; zkg:quadsRemoved 0 .
        ?agent a prov:Agent ; rdfs:label ?label }} }}""")
    )
    assert len(rows) == 1
    row = rows[0]
    assert row["agent"].value == helpers.base + "id/agent/ada-curator"
    assert row["label"] == ox.Literal("Ada Curator", language="en")
    assert row["source"].value == "https://example.org/source"
    assert row["comment"].value == "from an interview"
    assert row["graph"].value == own
    assert row["time"].datatype.value.endswith("#dateTime")

    entry = log.entry(cs.id)
    assert entry.status == COMMITTED
    assert entry.changeset.additions == outcome.changeset.additions
    assert entry.changeset.agent == row["agent"].value and entry.changeset.source == "https://example.org/source"

    [recent] = recent_changes(store, 5, log=log)
    assert (recent.id, recent.agent_label, recent.added, recent.removed) == (cs.id, "Ada Curator", 1, 0)
    assert [e.id for e in history(store, helpers.base + "id/luo-wei", log=log)] == [cs.id]
    assert history(store, helpers.base + "id/z-park", log=log) == []
    assert get_changeset(store, cs.id, log=log).changeset.additions == outcome.changeset.additions


def test_citation_source_is_recorded_as_text(store, log, helpers):
    cs = helpers.changeset(add=FACT, source="Interview with Luo Wei, Beijing, 2016")
    apply_changeset(store, cs, log=log)
    own = changeset_graph(helpers.base, cs.id)
    assert bool(store.query(f'ASK {{ <{own}> dcterms:bibliographicCitation "Interview with Luo Wei, Beijing, 2016" }}'))
    assert not bool(store.query(f"ASK {{ <{own}> prov:wasDerivedFrom ?x }}"))


def test_invalid_write_is_rejected_with_the_report_and_changes_nothing(store, log, helpers):
    before = store.dump(format="nquads")
    cs = helpers.changeset(add='id:luo-wei org:memberOf id:nowhere . id:luo-wei schema:foundingDate "x" .')
    with pytest.raises(Rejected) as caught:
        apply_changeset(store, cs, log=log)
    rejected = caught.value
    assert rejected.message == "changeset rejected: 1 violation(s)"
    text = rejected.text()
    assert "id:luo-wei" in text and "id:nowhere" in text and "must point to an organisation" in text
    turtle = rejected.turtle()
    report = ox.Store()
    report.load(turtle, format=ox.RdfFormat.TURTLE)
    assert bool(
        report.query(
            "ASK { ?r a <http://www.w3.org/ns/shacl#ValidationReport> ; <http://www.w3.org/ns/shacl#conforms> false }"
        )
    )
    assert store.dump(format="nquads") == before  # byte for byte
    assert log.entries() == []


def test_warnings_do_not_block(store, log, helpers):
    cs = helpers.changeset(add='id:new-co a schema:Organization ; rdfs:label "New Co"@en ; schema:name "New Co"@en .')
    outcome = apply_changeset(store, cs, log=log)
    assert outcome.committed
    assert outcome.report.count("Warning") == 2 and outcome.report.count("Violation") == 0


def test_stale_removals_conflict(store, log, helpers):
    before = store.dump(format="nquads")
    cs = helpers.changeset(remove='id:luo-wei schema:name "Someone Else"@en .')
    with pytest.raises(Conflict) as caught:
        apply_changeset(store, cs, log=log)
    assert len(caught.value.missing) == 1
    # A removal in a named graph that does not hold it conflicts too.
    in_other_graph = helpers.changeset(
        remove=helpers.turtle('id:luo-wei schema:name "Luo Wei"@en .', graph="reference")
    )
    with pytest.raises(Conflict):
        apply_changeset(store, in_other_graph, log=log)
    assert store.dump(format="nquads") == before


def test_concurrent_edits_of_the_same_statement_conflict(store, log, helpers):
    # Two curators both correct the same name from the same state; the second loses with 409.
    old = 'id:luo-wei schema:name "Luo Wei"@en .'
    first = helpers.changeset(remove=old, add='id:luo-wei schema:name "LUO Wei"@en .')
    second = helpers.changeset(remove=old, add='id:luo-wei schema:name "Luo  Wei"@en .')
    apply_changeset(store, first, log=log)
    with pytest.raises(Conflict):
        apply_changeset(store, second, log=log)


def test_removal_without_graph_removes_from_every_graph_holding_it(store, log, helpers):
    store.update(
        'INSERT DATA { GRAPH graph:reference { id:luo-wei schema:description "d"@en } '
        'GRAPH graph:extra { id:luo-wei schema:description "d"@en } }'
    )
    outcome = apply_changeset(store, helpers.changeset(remove='id:luo-wei schema:description "d"@en .'), log=log)
    assert sorted(q.graph_name.value for q in outcome.changeset.removals) == [
        helpers.base + "graph/extra",
        helpers.base + "graph/reference",
    ]
    assert not bool(store.query('ASK { id:luo-wei schema:description "d"@en }'))


def test_additions_already_there_are_dropped_and_a_write_of_nothing_new_is_a_noop(store, log, helpers):
    existing = helpers.turtle('id:luo-wei schema:name "Luo Wei"@en .', graph="china-daily-2016-03-05-p7")
    outcome = apply_changeset(store, helpers.changeset(add=existing), log=log)
    assert outcome.noop and not outcome.committed and len(outcome.dropped_additions) == 1
    assert log.entries() == []


def test_dry_run_writes_nothing(store, log, helpers):
    before = store.dump(format="nquads")
    outcome = apply_changeset(store, helpers.changeset(add=FACT), log=log, dry_run=True)
    assert not outcome.committed and outcome.report.conforms and len(outcome.changeset.additions) == 1
    assert store.dump(format="nquads") == before and log.entries() == []


@pytest.mark.parametrize("graph", ["vocabulary", "shapes"])
def test_vocabulary_and_shapes_cannot_be_changed(store, log, helpers, graph):
    cs = helpers.changeset(add=helpers.turtle('zkg:x rdfs:label "x"@en .', graph=graph))
    with pytest.raises(ChangesetError, match="ontology/"):
        apply_changeset(store, cs, log=log)


def test_changeset_descriptions_are_reserved(store, log, helpers):
    applied = apply_changeset(store, helpers.changeset(add=FACT), log=log).changeset
    forged = helpers.turtle(f'<{applied.graph}> rdfs:comment "forged" .', graph="metadata")
    with pytest.raises(ChangesetError, match="written by zkg only"):
        apply_changeset(store, helpers.changeset(add=forged), log=log)


def test_the_same_changeset_cannot_be_applied_twice(store, log, helpers):
    cs = helpers.changeset(add=FACT)
    apply_changeset(store, cs, log=log)
    with pytest.raises(ChangesetError, match="already in the store"):
        apply_changeset(store, cs, log=log)


# -- reverts ---------------------------------------------------------------------------------------


def test_revert_round_trip_restores_the_dataset_exactly(store, log, helpers):
    before = helpers.data_dump(store)
    cs = helpers.changeset(
        add=FACT + ' id:new-place a schema:Place ; rdfs:label "New place"@en ; schema:name "New place"@en ; '
        "schema:containedInPlace id:beijing .",
        remove=helpers.turtle(
            'id:z-park-area schema:description "The land the park covers: 488 square kilometers '
            'including 16 subparks."@en .'
        ),
    )
    applied = apply_changeset(store, cs, log=log)
    assert helpers.data_dump(store) != before
    undo = revert(store, applied.id, log=log, agent="Another Curator", message="wrong source")
    assert undo.changeset.reverts == applied.id
    assert helpers.data_dump(store) == before  # byte for byte, outside the history
    [latest, first] = recent_changes(store, 10, log=log)
    assert (latest.id, latest.reverts, first.id, first.reverted_by) == (undo.id, applied.id, applied.id, undo.id)
    with pytest.raises(ChangesetError, match="already reverted"):
        revert(store, applied.id, log=log, agent="x")
    # Reverting the revert brings the change back.
    revert(store, undo.id, log=log, agent="x")
    assert bool(store.query("ASK { id:new-place schema:containedInPlace id:beijing }"))


def test_revert_of_blank_nodes_added_and_removed(store, log, helpers):
    before = helpers.data_dump(store)
    fund = (
        'id:new-fund a schema:InvestmentFund, schema:Organization ; rdfs:label "New fund"@en ; '
        'schema:name "New fund"@en ; schema:amount [ a schema:MonetaryAmount ; schema:value 100 ; '
        'schema:currency "CNY" ] .'
    )
    added = apply_changeset(store, helpers.changeset(add=fund), log=log)
    removed_amount = apply_changeset(
        store,
        helpers.changeset(
            remove="id:zhongguancun-stanford-startup-fund schema:amount [ a schema:MonetaryAmount ; "
            'schema:value 912500000 ; schema:currency "USD" ] .',
            add="id:zhongguancun-stanford-startup-fund schema:amount [ a schema:MonetaryAmount ; "
            'schema:value 912500000 ; schema:currency "USD" ; schema:description "as printed: $912.5 million"@en ] .',
        ),
        log=log,
    )
    assert len(removed_amount.changeset.removals) == 4
    revert(store, removed_amount.id, log=log, agent="x")
    revert(store, added.id, log=log, agent="x")
    assert helpers.data_dump(store) == before


def test_revert_conflicts_when_a_later_change_touched_the_same_statements(store, log, helpers):
    first = apply_changeset(store, helpers.changeset(add=FACT), log=log)
    apply_changeset(store, helpers.changeset(remove=FACT), log=log)
    with pytest.raises(Conflict):
        revert(store, first.id, log=log, agent="x")


def test_revert_is_checked_too(store, log, helpers):
    # Adding the organisation's type back would be fine; removing it again while a person
    # points at it is not: the revert of the first change is refused.
    typed = apply_changeset(
        store,
        helpers.changeset(add='id:new-co a schema:Organization ; rdfs:label "New Co"@en ; schema:name "New Co"@en .'),
        log=log,
    )
    apply_changeset(store, helpers.changeset(add="id:luo-wei schema:worksFor id:new-co ."), log=log)
    with pytest.raises(Rejected):
        revert(store, typed.id, log=log, agent="x")


def test_unknown_changeset_cannot_be_reverted(store, log):
    with pytest.raises(ChangesetError, match="no changeset"):
        revert(store, "20260101T000000000000Z-00000000", log=log, agent="x")
