"""Incremental validation gives the verdict the whole graph gives.

For each changeset: the incremental report (focus nodes, bounded neighbourhood) is compared
with validating the whole graph after the change, restricted to the same focus nodes (and to
the blank nodes the change creates). And the verdicts agree: the whole graph violates the
shapes after the change exactly when the changeset is rejected (the project's data
conforms before it).
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from tests.support.zkg_testing import GRAPH_DIR, ONTOLOGY_DIR
from zkg.curation import apply as curation
from zkg.curation.apply import Rejected, apply_changeset
from zkg.rdf.rdflib_view import rdflib_term
from zkg.store.local import Store
from zkg.validation.incremental import INCREMENTAL
from zkg.validation.reach import Unsupported, analyse
from zkg.validation.shacl import validate

pytestmark = pytest.mark.slow

OBS = (
    'a qb:Observation ; qb:dataSet id:stats-z-park-headline ; rdfs:label "x"@en ; zkg:refSubject id:z-park ; '
    "zkg:indicator indicator:pct-applications ; zkg:unit unit:count ; zkg:transformation transformation:level ; "
    'sdmx-measure:obsValue 1 ; zkg:valueAsPrinted "1" '
)
EDITION = (
    'a schema:Event ; rdfs:label "another edition"@en ; schema:name "another edition"@en ; '
    'schema:superEvent id:iasp-world-conference ; schema:location id:beijing ; schema:startDate "2016"^^xsd:gYear '
)

CASES = {
    "valid fact": dict(add='id:luo-wei schema:description "d"@en .'),
    "reference to nothing": dict(add="id:luo-wei org:memberOf id:nowhere ."),
    "literal where a date goes": dict(add='id:iasp-world-conference-2015 schema:startDate "September 2015" .'),
    "duplicate observation (IC-12)": dict(add=f'id:obs-dup {OBS}; sdmx-dimension:refPeriod "2015"^^xsd:gYear .'),
    "observation missing a dimension (IC-11)": dict(add=f"id:obs-undated {OBS}."),
    "observation in another period": dict(add=f'id:obs-2014 {OBS}; sdmx-dimension:refPeriod "2014"^^xsd:gYear .'),
    "observation edited into a duplicate (IC-12)": dict(
        remove='id:obs-mna-completed-2014 sdmx-dimension:refPeriod "2014"^^xsd:gYear .',
        add='id:obs-mna-completed-2014 sdmx-dimension:refPeriod "2015"^^xsd:gYear .',
    ),
    "observation's value edited": dict(
        remove="id:obs-mna-completed-2015 sdmx-measure:obsValue 492 .",
        add="id:obs-mna-completed-2015 sdmx-measure:obsValue 493 .",
    ),
    "dimension removed: two observations alike (IC-12)": dict(
        remove="id:obs-overseas-mna-completed-2015-change zkg:transformation transformation:change-on-previous-period ."
    ),
    "observation with two periods (IC-12 with a multi-valued dimension)": dict(
        add=f'id:obs-twice {OBS}; sdmx-dimension:refPeriod "2015"^^xsd:gYear, "2016"^^xsd:gYear .'
    ),
    "same figures in another data set": dict(
        add='id:stats-elsewhere a qb:DataSet ; rdfs:label "elsewhere"@en ; qb:structure <def/dsd-headline> . '
        f"id:obs-elsewhere {OBS.replace('id:stats-z-park-headline', 'id:stats-elsewhere')}; "
        'sdmx-dimension:refPeriod "2015"^^xsd:gYear .'
    ),
    "edition number taken in the series": dict(add=f"id:edition-dup {EDITION}; zkg:editionNumber 32 ."),
    "next edition number": dict(add=f"id:edition-33 {EDITION}; zkg:editionNumber 33 ."),
    "containment cycle": dict(add="id:china schema:containedInPlace id:beijing ."),
    "membership loses its organisation (headOf)": dict(
        remove="id:membership-luo-wei-overseas-arm org:organization id:zhongguancun-development-group-overseas-arm ."
    ),
    "membership changes member (headOf of the old one)": dict(
        remove="id:membership-luo-wei-overseas-arm org:member id:luo-wei .",
        add="id:membership-luo-wei-overseas-arm org:member id:zhou-guolin .",
    ),
    "sub-park loses its parent (inverse path)": dict(
        remove="id:z-park org:hasSubOrganization id:z-park-software-park ."
    ),
    "distinction loses its holder": dict(remove="id:z-park zkg:distinction id:z-park-first-science-park ."),
    "removed type orphans references": dict(remove="id:beijing a schema:City ."),
    "data set loses its structure": dict(remove="id:stats-z-park-by-partner qb:structure <def/dsd-by-partner> ."),
    "source graph loses its document (quotations)": dict(
        remove="<graph/china-daily-2016-03-05-p7> dcterms:source id:china-daily-2016-03-05-p7 ."
    ),
    "reified statement loses its statement": dict(remove='id:z-park schema:name "中关村科技园区"@zh-Hans .'),
    "blank node amount loses its value": dict(
        remove="id:zhongguancun-stanford-startup-fund schema:amount [ schema:value 912500000 ] ."
    ),
    "new blank node amount without currency": dict(
        add='id:new-fund a schema:InvestmentFund ; rdfs:label "f"@en ; schema:amount [ a schema:MonetaryAmount ; '
        "schema:value 5 ] ."
    ),
}


def _key(result) -> tuple:
    def text(term):
        if term is None:
            return ""
        return "_:" if term.__class__.__name__ == "BNode" else str(term)

    return (
        result.severity,
        text(result.focus_node),
        result.path,
        text(result.value),
        str(result.source_shape),
        result.message,
    )


def _whole_after(store: Store, effective, metadata, checked) -> Store:
    """A copy of the store with the change applied directly (no checks)."""
    copy = Store.open(base_iri=store.base_iri)
    copy.oxigraph.extend(list(store.oxigraph))  # the named graphs and their union, as the store has them
    copy.update(curation._update_text(checked, metadata, ox.DefaultGraph()), keeps_union=True)
    return copy


def test_the_data_conforms_before_any_change(store):
    assert validate(store).conforms  # so a violation after a change is the change's


def _dry_run(store, cs, log):
    """(report, cost, effective changeset) of a dry run, accepted or rejected."""
    try:
        outcome = apply_changeset(store, cs, log=log, dry_run=True)
        return outcome.report, outcome.cost, outcome.changeset
    except Rejected as rejected:
        return rejected.report, rejected.cost, rejected.changeset


@pytest.mark.parametrize("name", list(CASES))
def test_incremental_verdict_equals_whole_graph_verdict(store, log, helpers, name):
    cs = helpers.changeset(**CASES[name])
    report, cost, effective = _dry_run(store, cs, log)
    assert cost.mode == INCREMENTAL

    checked = curation._check(store, cs)
    metadata = curation.metadata_quads(store, effective)
    before_blank = {q.subject for q in store.quads() if isinstance(q.subject, ox.BlankNode)}
    after = _whole_after(store, effective, metadata, checked)
    whole = validate(after)
    new_blank = {
        rdflib_term(q.subject)
        for q in after.quads()
        if isinstance(q.subject, ox.BlankNode) and q.subject not in before_blank
    }
    focus = {rdflib_term(f) for f in cost.focus} | new_blank
    expected = sorted(_key(r) for r in whole.results if r.focus_node in focus)
    got = sorted(_key(r) for r in report.results)
    assert got == expected
    assert report.conforms == whole.conforms  # nothing outside the focus nodes broke


# Stores that already break the shapes (written around the write path), so that the peer
# search must find what no index lookup can: members lacking a dimension; a value the store
# tells apart and rdflib (hence pySHACL) does not: it drops a date's time zone.
BROKEN = {
    "a member lacking the looked-up dimension": (  # subject and indicator are the rarer values
        "GRAPH graph:broken { id:obs-nobody a qb:Observation ; qb:dataSet id:stats-z-park-headline ; "
        'sdmx-dimension:refPeriod "2011"^^xsd:gYear ; zkg:unit unit:count ; zkg:transformation transformation:level }',
        dict(add=f'id:obs-2011 {OBS}; sdmx-dimension:refPeriod "2011"^^xsd:gYear .'),
        True,
    ),
    "a member lacking every dimension": (
        "GRAPH graph:broken { id:obs-bare qb:dataSet id:stats-z-park-headline }",
        dict(add=f'id:obs-2010 {OBS}; sdmx-dimension:refPeriod "2010"^^xsd:gYear .'),
        True,
    ),
    "a member with two values where the new one has one": (
        "GRAPH graph:broken { id:obs-both a qb:Observation ; qb:dataSet id:stats-z-park-headline ; "
        'zkg:refSubject id:z-park ; sdmx-dimension:refPeriod "2009"^^xsd:gYear, "2008"^^xsd:gYear }',
        dict(add=f'id:obs-2009 {OBS}; sdmx-dimension:refPeriod "2009"^^xsd:gYear .'),
        False,
    ),
    "a new one with two values, a member lacking the dimension": (
        "GRAPH graph:broken { id:obs-undated-too a qb:Observation ; qb:dataSet id:stats-z-park-headline ; "
        "zkg:refSubject id:z-park }",
        dict(add=f'id:obs-two-years {OBS}; sdmx-dimension:refPeriod "2007"^^xsd:gYear, "2006"^^xsd:gYear .'),
        True,
    ),
    "a date rdflib reads without its time zone": (
        f'GRAPH graph:broken {{ id:obs-as-of {OBS}; sdmx-dimension:refPeriod "2016-03-05+08:00"^^xsd:date }}',
        dict(add=f'id:obs-as-of-too {OBS}; sdmx-dimension:refPeriod "2016-03-05"^^xsd:date .'),
        True,
    ),
    "another date": (
        f'GRAPH graph:broken {{ id:obs-as-of {OBS}; sdmx-dimension:refPeriod "2016-03-06+08:00"^^xsd:date }}',
        dict(add=f'id:obs-as-of-too {OBS}; sdmx-dimension:refPeriod "2016-03-05"^^xsd:date .'),
        False,
    ),
    "a blank node data set": (
        "GRAPH graph:broken { id:obs-in-blank a qb:Observation ; qb:dataSet _:set ; zkg:refSubject id:z-park . "
        "_:set a qb:DataSet ; qb:structure <def/dsd-headline> . "
        "id:obs-in-blank-too a qb:Observation ; qb:dataSet _:set ; zkg:refSubject id:z-park }",
        dict(add="id:obs-in-blank zkg:indicator indicator:pct-applications ."),
        True,
    ),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_incremental_verdict_equals_whole_graph_verdict_on_a_broken_store(store, log, helpers, name):
    setup, change, duplicate = BROKEN[name]
    store.update(f"INSERT DATA {{ {setup} }}")
    cs = helpers.changeset(**change)
    report, cost, effective = _dry_run(store, cs, log)
    assert cost.mode == INCREMENTAL
    checked = curation._check(store, cs)
    whole = validate(_whole_after(store, effective, curation.metadata_quads(store, effective), checked))
    focus = {rdflib_term(f) for f in cost.focus}
    assert sorted(_key(r) for r in report.results) == sorted(_key(r) for r in whole.results if r.focus_node in focus)
    # The case is what it says: the change makes a duplicate, or does not.
    assert any("IC12" in str(r.source_shape) for r in whole.results if r.focus_node in focus) == duplicate


def test_focus_nodes_reach_what_the_change_affects(store, log, helpers):
    # Removing Beijing's type makes every place inside it and everything located there a
    # focus node; removing a document of quotations makes its quotations focus nodes.
    def focus_of(**change):
        try:
            return apply_changeset(store, helpers.changeset(**change), log=log, dry_run=True).cost.focus
        except Rejected as rejected:
            return rejected.cost.focus

    b = helpers.base
    beijing = focus_of(remove="id:beijing a schema:City .")
    assert {ox.NamedNode(b + "id/z-park-area"), ox.NamedNode(b + "id/iasp-world-conference-2015")} <= beijing
    quotations = focus_of(remove="<graph/china-daily-2016-03-05-p7> dcterms:source id:china-daily-2016-03-05-p7 .")
    assert ox.NamedNode(b + "id/quote-luo-wei-innovation-center") in quotations
    headof = focus_of(
        remove="id:membership-luo-wei-overseas-arm org:organization id:zhongguancun-development-group-overseas-arm ."
    )
    assert ox.NamedNode(b + "id/luo-wei") in headof


def test_the_project_shapes_are_analysed(store):
    """Every shape's reach is known (no fallback to whole-graph validation), every SPARQL
    constraint has a declared reach whose query digest matches."""
    graphs = store.union_graph_for_validation()
    try:
        analysis = analyse(graphs.shapes, graphs.ontology, base_iri=store.base_iri, prefix_map=store.prefixes)
    except Unsupported as error:
        pytest.fail(f"incremental validation cannot bound the shapes: {error}")
    assert len(analysis.shapes) > 30


def test_an_undeclared_sparql_constraint_falls_back_to_the_whole_graph(helpers, log):
    store = Store.open(base_iri=helpers.base)
    store.load_sources(graph_dir=GRAPH_DIR, ontology_dir=ONTOLOGY_DIR)
    store.update(
        "INSERT DATA { GRAPH graph:shapes { zkg:NewShape a sh:NodeShape ; sh:targetClass schema:Person ; "
        'sh:sparql [ sh:select "SELECT $this WHERE { $this <urn:x-never> ?x }" ] } }'
    )
    from zkg.curation.changelog import ChangeLog

    outcome = apply_changeset(
        store,
        helpers.changeset(add='id:luo-wei schema:description "d"@en .'),
        log=ChangeLog.for_store(store),
        dry_run=True,
    )
    assert outcome.cost.mode == "whole graph" and "NewShape" in outcome.cost.reason
