"""What a change causes and what was already there (zkg.validation.causes), on the fixture
project loaded as ``zkg load`` loads it, with Bob's name left out of its file: Bob breaks
the person shape (no name: a violation) and has no description (a warning) before any change."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import URIRef

from tests.support.zkg_testing import TEST_BASE
from zkg.rdf.namespaces import SH
from zkg.store.local import Store
from zkg.validation.causes import format_verdict, judge_change, split, summary
from zkg.validation.incremental import INCREMENTAL, WHOLE
from zkg.validation.shacl import ValidationResult

PREFIXES = f"""
@prefix id: <{TEST_BASE}id/> . @prefix graph: <{TEST_BASE}graph/> .
@prefix schema: <https://schema.org/> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""
BOB = URIRef(TEST_BASE + "id/bob")


def _store(project, *, extra_shapes: str = "") -> Store:
    source = project / "graph" / "sources" / "example-source.trig"
    source.write_text(source.read_text().replace('schema:name "Bob"@en ;', ""))
    if extra_shapes:
        shapes = project / "ontology" / "shapes" / "shapes.ttl"
        shapes.write_text(shapes.read_text() + extra_shapes)
    store = Store.open(base_iri=TEST_BASE)
    store.load_sources(graph_dir=project / "graph", ontology_dir=project / "ontology")
    return store


@pytest.fixture
def broken(project_copy) -> Store:
    return _store(project_copy)


def _judge(store, trig: str):
    additions = list(ox.parse((PREFIXES + f"graph:extra {{ {trig} }}").encode(), format=ox.RdfFormat.TRIG))
    return judge_change(store, additions=additions, removals=[], gone=set(), addresses={})


def _said(results) -> set:
    return {(r.severity, str(r.focus_node).removeprefix(TEST_BASE), r.path) for r in results}


BOBS_OWN = {("Violation", "id/bob", "schema:name"), ("Warning", "id/bob", "rdfs:comment")}


def test_a_clean_change_does_not_look_back(broken):
    verdict, cost = _judge(broken, 'id:alice schema:jobTitle "Director"@en .')
    assert verdict.accepted and verdict.caused == verdict.preexisting == () and verdict.before_cost is None
    assert cost.mode == INCREMENTAL


def test_an_unrelated_statement_on_a_node_already_breaking_a_shape_is_accepted(broken):
    verdict, _ = _judge(broken, 'id:bob schema:jobTitle "Researcher"@en .')
    assert verdict.accepted and verdict.caused == () and verdict.blocking == ()
    assert _said(verdict.preexisting) == BOBS_OWN
    assert verdict.before_cost.focus_nodes == 1  # only the node with results after the change
    text = format_verdict(verdict)
    assert text.startswith("already in the graph before this change (not blocking: 1 violation(s), 1 warning(s)")
    assert "what this change causes" not in text
    assert summary(verdict) == text.splitlines()[-1]
    assert summary(verdict).startswith("conforms: 0 violation(s), 0 warning(s), 0 info(s) caused by this change;")


def test_a_caused_violation_blocks_and_is_the_only_one_caused(broken):
    # A second locality through a new address: the maxCount on the path, on Bob.
    verdict, _ = _judge(broken, 'id:bob schema:address [ schema:addressLocality "Haidian"@en ] .')
    assert not verdict.accepted
    assert _said(verdict.caused) == {("Violation", "id/bob", "schema:address/schema:addressLocality")}
    assert verdict.blocking == verdict.caused
    assert _said(verdict.preexisting) == BOBS_OWN
    text = format_verdict(verdict)
    blocking = text.index("what this change causes (blocking: 1 violation(s), 0 warning(s), 0 info(s)):")
    apart = text.index("already in the graph before this change (not blocking: 1 violation(s), 1 warning(s)")
    assert blocking < apart and "addressLocality" in text[blocking:apart] and "addressLocality" not in text[apart:]
    assert text.splitlines()[-1].startswith("does NOT conform: 1 violation(s)")
    # The report of what the change causes: its results only, sh:conforms false.
    caused = verdict.caused_report()
    assert caused.results == list(verdict.caused)
    graph = caused.results_graph
    assert len(set(graph.objects(None, URIRef(SH + "result")))) == 1
    assert set(graph.objects(None, URIRef(SH + "conforms"))) == {_false()}
    assert len(set(verdict.preexisting_report().results_graph.objects(None, URIRef(SH + "result")))) == 2


def _false():
    from rdflib import Literal

    return Literal(False)


def test_a_new_warning_is_set_apart_from_the_same_warning_already_there(broken):
    # Carol has a name but no description: the same warning as Bob's, on another node.
    verdict, _ = _judge(broken, 'id:carol a schema:Person ; schema:name "Carol"@en . id:bob schema:knows id:carol .')
    assert verdict.accepted
    assert _said(verdict.caused) == {("Warning", "id/carol", "rdfs:comment")}
    assert _said(verdict.preexisting) == BOBS_OWN


def test_fixing_one_result_leaves_the_other_as_it_was(broken):
    verdict, _ = _judge(broken, 'id:bob schema:name "Bob"@en .')
    assert verdict.accepted and verdict.caused == ()
    assert _said(verdict.preexisting) == {("Warning", "id/bob", "rdfs:comment")}


def test_results_on_a_blank_node_the_change_makes_are_caused(broken):
    verdict, _ = _judge(broken, "[] a schema:Person .")
    assert not verdict.accepted and {r.severity for r in verdict.caused} == {"Violation", "Warning"}
    assert verdict.preexisting == ()


def test_the_whole_graph_fallback_splits_the_same_way(project_copy):
    # A shape that is also a class (an implicit class target): the shapes cannot be bounded.
    store = _store(project_copy, extra_shapes="\nzkg:Unbounded a sh:NodeShape, rdfs:Class .\n")
    verdict, cost = _judge(store, 'id:bob schema:jobTitle "Researcher"@en .')
    assert cost.mode == WHOLE and verdict.before_cost.mode == WHOLE
    assert verdict.accepted and verdict.caused == () and _said(verdict.preexisting) == BOBS_OWN
    verdict, _ = _judge(store, 'id:bob schema:address [ schema:addressLocality "Haidian"@en ] .')
    assert _said(verdict.blocking) == {("Violation", "id/bob", "schema:address/schema:addressLocality")}


def test_a_match_needs_the_same_value_and_shape():
    def result(value, shape):
        return ValidationResult(
            "Violation", BOB, "schema:knows", value, "", URIRef(shape), shape, "sh:ClassConstraintComponent"
        )

    old = result(URIRef(TEST_BASE + "id/x"), "http://s/A")
    other_value = result(URIRef(TEST_BASE + "id/y"), "http://s/A")
    other_shape = result(URIRef(TEST_BASE + "id/x"), "http://s/B")
    caused, preexisting = split([old, other_value, other_shape], [old])
    assert preexisting == (old,) and caused == (other_value, other_shape)
    # A node the change makes is new, whatever matched before (a label reused).
    assert split([old], [old], new_nodes={BOB}) == ((old,), ())
