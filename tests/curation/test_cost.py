"""The cost of checking a changeset does not grow with the size of the graph.

The same changesets are checked on the project's data (about 2,000 quads) and on the same
data grown to about 150,000 quads by generated organisations, people, memberships, event
series and statistics, linked to the same hubs (Z-Park, Beijing, IASP, the code lists).
The generated observations join the project's own data set of Z-Park figures, which grows
from 21 observations to 4,021: an observation written there is compared with those that
may duplicate it (IC-12), not with the whole data set.
What is counted is the rows the validation queries return, the number of queries and the
triples validated (not time): they must be the same on both stores.
"""

from __future__ import annotations

import pytest

from tests.support.zkg_testing import GRAPH_DIR, ONTOLOGY_DIR
from zkg.curation.apply import Rejected, apply_changeset
from zkg.store.local import Store

UNITS = 4500  # about 37 quads each: 170,000 in all, over 50 times the project's own store


def generated_update(units: int, base: str) -> list[str]:
    """INSERT DATA updates adding ``units`` generated organisations (with a person heading
    each, their membership, an event edition and an observation) to graph:generated."""
    updates, lines = [], []
    for i in range(units):
        org, person, membership = f"id:gen-org-{i}", f"id:gen-person-{i}", f"id:gen-membership-{i}"
        series = f"id:gen-series-{i // 10}"
        lines.append(f"""
            {org} a schema:Organization, org:Organization ; rdfs:label "Company {i}"@en ; schema:name "Company {i}"@en ;
                schema:description "A generated company."@en ; zkg:organizationKind kind:company ;
                schema:location id:beijing ; org:subOrganizationOf id:z-park ; org:memberOf id:iasp .
            {person} a schema:Person ; rdfs:label "Person {i}"@en ; schema:name "Person {i}"@en ;
                org:headOf {org} ; schema:worksFor id:z-park ; schema:birthPlace id:beijing .
            {membership} a org:Membership ; rdfs:label "head of Company {i}"@en ; org:member {person} ;
                org:organization {org} ; org:role role:head .
            id:gen-event-{i} a schema:Event ; rdfs:label "Edition {i}"@en ; schema:superEvent {series} ;
                zkg:editionNumber {i % 10 + 1} ; schema:location id:beijing ; schema:startDate "2015"^^xsd:gYear ;
                schema:organizer {org} .
            id:gen-obs-{i} a qb:Observation ; qb:dataSet id:stats-z-park-headline ; rdfs:label "obs {i}"@en ;
                zkg:refSubject {org} ; sdmx-dimension:refPeriod "{1990 + i % 20}"^^xsd:gYear ;
                zkg:indicator indicator:pct-applications ; zkg:unit unit:count ; zkg:transformation transformation:level ;
                sdmx-measure:obsValue {i} ; zkg:valueAsPrinted "{i}" .""")
        if i % 10 == 0:
            lines.append(
                f'{series} a schema:EventSeries ; rdfs:label "Series {i // 10}"@en ; '
                f'schema:name "Series {i // 10}"@en ; schema:organizer id:iasp .'
            )
        if len(lines) >= 400:
            updates.append("INSERT DATA { GRAPH graph:generated { " + "\n".join(lines) + " } }")
            lines = []
    if lines:
        updates.append("INSERT DATA { GRAPH graph:generated { " + "\n".join(lines) + " } }")
    return updates


OBS = (
    'a qb:Observation ; qb:dataSet id:stats-z-park-headline ; rdfs:label "x"@en ; zkg:refSubject id:z-park ; '
    "zkg:indicator indicator:pct-applications ; zkg:unit unit:count ; zkg:transformation transformation:level ; "
    'sdmx-measure:obsValue 1 ; zkg:valueAsPrinted "1" ; sdmx-dimension:refPeriod "2015"^^xsd:gYear '
)

CHANGES = {
    "a person's description": dict(add='id:luo-wei schema:description "d"@en .'),
    "a hub's new name (Z-Park)": dict(add='id:z-park schema:alternateName "ZGC"@en .'),
    "a hub's name removed (Beijing)": dict(remove='id:beijing schema:name "Beijing"@en .'),
    "a reference to a hub (IASP)": dict(add="id:zhou-guolin org:memberOf id:iasp ."),
    "a new edition of a series": dict(
        add='id:edition-33 a schema:Event ; rdfs:label "33rd"@en ; schema:superEvent id:iasp-world-conference ; '
        "zkg:editionNumber 33 ; schema:location id:beijing ."
    ),
    "a duplicate observation": dict(add=f"id:obs-dup {OBS}."),
    "a new observation": dict(add=f"id:obs-new {OBS.replace('2015', '2013')}."),
    "an observation's value": dict(
        remove="id:obs-mna-completed-2015 sdmx-measure:obsValue 492 .",
        add="id:obs-mna-completed-2015 sdmx-measure:obsValue 493 .",
    ),
    "an observation edited into a duplicate": dict(
        remove='id:obs-mna-completed-2014 sdmx-dimension:refPeriod "2014"^^xsd:gYear .',
        add='id:obs-mna-completed-2014 sdmx-dimension:refPeriod "2015"^^xsd:gYear .',
    ),
    "an observation loses a dimension": dict(
        remove="id:obs-overseas-mna-completed-2015-change zkg:transformation transformation:change-on-previous-period ."
    ),
    "a membership's member": dict(
        remove="id:membership-luo-wei-overseas-arm org:member id:luo-wei .",
        add="id:membership-luo-wei-overseas-arm org:member id:zhou-guolin .",
    ),
}


def _cost(store, log, helpers, change):
    try:
        return apply_changeset(store, helpers.changeset(**change), log=log, dry_run=True).cost
    except Rejected as rejected:
        return rejected.cost


@pytest.fixture(scope="module")
def big_store():
    from tests.support.zkg_testing import TEST_BASE

    big = Store.open(base_iri=TEST_BASE)
    big.load_sources(graph_dir=GRAPH_DIR, ontology_dir=ONTOLOGY_DIR)
    for update in generated_update(UNITS, TEST_BASE):
        big.update(update)
    return big


def test_the_generated_store_is_large_and_valid_where_it_matters(big_store, store):
    assert big_store.count() >= 50 * store.count() and big_store.count() >= 100_000
    members = "SELECT (COUNT(*) AS ?n) WHERE { ?o qb:dataSet id:stats-z-park-headline }"
    assert int(next(iter(big_store.query(members)))["n"].value) >= UNITS  # the data set grew


@pytest.mark.parametrize("name", list(CHANGES))
def test_cost_does_not_grow_with_the_graph(big_store, store, log, helpers, name):
    from zkg.curation.changelog import ChangeLog

    small = _cost(store, log, helpers, CHANGES[name])
    big = _cost(big_store, ChangeLog(None, base_iri=helpers.base), helpers, CHANGES[name])
    assert small.mode == big.mode == "incremental"
    assert (big.queries, big.quads_fetched, big.focus_nodes, big.candidate_triples) == (
        small.queries,
        small.quads_fetched,
        small.focus_nodes,
        small.candidate_triples,
    )
    assert big.quads_fetched < 300
