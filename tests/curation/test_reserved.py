"""What only zkg writes (zkg.curation.reserved): the records of changesets and of their agents, and each
changeset's own graph. A curator's changeset touching them is refused (Reserved, HTTP 403)
whichever way it names them; zkg's own writes (a changeset's description, a revert) still
work, and history shows the true author."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from zkg.curation.apply import apply_changeset, revert
from zkg.curation.changesets import Changeset, changeset_graph
from zkg.curation.history import get_changeset, recent_changes
from zkg.curation.reserved import Reserved

FACT = 'id:luo-wei schema:description "Head of the overseas arm."@en .'
ORCID = "https://orcid.org/0000-0002-1825-0097"


@pytest.fixture
def alice_wrote(store, log, helpers):
    """A changeset by "Alice Curator" (her agent record is in the metadata graph)."""
    return apply_changeset(store, helpers.changeset(add=FACT, by="Alice Curator"), log=log)


def agent(helpers, name: str = "alice-curator") -> str:
    return f"<{helpers.base}id/agent/{name}>"


@pytest.mark.parametrize(
    "add, remove",
    [
        ('{agent} rdfs:label "Mallory"@en .', ""),  # a second name, in the metadata graph
        ('{agent} rdfs:label "Mallory"@en .', '{agent} rdfs:label "Alice Curator"@en .'),  # renamed
        ("", "{agent} a prov:Agent ."),
        ("{changeset} prov:wasAttributedTo {other} .", ""),
        ("<https://example.org/x> zkg:reverts {changeset} .", ""),  # would mark Alice's change reverted
        ("{other} prov:actedOnBehalfOf {agent} .", ""),
    ],
    ids=["second-label", "relabel", "untype", "reattribute", "forged-revert", "points-at-agent"],
)
def test_the_metadata_records_of_changesets_and_agents_are_zkgs(store, log, helpers, alice_wrote, add, remove):
    terms = {
        "agent": agent(helpers),
        "other": agent(helpers, "mallory"),
        "changeset": f"<{alice_wrote.changeset.graph}>",
    }
    before = store.dump(format="nquads")
    forged = helpers.changeset(
        add=helpers.turtle(add.format(**terms), graph="metadata") if add else [],
        remove=helpers.turtle(remove.format(**terms), graph="metadata") if remove else [],
        by="Mallory",
    )
    with pytest.raises(Reserved, match="written by zkg only") as refused:
        apply_changeset(store, forged, log=log)
    assert refused.value.http_status == 403
    assert store.dump(format="nquads") == before
    assert recent_changes(store, 5, log=log)[0].agent_label == "Alice Curator"


@pytest.mark.parametrize("graph", [None, "reference"], ids=["the changeset's own graph", "another graph"])
def test_statements_about_agents_are_refused_in_any_graph(store, log, helpers, alice_wrote, graph):
    forged = helpers.turtle(f'{agent(helpers)} rdfs:label "Mallory"@en .', graph=graph)
    with pytest.raises(Reserved, match="written by zkg only"):
        apply_changeset(store, helpers.changeset(add=forged, by="Mallory"), log=log)


def test_a_graphless_removal_of_an_agent_record_is_refused(store, log, helpers, alice_wrote):
    # Without a graph, a removal means "from every graph holding it": the metadata graph too.
    with pytest.raises(Reserved):
        apply_changeset(store, helpers.changeset(remove=f'{agent(helpers)} rdfs:label "Alice Curator"@en .'), log=log)
    changeset = f"<{alice_wrote.changeset.graph}>"
    with pytest.raises(Reserved):
        apply_changeset(store, helpers.changeset(remove=f"{changeset} a prov:Entity ."), log=log)


def test_agents_given_by_iri_are_protected_in_the_metadata_graph(store, log, helpers):
    apply_changeset(store, helpers.changeset(add=FACT, by=ORCID), log=log)
    assert bool(store.query(f"ASK {{ GRAPH graph:metadata {{ <{ORCID}> a prov:Agent }} }}"))
    forged = helpers.turtle(f'<{ORCID}> rdfs:label "Mallory"@en .', graph="metadata")
    with pytest.raises(Reserved):
        apply_changeset(store, helpers.changeset(add=forged, by="Mallory"), log=log)


def test_only_its_changeset_adds_to_a_changesets_graph(store, log, helpers, alice_wrote):
    alices_graph = alice_wrote.changeset.graph
    planted = [
        ox.Quad(
            ox.NamedNode(helpers.base + "id/luo-wei"),
            ox.NamedNode("https://schema.org/jobTitle"),
            ox.Literal("Chairman", language="en"),
            ox.NamedNode(alices_graph),
        )
    ]
    with pytest.raises(Reserved, match="its own changeset"):
        apply_changeset(store, helpers.changeset(add=planted, by="Mallory"), log=log)
    # Removing from it is correcting a fact, like any removal; a revert puts it back there.
    fact = [ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(alices_graph)) for q in helpers.turtle(FACT)]
    removal = helpers.changeset(remove=fact, by="Bob")
    removed = apply_changeset(store, removal, log=log)
    assert removed.changeset.changed_graphs() == [alices_graph]
    revert(store, removed.id, log=log, agent="Reviewer")
    assert bool(store.query(f"ASK {{ GRAPH <{alices_graph}> {{ id:luo-wei schema:description ?d }} }}"))


def test_zkgs_own_writes_still_describe_changesets_and_agents(store, log, helpers, alice_wrote):
    again = apply_changeset(
        store, helpers.changeset(add='id:luo-wei schema:jobTitle "Chairman"@en .', by="Alice Curator"), log=log
    )
    labels = list(store.query(f"SELECT ?l WHERE {{ GRAPH graph:metadata {{ {agent(helpers)} rdfs:label ?l }} }}"))
    assert [r["l"].value for r in labels] == ["Alice Curator"]  # recorded once
    undone = revert(store, again.id, log=log, agent="Bob Reviewer")
    entry = get_changeset(store, undone.id, log=log)
    assert (entry.agent_label, entry.reverts) == ("Bob Reviewer", again.id)


def test_history_reads_agents_names_from_the_metadata_graph_only(store, log, helpers):
    # A name planted around the write path (an older zkg, the engine written directly) in a
    # data graph, even before the curator's first change, does not pass for the author.
    store.update(f'INSERT DATA {{ GRAPH graph:reference {{ {agent(helpers)} rdfs:label "Mallory"@en }} }}')
    alice = apply_changeset(store, helpers.changeset(add=FACT, by="Alice Curator"), log=log)
    assert [e.agent_label for e in recent_changes(store, 5, log=log)] == ["Alice Curator"]
    assert get_changeset(store, alice.id, log=log).agent_label == "Alice Curator"


def test_a_clear_of_everything_leaves_the_history(store, log, helpers, alice_wrote):
    apply_changeset(store, helpers.changeset(add=FACT, by=ORCID), log=log)
    cleared = apply_changeset(store, helpers.update_changeset(store, "CLEAR ALL", by="Bob"), log=log)
    assert cleared.committed
    for iri in (alice_wrote.changeset.graph, helpers.base + "id/agent/alice-curator", ORCID):
        assert bool(store.query(f"ASK {{ GRAPH graph:metadata {{ <{iri}> ?p ?o }} }}")), iri
    assert recent_changes(store, 5, log=log)[1].agent_label == "0000-0002-1825-0097"


def test_a_changeset_id_of_the_future_is_no_way_in(store, log, helpers):
    future = changeset_graph(helpers.base, "20991231T235959000000Z-00000000")
    planted = Changeset.new(
        base_iri=helpers.base,
        agent="Mallory",
        source="x",
        additions=[
            ox.Quad(
                ox.NamedNode(helpers.base + "id/luo-wei"),
                ox.NamedNode("https://schema.org/jobTitle"),
                ox.Literal("Chairman"),
                ox.NamedNode(future),
            )
        ],
    )
    with pytest.raises(Reserved):
        apply_changeset(store, planted, log=log)
