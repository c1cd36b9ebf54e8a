"""IC-12 (no duplicate observations) through the write path, with the peer search
(:mod:`zkg.validation.peers`) fetching only the observations that may duplicate the changed one,
and the shapes aimed at the focus nodes only (:mod:`zkg.validation.focus`).

What the whole graph's verdict is, case by case, is checked in test_equivalence.py; here:
that duplicates are still caught where they should be, and not where they should not,
whichever way they arise.
"""

from __future__ import annotations

import pytest
from rdflib import RDF, Graph, Literal, Namespace, URIRef

from zkg.curation.apply import Rejected, apply_changeset
from zkg.validation.focus import FocusShapes
from zkg.validation.shacl import validate_graphs

IC12 = "def/shapes/IC12-NoDuplicateObservations"
IC11 = "def/shapes/IC11-AllDimensionsRequired"
FIGURE = (
    "zkg:refSubject id:z-park ; zkg:indicator indicator:mna-completed ; zkg:unit unit:count ; "
    'zkg:transformation transformation:level ; sdmx-measure:obsValue 7 ; zkg:valueAsPrinted "7" ; '
    'rdfs:label "a figure"@en'
)


def _verdict(store, log, helpers, **change):
    """(rejected?, {(shape local name, focus node, value)} of the report's violations)."""
    try:
        outcome = apply_changeset(store, helpers.changeset(**change), log=log, dry_run=True)
        report, rejected = outcome.report, False
    except Rejected as error:
        report, rejected = error.report, True
    b = helpers.base
    return rejected, {
        (
            str(r.source_shape).removeprefix(b),
            str(r.focus_node).removeprefix(b),
            str(r.value).removeprefix(b) if r.value is not None else None,
        )
        for r in report.results
        if r.severity == "Violation"
    }


def test_a_new_observation_duplicating_one_is_rejected(store, log, helpers):
    rejected, violations = _verdict(
        store,
        log,
        helpers,
        add=(
            "id:obs-again a qb:Observation ; qb:dataSet id:stats-z-park-headline ; "
            f'sdmx-dimension:refPeriod "2015"^^xsd:gYear ; {FIGURE} .'
        ),
    )
    assert rejected and violations == {(IC12, "id/obs-again", "id/obs-mna-completed-2015")}


def test_a_new_observation_of_another_year_is_accepted(store, log, helpers):
    rejected, violations = _verdict(
        store,
        log,
        helpers,
        add=(
            "id:obs-2013 a qb:Observation ; qb:dataSet id:stats-z-park-headline ; "
            f'sdmx-dimension:refPeriod "2013"^^xsd:gYear ; {FIGURE} .'
        ),
    )
    assert not rejected and violations == set()


def test_an_observation_edited_into_a_duplicate_is_rejected(store, log, helpers):
    rejected, violations = _verdict(
        store,
        log,
        helpers,
        remove='id:obs-mna-completed-2014 sdmx-dimension:refPeriod "2014"^^xsd:gYear .',
        add='id:obs-mna-completed-2014 sdmx-dimension:refPeriod "2015"^^xsd:gYear .',
    )
    assert rejected and violations == {(IC12, "id/obs-mna-completed-2014", "id/obs-mna-completed-2015")}


def test_removing_the_dimension_that_told_two_apart_is_rejected(store, log, helpers):
    # The two 2015 figures of overseas M&As differ only by their transformation.
    rejected, violations = _verdict(
        store,
        log,
        helpers,
        remove=(
            "id:obs-overseas-mna-completed-2015-change zkg:transformation transformation:change-on-previous-period ."
        ),
    )
    change = "id/obs-overseas-mna-completed-2015-change"
    assert rejected
    assert (IC12, change, "id/obs-overseas-mna-completed-2015") in violations
    assert any(shape == IC11 and focus == change for shape, focus, _ in violations)


def test_the_same_figures_in_another_data_set_are_not_duplicates(store, log, helpers):
    rejected, violations = _verdict(
        store,
        log,
        helpers,
        add=(
            'id:stats-elsewhere a qb:DataSet ; rdfs:label "elsewhere"@en ; qb:structure <def/dsd-headline> . '
            "id:obs-elsewhere a qb:Observation ; qb:dataSet id:stats-elsewhere ; "
            f'sdmx-dimension:refPeriod "2015"^^xsd:gYear ; {FIGURE} .'
        ),
    )
    assert not rejected and violations == set()


def test_two_new_observations_duplicating_each_other_are_rejected(store, log, helpers):
    rejected, violations = _verdict(
        store,
        log,
        helpers,
        add=(
            'id:obs-a a qb:Observation ; qb:dataSet id:stats-z-park-headline ; sdmx-dimension:refPeriod "2012"^^xsd:gYear ; '
            f"{FIGURE} . id:obs-b a qb:Observation ; qb:dataSet id:stats-z-park-headline ; "
            f'sdmx-dimension:refPeriod "2012"^^xsd:gYear ; {FIGURE} .'
        ),
    )
    assert rejected and violations == {(IC12, "id/obs-a", "id/obs-b"), (IC12, "id/obs-b", "id/obs-a")}


def test_a_stored_observation_lacking_the_looked_up_dimension_is_found(store, log, helpers):
    # Not an index hit: the stored one has no subject at all (it breaks IC-11 already), so
    # only the anti-join over the data set's members finds it.
    # Subject and indicator are the rarest of the new one's values: one of them is looked up.
    store.update(
        "INSERT DATA { GRAPH graph:broken { id:obs-nobody a qb:Observation ; "
        'qb:dataSet id:stats-z-park-headline ; sdmx-dimension:refPeriod "2011"^^xsd:gYear ; '
        "zkg:unit unit:count ; zkg:transformation transformation:level } }"
    )
    rejected, violations = _verdict(
        store,
        log,
        helpers,
        add=(
            "id:obs-2011 a qb:Observation ; qb:dataSet id:stats-z-park-headline ; "
            f'sdmx-dimension:refPeriod "2011"^^xsd:gYear ; {FIGURE} .'
        ),
    )
    assert rejected and violations == {(IC12, "id/obs-2011", "id/obs-nobody")}  # not IC-11 on obs-nobody


# -- the shapes aimed at the focus nodes ---------------------------------------------------------------

EX = Namespace("http://example.org/")
SH = Namespace("http://www.w3.org/ns/shacl#")


def _shapes() -> Graph:
    g = Graph()
    g.parse(
        data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
        ex:ByClass a sh:NodeShape ; sh:targetClass ex:Thing ; sh:property [ sh:path ex:name ; sh:minCount 1 ] .
        ex:BySubject a sh:NodeShape ; sh:targetSubjectsOf ex:link ; sh:property [ sh:path ex:link ; sh:node ex:Named ] .
        ex:ByObject a sh:NodeShape ; sh:targetObjectsOf ex:link ; sh:property [ sh:path ex:name ; sh:maxCount 1 ] .
        ex:ByNode a sh:NodeShape ; sh:targetNode ex:special ; sh:property [ sh:path ex:name ; sh:minCount 2 ] .
        ex:Named a sh:NodeShape ; sh:property [ sh:path ex:name ; sh:minCount 1 ] .
        """,
        format="turtle",
    )
    return g


def _data() -> Graph:
    g = Graph()
    g.parse(
        data="""
        @prefix ex: <http://example.org/> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        ex:SubThing rdfs:subClassOf ex:Thing .
        ex:a a ex:SubThing ; ex:link ex:b .
        ex:b ex:name "b1", "b2" .
        ex:c a ex:Thing ; ex:link ex:d .
        ex:special ex:name "only one" .
        """,
        format="turtle",
    )
    return g


def _results(report) -> set:
    return {(r.focus_node, r.source_shape, r.constraint) for r in report.results}


def test_aimed_shapes_give_each_node_what_the_original_shapes_give_it():
    # Class targets through a subclass the data declares, subjects-of, objects-of, target
    # nodes, and a nested sh:node on a value node that is no focus node (ex:d).
    shapes = _shapes()
    focus_shapes = FocusShapes(shapes)
    whole = validate_graphs(_data(), shapes, (), prefix_map={})
    nodes = {EX.a, EX.b, EX.c, EX.d, EX.special}
    for focus in ({EX.a}, {EX.b, EX.special}, {EX.c}, nodes):
        data = _data()
        with focus_shapes.aimed_at(focus_shapes.targeted(data, focus)) as aimed:
            report = validate_graphs(data, aimed, (), prefix_map={})
        assert _results(report) == {r for r in _results(whole) if r[0] in focus}, focus
    assert {r[0] for r in _results(whole)} >= {EX.b, EX.c, EX.special}  # the test sees violations
    assert (None, SH.targetNode, None) not in focus_shapes.graph  # aimed for one validation only


def test_nodes_read_as_context_are_not_validated():
    # ex:c breaks ByClass (no name) and links to ex:d; aimed at ex:a only, pySHACL's own
    # report (before any filtering) says nothing of ex:c.
    focus_shapes, data = FocusShapes(_shapes()), _data()
    pairs = focus_shapes.targeted(data, {EX.a})
    assert {node for _, node in pairs} == {EX.a}
    assert {shape for shape, _ in pairs} == {EX.ByClass, EX.BySubject}
    with focus_shapes.aimed_at(pairs) as aimed:
        report = validate_graphs(data, aimed, (), prefix_map={})
    assert set(report.results_graph.objects(None, SH.focusNode)) <= {EX.a}


@pytest.mark.parametrize(
    "node, shapes",
    [(EX.a, {EX.ByClass, EX.BySubject}), (EX.b, {EX.ByObject}), (EX.special, {EX.ByNode}), (EX.nothing, set())],
)
def test_targets_follow_pyshacl(node, shapes):
    data = _data()
    data.add((EX.nothing, RDF.type, URIRef("http://example.org/Unrelated")))
    data.add((EX.nothing, EX.name, Literal("x")))
    assert {shape for shape, n in FocusShapes(_shapes()).targeted(data, {node})} == shapes
