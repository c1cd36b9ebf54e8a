"""Validating the focus nodes only: the shapes graph with every shape's targets replaced by
the focus nodes it targets.

Incremental validation (:mod:`zkg.validation.incremental`) gives pySHACL a candidate graph holding,
besides the focus nodes, nodes read only as context: the values the shapes read, the other
observations of a data set that may duplicate a new one (:mod:`zkg.validation.peers`), the
vocabulary's code lists. With the shapes as they are, pySHACL validates those too, each with
every shape targeting it (every fetched observation running the Data Cube SPARQL
constraints), only for the results to be dropped. pySHACL's ``focus_nodes`` option is no
way out: it also filters the nested evaluations (``sh:node`` on a value node goes unchecked).

So validation uses a derived shapes graph: the shapes with every target declaration
removed (built once per shapes content), plus, for one validation, ``shape sh:targetNode f``
for each focus node ``f`` the shape targets in the data graph, with pySHACL's semantics:
``sh:targetClass`` with the subclasses the data graph declares (``rdfs:subClassOf*``, the
vocabulary being part of the data graph), ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``,
``sh:targetNode``. A shape checks a node the same way however the node was targeted, so each
focus node gets the results the original shapes give it, and no other node is validated.
Implicit class targets (a shape that is a class) are not handled here: :mod:`zkg.validation.reach`
refuses them, and the whole graph is validated instead.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass

from zkg.rdf.namespaces import SH

TARGET_KINDS = ("targetClass", "targetSubjectsOf", "targetObjectsOf", "targetNode")


@dataclass(frozen=True)
class ShapeTargets:
    """What one shape declares as its targets (rdflib terms)."""

    shape: object
    classes: frozenset
    subjects_of: frozenset
    objects_of: frozenset
    nodes: frozenset

    def targets(self, data, node, classes: set) -> bool:
        """Whether this shape targets ``node`` of the data graph ``data``, whose classes
        (types and their superclasses) are ``classes``."""
        return bool(
            node in self.nodes
            or self.classes & classes
            or any((node, p, None) in data for p in self.subjects_of)
            or any((None, p, node) in data for p in self.objects_of)
        )


class FocusShapes:
    """A shapes graph without targets, to be aimed at focus nodes (see the module docstring)."""

    def __init__(self, shapes_graph):
        from rdflib import Graph, URIRef

        kinds = {name: URIRef(SH + name) for name in TARGET_KINDS}
        self.targets = [
            ShapeTargets(shape, *(frozenset(shapes_graph.objects(shape, kinds[name])) for name in TARGET_KINDS))
            for shape in sorted({s for k in kinds.values() for s in shapes_graph.subjects(k, None)}, key=str)
        ]
        self.graph = Graph()
        for prefix, namespace in shapes_graph.namespaces():
            self.graph.bind(prefix, namespace)
        dropped = set(kinds.values())
        for triple in shapes_graph:
            if triple[1] not in dropped:
                self.graph.add(triple)
        self._target_node = kinds["targetNode"]
        # The graph is aimed at one validation's focus nodes at a time (pySHACL also adds a few
        # RDFS axioms to the shapes graph it is given: it is never shared with another run).
        self._lock = threading.Lock()

    def targeted(self, data, focus) -> list[tuple]:
        """(shape, node) for each node of ``focus`` (rdflib terms) each shape targets in ``data``."""
        from rdflib import RDF, RDFS

        superclasses: dict = {}  # a type -> it and its superclasses (rdfs:subClassOf*)
        pairs = []
        for node in sorted(focus, key=str):
            classes = set()
            for cls in data.objects(node, RDF.type):
                if cls not in superclasses:
                    superclasses[cls] = set(data.transitive_objects(cls, RDFS.subClassOf))
                classes |= superclasses[cls]
            pairs += [(t.shape, node) for t in self.targets if t.targets(data, node, classes)]
        return pairs

    @contextmanager
    def aimed_at(self, pairs):
        """The derived shapes graph with ``shape sh:targetNode node`` for each pair, for the
        duration of the block (one block at a time)."""
        added = [(shape, self._target_node, node) for shape, node in pairs]
        with self._lock:
            for triple in added:
                self.graph.add(triple)
            try:
                yield self.graph
            finally:
                for triple in added:
                    self.graph.remove(triple)
