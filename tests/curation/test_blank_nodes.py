"""Blank nodes of the store in changesets (zkg.curation.blank_nodes): whatever node a WHERE matched is
the node written; statements with blank nodes can be removed whatever else fits their
pattern; every such change reverts to an isomorphic dataset with the same number of quads in
each graph. The startup fund's amount (a blank node of the China Daily source graph) is the
real case; a small graph of look-alike blank nodes covers the rest."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from zkg.curation.apply import apply_changeset, revert
from zkg.curation.changeset_files import parse_patch
from zkg.curation.changesets import Changeset, ChangesetError
from zkg.validation.shacl import validate

FUND = "id:zhongguancun-stanford-startup-fund"
ARTICLE = "graph:china-daily-2016-03-05-p7"
AMOUNT = f"GRAPH {ARTICLE} {{ {FUND} schema:amount ?a }}"
# Look-alike blank nodes: two indistinguishable ones, one next to an IRI with the same value,
# and a nested pair.
LOOKALIKES = """INSERT DATA { GRAPH graph:blanks {
    id:thing schema:subjectOf [ schema:value 5 ], [ schema:value 5 ] ; schema:value 5 .
    [ schema:value 9 ] . id:thing schema:value 9 .
    id:other schema:subjectOf [ schema:value 7 ; schema:subjectOf [ schema:value 8 ] ] } }"""


def amount_nodes(store) -> list:
    return [r["a"] for r in store.query(f"SELECT ?a WHERE {{ {AMOUNT} }}")]


def blank_subjects_with(store, predicate: str) -> int:
    return len(list(store.query(f"SELECT ?s WHERE {{ ?s {predicate} ?v FILTER(isBlank(?s)) }}")))


def apply_and_revert(store, log, helpers, text: str):
    """Apply an update, then revert it: the dataset must come back isomorphic, graph by graph."""
    before, counts = helpers.data_dump(store), helpers.graph_counts(store)
    outcome = apply_changeset(store, helpers.update_changeset(store, text), log=log)
    assert outcome.committed
    changed = helpers.data_dump(store)
    revert(store, outcome.id, log=log, agent="Reviewer")
    assert helpers.graph_counts(store) == counts
    assert helpers.data_dump(store) == before  # canonical blank node labels: isomorphic
    return outcome, changed


@pytest.fixture
def lookalikes(store):
    store.update(LOOKALIKES)  # around the write path: setting the scene
    return store


# -- the startup fund's amount ------------------------------------------------------------------------------


def test_an_update_of_the_funds_amount_changes_that_amount(store, log, helpers):
    [node] = amount_nodes(store)
    before, counts = helpers.data_dump(store), helpers.graph_counts(store)
    changed = apply_changeset(
        store,
        helpers.update_changeset(
            store,
            (
                f"DELETE {{ GRAPH ?g {{ ?a schema:value ?v }} }} INSERT {{ GRAPH ?g {{ ?a schema:value 912500001 }} }} "
                f"WHERE {{ GRAPH ?g {{ {FUND} schema:amount ?a . ?a schema:value ?v }} }}"
            ),
        ),
        log=log,
    )

    assert amount_nodes(store) == [node]  # the very node the WHERE matched
    values = [r["v"].value for r in store.query(f"SELECT ?v WHERE {{ {AMOUNT} . ?a schema:value ?v }}")]
    assert values == ["912500001"]
    assert blank_subjects_with(store, "schema:value") == 1  # no orphan node holding the value
    assert validate(store).conforms  # the whole graph, not only the focus nodes

    revert(store, changed.id, log=log, agent="Reviewer")
    assert helpers.graph_counts(store) == counts and helpers.data_dump(store) == before
    assert amount_nodes(store) == [node]


@pytest.mark.parametrize("graph", [ARTICLE, None], ids=["its graph", "the changeset's graph"])
def test_statements_added_to_the_amount_are_on_it(store, log, helpers, graph):
    [node] = amount_nodes(store)
    template = (
        '?a schema:description "as printed: $912.5 million"@en ; schema:valueReference _:figure . '
        '_:figure a schema:PropertyValue ; schema:name "figure"@en .'
    )
    if graph:
        template = f"GRAPH {graph} {{ {template} }}"
    text = f"INSERT {{ {template} }} WHERE {{ {AMOUNT} }}"
    before = helpers.data_dump(store)
    outcome = apply_changeset(store, helpers.update_changeset(store, text), log=log)
    assert len(outcome.changeset.additions) == 4
    assert {q.subject for q in outcome.changeset.additions if q.predicate.value.endswith("description")} == {node}
    assert bool(
        store.query(
            f'ASK {{ {AMOUNT} . ?a schema:description ?d ; schema:valueReference ?f . ?f schema:name "figure"@en }}'
        )
    )  # on the amount itself, not on a copy
    revert(store, outcome.id, log=log, agent="Reviewer")
    assert helpers.data_dump(store) == before


def test_removing_a_statement_of_the_amount_that_an_iri_shares(store, log, helpers):
    # The same description on the amount and on an entity of the same graph: the removal
    # names the blank node, and no IRI can be taken for it (was: 400 "match 2 ways").
    apply_changeset(
        store,
        helpers.update_changeset(
            store,
            (
                f'INSERT {{ GRAPH {ARTICLE} {{ ?a schema:description "as printed"@en . '
                f'id:z-park schema:description "as printed"@en }} }} WHERE {{ {AMOUNT} }}'
            ),
        ),
        log=log,
    )
    outcome, changed = apply_and_revert(
        store,
        log,
        helpers,
        (
            'DELETE { GRAPH ?g { ?a schema:description "as printed"@en } } '
            'WHERE { GRAPH ?g { ?f schema:amount ?a . ?a schema:description "as printed"@en } }'
        ),
    )
    [removed] = outcome.changeset.removals
    assert isinstance(removed.subject, ox.BlankNode)


# -- look-alike blank nodes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "DROP GRAPH graph:blanks",
        "CLEAR GRAPH graph:blanks",
        "DELETE WHERE { GRAPH graph:blanks { ?s ?p ?o } }",
        "DELETE { GRAPH ?g { ?s ?p ?o } } WHERE { GRAPH ?g { ?s ?p ?o FILTER(isBlank(?s)) } VALUES ?g { graph:blanks } }",
        "COPY GRAPH graph:blanks TO GRAPH graph:copy",
        "ADD GRAPH graph:blanks TO GRAPH graph:copy",
        "MOVE GRAPH graph:blanks TO GRAPH graph:moved",
    ],
    ids=["drop", "clear", "delete-where", "delete-blank-subjects", "copy", "add", "move"],
)
def test_whole_graph_operations_on_blank_nodes_revert_exactly(lookalikes, log, helpers, text):
    outcome, changed = apply_and_revert(lookalikes, log, helpers, text)
    assert any(isinstance(q.subject, ox.BlankNode) for q in (*outcome.changeset.removals, *outcome.changeset.additions))


def test_a_copy_shares_its_blank_nodes_and_a_revert_of_a_drop_gives_them_back(lookalikes, log, helpers):
    apply_changeset(
        lookalikes, helpers.update_changeset(lookalikes, "COPY GRAPH graph:blanks TO GRAPH graph:copy"), log=log
    )
    shared = lookalikes.query("ASK { GRAPH graph:blanks { ?b schema:value 7 } GRAPH graph:copy { ?b schema:value 7 } }")
    assert bool(shared)  # one node in both graphs, as SPARQL's COPY makes it
    apply_and_revert(lookalikes, log, helpers, "DROP GRAPH graph:blanks")
    assert bool(
        lookalikes.query("ASK { GRAPH graph:blanks { ?b schema:value 7 } GRAPH graph:copy { ?b schema:value 7 } }")
    )


TWIN = "GRAPH graph:blanks { id:thing schema:subjectOf ?a }"
ONE_TWIN = "{ SELECT ?a ?g WHERE { GRAPH ?g { id:thing schema:subjectOf ?a } } LIMIT 1 }"
ONE_OF_EACH = (
    f"ASK {{ {TWIN} . ?a schema:value 5 . {TWIN.replace('?a', '?b')} . FILTER NOT EXISTS {{ ?b schema:value 5 }} "
)


@pytest.mark.parametrize(
    "text, after",
    [
        (
            f"DELETE {{ GRAPH ?g {{ ?a schema:value 5 }} }} INSERT {{ GRAPH ?g {{ ?a schema:value 6 }} }} WHERE {{ {ONE_TWIN} }}",
            ONE_OF_EACH + "?b schema:value 6 }",
        ),
        (
            f"DELETE {{ GRAPH ?g {{ ?a schema:value 5 }} }} WHERE {{ {ONE_TWIN} }}",
            ONE_OF_EACH + "FILTER NOT EXISTS { ?b ?p ?o } }",
        ),
        (
            f'INSERT {{ GRAPH ?g {{ ?a schema:name "one of two" }} }} WHERE {{ {ONE_TWIN} }}',
            f"ASK {{ {TWIN} . ?a schema:value 5 FILTER NOT EXISTS {{ ?a schema:name ?n }} {TWIN.replace('?a', '?b')} . "
            '?b schema:value 5 ; schema:name "one of two" }',
        ),
        (
            "DELETE { GRAPH ?g { ?b schema:value 8 } } INSERT { GRAPH ?g { ?a schema:value 8 } } "
            "WHERE { GRAPH ?g { id:other schema:subjectOf ?a . ?a schema:subjectOf ?b . ?b schema:value 8 } }",
            "ASK { GRAPH graph:blanks { id:other schema:subjectOf ?a . ?a schema:value 7, 8 ; schema:subjectOf ?b "
            "FILTER NOT EXISTS { ?b ?p ?o } } }",
        ),
        (
            "DELETE WHERE { GRAPH graph:blanks { ?b schema:value 9 } }",
            "ASK { FILTER NOT EXISTS { GRAPH graph:blanks { ?b schema:value 9 } } }",
        ),
    ],
    ids=["change one twin", "empty one twin", "add to one twin", "move a value up a level", "value 9 everywhere"],
)
def test_one_of_indistinguishable_blank_nodes(lookalikes, log, helpers, text, after):
    before, counts = helpers.data_dump(lookalikes), helpers.graph_counts(lookalikes)
    outcome = apply_changeset(lookalikes, helpers.update_changeset(lookalikes, text), log=log)
    assert bool(lookalikes.query(after)), "not the change asked for"
    assert bool(lookalikes.query("ASK { GRAPH graph:blanks { id:thing schema:value 5 } }"))
    revert(lookalikes, outcome.id, log=log, agent="Reviewer")
    assert helpers.graph_counts(lookalikes) == counts and helpers.data_dump(lookalikes) == before


def test_a_removal_given_by_statements_takes_no_iri_for_the_blank_node(lookalikes, log, helpers):
    # As `zkg remove` / `zkg apply` give it: the node by what is said of it. id:thing has
    # schema:value 9 too, but it is not a blank node.
    patch = "TX .\nD _:lone schema:value 9 graph:blanks .\nA _:lone schema:value 10 graph:blanks .\nTC .\n"
    _, additions, removals = parse_patch(patch, base_iri=helpers.base)
    lone = Changeset.new(
        base_iri=helpers.base,
        agent="Ada",
        source="notes",
        additions=additions,
        removals=removals,
    )
    outcome = apply_changeset(lookalikes, lone, log=log)
    [removed], [added] = outcome.changeset.removals, outcome.changeset.additions
    assert removed.subject == added.subject  # the value changed on the node, not on a new one
    assert not bool(lookalikes.query("ASK { ?b schema:value 9 FILTER(isBlank(?b)) }"))
    assert bool(lookalikes.query("ASK { GRAPH graph:blanks { id:thing schema:value 9 } }"))
    assert bool(lookalikes.query("ASK { GRAPH graph:blanks { ?b schema:value 10 FILTER(isBlank(?b)) } }"))
    # Without a graph, as `zkg remove file.ttl` gives it: from every graph holding it.
    removal = helpers.changeset(
        remove="id:other schema:subjectOf [ schema:value 7 ; schema:subjectOf [ schema:value 8 ] ] ."
    )
    removed = apply_changeset(lookalikes, removal, log=log).changeset.removals
    assert len(removed) == 4 and {q.graph_name.value for q in removed} == {helpers.base + "graph/blanks"}


@pytest.mark.parametrize(
    "items, refused", [(101, "more than 200 statements"), (5001, "more than 5000 linked blank nodes")]
)
def test_structures_too_large_to_address_are_refused(store, log, helpers, items, refused):
    # An RDF list is a chain of blank nodes: one of 101 items has 202 statements; one of 5001
    # items reaches 5001 nodes. Refused with a readable message, quickly, and nothing written.
    listed = " ".join(f'"i{i}"' for i in range(items))
    store.update(f"INSERT DATA {{ GRAPH graph:lists {{ id:thing schema:itemListElement ( {listed} ) }} }}")
    before = store.dump(format="nquads")
    with pytest.raises(ChangesetError, match=refused):
        apply_changeset(
            store, helpers.update_changeset(store, 'DELETE WHERE { GRAPH graph:lists { ?c rdf:first "i1" } }'), log=log
        )
    assert store.dump(format="nquads") == before
