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

from zkg import curation
from zkg.curation import Rejected, apply_changeset
from zkg.incremental import INCREMENTAL
from zkg.rdflib_view import rdflib_term
from zkg.shape_reach import Unsupported, analyse
from zkg.store import Store
from zkg.validation import validate
from zkg_testing import GRAPH_DIR, ONTOLOGY_DIR

OBS = ('a qb:Observation ; qb:dataSet id:stats-z-park-headline ; rdfs:label "x"@en ; zkg:refSubject id:z-park ; '
       'zkg:indicator indicator:pct-applications ; zkg:unit unit:count ; zkg:transformation transformation:level ; '
       'sdmx-measure:obsValue 1 ; zkg:valueAsPrinted "1" ')
EDITION = ('a schema:Event ; rdfs:label "another edition"@en ; schema:name "another edition"@en ; '
           'schema:superEvent id:iasp-world-conference ; schema:location id:beijing ; schema:startDate "2016"^^xsd:gYear ')

CASES = {
    "valid fact": dict(add='id:luo-wei schema:description "d"@en .'),
    "reference to nothing": dict(add="id:luo-wei org:memberOf id:nowhere ."),
    "literal where a date goes": dict(add='id:iasp-world-conference-2015 schema:startDate "September 2015" .'),
    "duplicate observation (IC-12)": dict(add=f'id:obs-dup {OBS}; sdmx-dimension:refPeriod "2015"^^xsd:gYear .'),
    "observation missing a dimension (IC-11)": dict(add=f"id:obs-undated {OBS}."),
    "observation in another period": dict(add=f'id:obs-2014 {OBS}; sdmx-dimension:refPeriod "2014"^^xsd:gYear .'),
    "edition number taken in the series": dict(add=f"id:edition-dup {EDITION}; zkg:editionNumber 32 ."),
    "next edition number": dict(add=f"id:edition-33 {EDITION}; zkg:editionNumber 33 ."),
    "containment cycle": dict(add="id:china schema:containedInPlace id:beijing ."),
    "membership loses its organisation (headOf)": dict(
        remove="id:membership-luo-wei-overseas-arm org:organization id:zhongguancun-development-group-overseas-arm ."),
    "membership changes member (headOf of the old one)": dict(
        remove="id:membership-luo-wei-overseas-arm org:member id:luo-wei .",
        add="id:membership-luo-wei-overseas-arm org:member id:zhou-guolin ."),
    "sub-park loses its parent (inverse path)": dict(remove="id:z-park org:hasSubOrganization id:z-park-software-park ."),
    "distinction loses its holder": dict(remove="id:z-park zkg:distinction id:z-park-first-science-park ."),
    "removed type orphans references": dict(remove="id:beijing a schema:City ."),
    "data set loses its structure": dict(remove="id:stats-z-park-by-partner qb:structure <def/dsd-by-partner> ."),
    "source graph loses its document (quotations)": dict(
        remove="<graph/china-daily-2016-03-05-p7> dcterms:source id:china-daily-2016-03-05-p7 ."),
    "reified statement loses its statement": dict(remove='id:z-park skos:prefLabel "中关村科技园区"@zh-Hans .'),
    "blank node amount loses its value": dict(
        remove="id:zhongguancun-stanford-startup-fund schema:amount [ schema:value 912500000 ] ."),
    "new blank node amount without currency": dict(
        add='id:new-fund a schema:InvestmentFund ; rdfs:label "f"@en ; schema:amount [ a schema:MonetaryAmount ; '
            "schema:value 5 ] ."),
}


def _key(result) -> tuple:
    def text(term):
        if term is None:
            return ""
        return "_:" if term.__class__.__name__ == "BNode" else str(term)
    return (result.severity, text(result.focus_node), result.path, text(result.value), str(result.source_shape),
            result.message)


def _whole_after(store: Store, effective, metadata, checked) -> Store:
    """A copy of the store with the change applied directly (no checks)."""
    copy = Store.open(base_iri=store.base_iri)
    copy.oxigraph.extend(list(store.quads()))
    copy.update(curation._update_text(checked.removals, checked.patterns, [*effective.additions, *metadata]))
    return copy


def test_the_data_conforms_before_any_change(store):
    assert validate(store).conforms  # so a violation after a change is the change's


@pytest.mark.parametrize("name", list(CASES))
def test_incremental_verdict_equals_whole_graph_verdict(store, log, helpers, name):
    cs = helpers.changeset(**CASES[name])
    try:
        outcome = apply_changeset(store, cs, log=log, dry_run=True)
        report, cost, effective = outcome.report, outcome.cost, outcome.changeset
    except Rejected as rejected:
        report, cost, effective = rejected.report, rejected.cost, rejected.changeset
    assert cost.mode == INCREMENTAL

    checked = curation._check(store, cs)
    metadata = curation.metadata_quads(store, effective)
    before_blank = {q.subject for q in store.quads() if isinstance(q.subject, ox.BlankNode)}
    after = _whole_after(store, effective, metadata, checked)
    whole = validate(after)
    new_blank = {rdflib_term(q.subject) for q in after.quads()
                 if isinstance(q.subject, ox.BlankNode) and q.subject not in before_blank}
    focus = {rdflib_term(f) for f in cost.focus} | new_blank
    expected = sorted(_key(r) for r in whole.results if r.focus_node in focus)
    got = sorted(_key(r) for r in report.results)
    assert got == expected
    assert report.conforms == whole.conforms  # nothing outside the focus nodes broke


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
    headof = focus_of(remove="id:membership-luo-wei-overseas-arm org:organization "
                             "id:zhongguancun-development-group-overseas-arm .")
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
    store.update('INSERT DATA { GRAPH graph:shapes { zkg:NewShape a sh:NodeShape ; sh:targetClass schema:Person ; '
                 'sh:sparql [ sh:select "SELECT $this WHERE { $this <urn:x-never> ?x }" ] } }')
    from zkg.changelog import ChangeLog

    outcome = apply_changeset(store, helpers.changeset(add='id:luo-wei schema:description "d"@en .'),
                              log=ChangeLog.for_store(store), dry_run=True)
    assert outcome.cost.mode == "whole graph" and "NewShape" in outcome.cost.reason
