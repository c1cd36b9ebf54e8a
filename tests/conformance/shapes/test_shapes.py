"""The SHACL shapes of ontology/shapes/: each one proven by a fixture that trips it alone,
and the real graph conforming.

Which shapes need a fixture (the rule): every shape that can be the sh:sourceShape of a
result, that is

- every property shape (sh:property) of a targeted node shape, and
- every targeted node shape with constraints of its own (sh:or, sh:sparql, ...), not only
  property shapes.

Its fixture is ``fixtures/<local name of the shape>.trig``: a small, otherwise valid graph
that, validated with the ontology files, gets results from that shape only, at its severity.
The value shapes of common.ttl have no targets; they are exercised through the shapes that
use them (sh:node) and have no fixtures of their own.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import RDF

from tests.support.shapes_testing import BASE_IRI, FIXTURES_DIR, GRAPH_DIR, SH, SHAPES_DIR, SHAPES_NS, parse_trig_union

TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)
# Predicates of a node shape that are not constraints of its own.
NOT_CONSTRAINTS = set(TARGETS) | {
    SH.property,
    SH.severity,
    SH.message,
    SH.name,
    SH.description,
    SH.deactivated,
    SH.order,
    SH.group,
}
WARNING_FILES = {"warnings.ttl"}


def _shapes_under_test() -> dict[URIRef, Path]:
    """Every shape that needs a fixture, with the file that defines it (parsed at collection)."""
    found: dict[URIRef, Path] = {}
    for path in sorted(SHAPES_DIR.glob("*.ttl")):
        graph = Graph().parse(path, format="turtle", publicID=BASE_IRI)
        targeted = {s for t in TARGETS for s in graph.subjects(t, None)}
        for shape in targeted:
            own = {p for p in graph.predicates(shape, None) if str(p).startswith(str(SH))} - NOT_CONSTRAINTS
            if own:
                found[shape] = path
            for prop in graph.objects(shape, SH.property):
                if (prop, SH.path, None) in graph:  # defined in this file (may be shared by others)
                    found[prop] = path
    return found


SHAPES = _shapes_under_test()


def local_name(shape) -> str:
    assert str(shape).startswith(SHAPES_NS), f"{shape} is not under {SHAPES_NS}"
    return str(shape)[len(SHAPES_NS) :]


def fixture_path(shape) -> Path:
    return FIXTURES_DIR / f"{local_name(shape)}.trig"


def severity_of(shapes_graph: Graph, shape) -> URIRef:
    return shapes_graph.value(shape, SH.severity)


# -- the shapes themselves -----------------------------------------------------------------


def test_shapes_are_found():
    assert len(SHAPES) > 20


def test_property_shapes_of_targeted_shapes_are_named(shapes_graph):
    """A blank property shape could not be named by a fixture nor by a report reader."""
    targeted = {s for t in TARGETS for s in shapes_graph.subjects(t, None)}
    blank = [
        (shape, prop)
        for shape in targeted
        for prop in shapes_graph.objects(shape, SH.property)
        if isinstance(prop, BNode)
    ]
    assert blank == []


@pytest.mark.parametrize("shape", sorted(SHAPES), ids=local_name)
def test_shape_has_name_message_and_severity(shapes_graph, shape):
    assert shapes_graph.value(shape, SH.name) is not None, "no sh:name"
    assert shapes_graph.value(shape, SH.message) is not None, "no sh:message"
    assert severity_of(shapes_graph, shape) in (SH.Violation, SH.Warning, SH.Info), "no explicit sh:severity"
    for constraint in shapes_graph.objects(shape, SH.sparql):
        # pySHACL would report it beside the shape's message: one message per result.
        assert shapes_graph.value(constraint, SH.message) is None, "a SPARQL constraint with its own sh:message"


def test_targeted_node_shapes_have_name_and_severity(shapes_graph):
    targeted = {s for t in TARGETS for s in shapes_graph.subjects(t, None)}
    missing = sorted(
        str(s) for s in targeted if shapes_graph.value(s, SH.name) is None or shapes_graph.value(s, SH.severity) is None
    )
    assert missing == []


def test_one_severity_per_file():
    """warnings.ttl holds only sh:Warning shapes; every other file only sh:Violation shapes."""
    for path in sorted(SHAPES_DIR.glob("*.ttl")):
        graph = Graph().parse(path, format="turtle", publicID=BASE_IRI)
        expected = SH.Warning if path.name in WARNING_FILES else SH.Violation
        wrong = sorted(str(s) for s, sev in graph.subject_objects(SH.severity) if sev != expected)
        assert wrong == [], f"{path.name}: shapes not at {expected}"


# -- one failing fixture per shape ---------------------------------------------------------


@pytest.mark.parametrize("shape", sorted(SHAPES), ids=local_name)
def test_fixture_trips_exactly_its_shape(check, shapes_graph, shape):
    path = fixture_path(shape)
    assert path.is_file(), f"no fixture {path.relative_to(FIXTURES_DIR.parent)} for {local_name(shape)}"
    results = check(parse_trig_union([path]))
    assert results, f"{path.name} conforms without any result: it trips nothing"
    report = "\n".join(map(str, results))
    assert {r.source_shape for r in results} == {shape}, f"{path.name} trips other shapes:\n{report}"
    expected = severity_of(shapes_graph, shape)
    assert {r.severity for r in results} == {expected}, f"{path.name}: not all at {expected}:\n{report}"


def test_every_fixture_belongs_to_a_shape():
    names = {local_name(shape) for shape in SHAPES}
    orphans = sorted(p.name for p in FIXTURES_DIR.glob("*.trig") if p.stem not in names)
    assert orphans == []


# -- the real graph ------------------------------------------------------------------------


def test_real_graph_has_no_violations(real_results):
    violations = [r for r in real_results if r.severity == SH.Violation]
    assert violations == [], "\n".join(map(str, violations))


def test_real_graph_warnings_come_from_warning_shapes(real_results, shapes_graph):
    for result in real_results:
        assert severity_of(shapes_graph, result.source_shape) == result.severity


def test_every_source_graph_is_described():
    """What SHACL cannot see in a union: each named graph of graph/sources/ is described in
    the metadata with a dcterms:source, so that SourceGraphShape checks its provenance."""
    from rdflib import Dataset
    from rdflib.namespace import DCTERMS

    metadata = parse_trig_union(sorted(GRAPH_DIR.rglob("*.trig")))
    for path in sorted((GRAPH_DIR / "sources").glob("*.trig")):
        dataset = Dataset()
        dataset.parse(path, format="trig", publicID=BASE_IRI)
        names = {g.identifier for g in dataset.graphs() if len(g) and g.identifier != dataset.default_graph.identifier}
        assert names, f"{path.name} has no named graph"
        for name in names:
            assert metadata.value(name, DCTERMS.source) is not None, f"{name} ({path.name}) has no dcterms:source"


# -- guards against silently weaker shapes -------------------------------------------------


def test_referenced_shapes_are_defined(shapes_graph):
    """A misspelt sh:node or sh:property target would be an empty shape that always conforms."""
    undefined = []
    for predicate in (SH.node, SH.property, SH.qualifiedValueShape, SH["not"]):
        for referrer, shape in shapes_graph.subject_objects(predicate):
            if not any(True for p in shapes_graph.predicates(shape, None) if str(p).startswith(str(SH))):
                undefined.append(f"{referrer} {predicate} {shape}")
    assert undefined == []


def _or_classes(shapes_graph, helper) -> set:
    from rdflib.collection import Collection

    return {
        shapes_graph.value(member, SH["class"])
        for member in Collection(shapes_graph, shapes_graph.value(helper, SH["or"]))
    } - {None}


def test_class_lists_agree(shapes_graph):
    """The classes that count as an organisation, a place or an event are listed in several
    shapes (no schema.org/ORG hierarchy in the graph): the lists must not drift apart."""
    z = lambda name: URIRef(SHAPES_NS + name)  # noqa: E731
    targets = lambda shape: set(shapes_graph.objects(z(shape), SH.targetClass))  # noqa: E731
    organizations = _or_classes(shapes_graph, z("AnOrganization"))
    places = _or_classes(shapes_graph, z("APlace"))
    events = _or_classes(shapes_graph, z("AnEvent"))
    assert targets("OrganizationShape") == organizations == targets("OrganizationWarnings")
    assert targets("PlaceShape") == places
    assert targets("EventShape") | {URIRef("https://schema.org/EventSeries")} == events
    assert targets("EventWarnings") == targets("EventShape")
    entity_classes = organizations | places | events | targets("ActionShape") | targets("StatementShape")
    assert entity_classes <= targets("EntityShape")
    assert targets("EntityShape") | {URIRef("http://www.w3.org/ns/org#Membership")} == targets("EnglishLabelWarning")


# prov:Agent and prov:Entity only ever accompany another, targeted type (a person, an
# organisation, an article) or describe a named graph (SourceGraphShape targets those).
UNTARGETED_OK = {URIRef("http://www.w3.org/ns/prov#Agent"), URIRef("http://www.w3.org/ns/prov#Entity")}


def test_every_class_the_data_uses_is_targeted(shapes_graph, ontology_graph, real_data_graph):
    """A new class in graph/ needs a shape (or a superclass in the vocabulary that has one)."""
    from rdflib.namespace import RDFS

    targeted = set(shapes_graph.objects(None, SH.targetClass))
    missing = sorted(
        str(c)
        for c in set(real_data_graph.objects(None, RDF.type)) - UNTARGETED_OK
        if not set(ontology_graph.transitive_objects(c, RDFS.subClassOf)) & targeted
    )
    assert missing == []
