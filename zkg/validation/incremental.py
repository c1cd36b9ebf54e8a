"""Incremental validation: the shapes' verdict on the nodes a changeset touches, read from a
bounded neighbourhood instead of the whole graph.

Given the effective changeset (exact quads removed and added, its metadata included):

1. **Focus nodes.** Every subject of a changed statement; every object of one where a shape
   reads that predicate backwards from its focus node (``^org:hasUnit``, targets of
   ``sh:targetObjectsOf``); and the nodes whose verdict reads the changed statement further
   away, found by walking the shapes' paths back from the statement (one SELECT, each walk
   limited to the nodes the shape owning the path targets). Example: removing
   ``id:x a schema:Organization`` makes every person whose ``org:memberOf`` points at
   ``id:x`` a focus node; changing a membership's ``org:organization`` makes its member one
   (the ``org:headOf`` check). See :mod:`zkg.validation.reach` for what the shapes read.
2. **Candidate graph.** Breadth first along the paths of the shapes that target each focus
   node (:class:`zkg.validation.reach.Analysis`), one SELECT per level: the statements each
   path step reads, from the store, plus the changeset's additions, minus its removals
   (a removed statement still held by another graph stays). Blank nodes of the store are
   addressed by the path that reached them (SPARQL cannot name them). The number of queries
   is bounded by the depth of the shapes' paths; what they return is the part of the graph
   the shapes read from the focus nodes: it does not grow with the rest of the graph.
   A symmetric SPARQL constraint comparing a node with many others (IC-12: an observation
   with the others of its data set) declares a peer search instead of a path: one
   index-driven query finds the few nodes that can matter, from what the candidate says of
   the focus node after the change, and their statements are fetched
   (:mod:`zkg.validation.peers`).
3. **Validate** the candidate plus the vocabulary with pySHACL, with every shape aimed at
   the focus nodes it targets and at no other node (:mod:`zkg.validation.focus`: the nodes
   fetched as context are not validated; pySHACL's ``focus_nodes`` option is not used: it
   filters the nested evaluations too, so ``sh:node`` on value nodes went unchecked). Since
   each focus node's whole reach is in the candidate, its results are those the whole graph
   would give.

Steps 1 and 2 are :mod:`zkg.validation.neighbourhood`; this module holds the shapes'
analysis (once per content of the shapes and vocabulary), step 3 and the fallback below.

When the shapes use something :mod:`zkg.validation.reach` cannot bound, the whole graph (with the
changeset applied) is validated instead: exact, not bounded (``ValidationCost.mode``).
Blank node labels must be stable across queries (pyoxigraph and the Oxigraph server keep
them so).
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from dataclasses import dataclass, field

import pyoxigraph as ox

from zkg.rdf.prefixes import graph_iri, prefixes
from zkg.rdf.rdflib_view import rdflib_graph, rdflib_term
from zkg.store import loading
from zkg.validation.focus import FocusShapes
from zkg.validation.neighbourhood import Asker, Neighbourhood, build_candidate, focus_nodes
from zkg.validation.reach import Analysis, Unsupported, analyse
from zkg.validation.shacl import Report, part_of, validate_graphs

INCREMENTAL, WHOLE = "incremental", "whole graph"


@dataclass(frozen=True)
class ValidationCost:
    """What validation looked at (for tests, dry runs and benchmarks)."""

    mode: str  # INCREMENTAL or WHOLE
    focus_nodes: int
    queries: int  # SPARQL queries for the neighbourhood and the focus nodes
    quads_fetched: int  # rows those queries returned
    candidate_triples: int  # triples pyshacl validated (data + vocabulary)
    reason: str = ""  # why WHOLE
    focus: frozenset = field(default=frozenset(), repr=False, compare=False)  # the focus nodes (pyoxigraph terms)
    # How the store's blank nodes met are found again ({node: (pattern, variable)}): the same
    # focus nodes can be validated on the graph before the change (zkg.validation.causes).
    addresses: dict = field(default_factory=dict, repr=False, compare=False)


# -- the shapes and vocabulary, analysed once per content ------------------------------------------


@dataclass
class ShapesContext:
    shapes: object  # rdflib.Graph
    vocabulary: object  # rdflib.Graph
    analysis: Analysis | None
    unsupported: str  # why analysis is None
    vocabulary_triples: frozenset  # (s, p, o) pyoxigraph terms
    focus_shapes: FocusShapes | None = None  # the shapes to aim at focus nodes (with analysis)


_CONTEXTS: dict[str, ShapesContext] = {}
_CONTEXTS_LOCK = threading.Lock()


def shapes_context(store) -> ShapesContext:
    """The shapes and vocabulary graphs of ``store``, with their analysis (cached by content)."""

    base = store.base_iri
    shapes = list(store.quads(graph_iri(base, loading.SHAPES)))
    vocabulary = list(store.quads(graph_iri(base, loading.VOCABULARY)))
    digest = hashlib.sha256()
    for quad in sorted(str(q) for q in itertools.chain(shapes, vocabulary)):  # str(q) names the graph
        digest.update(quad.encode("utf-8") + b"\n")
    key = base + digest.hexdigest()
    with _CONTEXTS_LOCK:
        context = _CONTEXTS.get(key)
    if context is not None:
        return context
    shapes_graph, vocabulary_graph = rdflib_graph(shapes), rdflib_graph(vocabulary)
    try:
        analysis, why = analyse(shapes_graph, vocabulary_graph, base_iri=base, prefix_map=prefixes(base)), ""
    except Unsupported as error:
        analysis, why = None, str(error)
    context = ShapesContext(
        shapes_graph,
        vocabulary_graph,
        analysis,
        why,
        frozenset((q.subject, q.predicate, q.object) for q in vocabulary),
        FocusShapes(shapes_graph) if analysis is not None else None,
    )
    with _CONTEXTS_LOCK:
        if len(_CONTEXTS) > 8:
            _CONTEXTS.clear()
        _CONTEXTS[key] = context
    return context


# -- validation -----------------------------------------------------------------------------------------


def validate_changeset(
    store,
    *,
    additions: list[ox.Quad],
    removals: list[ox.Quad],
    gone: set,
    addresses: dict,
    context: ShapesContext | None = None,
) -> tuple[Report, ValidationCost]:
    """The report of the shapes on the focus nodes of a change, and what it cost.

    ``additions`` and ``removals`` are the exact quads (metadata included); ``gone`` the
    removed triples no graph holds afterwards; ``addresses`` SPARQL patterns finding the
    store's blank nodes among the removals ({node: (pattern, variable)}).
    """

    context = context or shapes_context(store)
    asker = Asker(store)
    if context.analysis is None:
        return validate_whole(store, asker, context, additions, removals)
    added = {(q.subject, q.predicate, q.object) for q in additions}
    hood = Neighbourhood(added, gone, new_blank_nodes(additions, addresses), addresses)
    changed = added | {(q.subject, q.predicate, q.object) for q in removals}
    focus = focus_nodes(asker, hood, context.analysis, changed)
    build_candidate(asker, hood, context.analysis, focus)
    report, triples = validate_candidate(store, context, hood, focus)
    cost = ValidationCost(
        INCREMENTAL, len(focus), asker.queries, asker.rows, triples, focus=frozenset(focus), addresses=hood.addresses
    )
    return report, cost


def new_blank_nodes(additions, addresses: dict) -> set:
    """The blank nodes the change makes: those of the additions that are not the store's."""
    return {t for q in additions for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)} - set(addresses)


def validate_candidate(store, context: ShapesContext, hood: Neighbourhood, focus: set) -> tuple[Report, int]:
    """Step 3: the shapes' report on the ``focus`` nodes over the candidate graph ``hood`` has
    built (plus the vocabulary), and the number of triples validated."""
    data = rdflib_graph(ox.Quad(s, p, o) for s, p, o in hood.triples())
    for triple in context.vocabulary:  # part of the data graph (zkg.validation.shacl), targets included
        data.add(triple)
    focus_terms = {rdflib_term(f) for f in focus}
    # Each shape validates the focus nodes it targets and no other node of the candidate
    # (zkg.validation.focus); the results are still restricted to the focus nodes, as a guard.
    with context.focus_shapes.aimed_at(context.focus_shapes.targeted(data, focus_terms)) as shapes:
        report = validate_graphs(data, shapes, (), prefix_map=store.prefixes)
    return part_of(report, lambda r: r.focus_node in focus_terms), len(data)


def validate_whole(store, asker: Asker, context: ShapesContext, additions, removals):
    """Fallback: the whole graph with the change applied (none: the graph as it is)."""

    base = store.base_iri
    skip = {ox.NamedNode(graph_iri(base, loading.SHAPES)), ox.NamedNode(graph_iri(base, loading.VOCABULARY))}
    quads = {q for q in store.quads() if q.graph_name not in skip}
    asker.queries += 1
    asker.rows += len(quads)
    quads -= set(removals)
    quads |= {q for q in additions if q.graph_name not in skip}
    data = rdflib_graph(quads)
    report = validate_graphs(data, context.shapes, context.vocabulary, prefix_map=store.prefixes)
    cost = ValidationCost(WHOLE, 0, asker.queries, asker.rows, len(data), reason=context.unsupported)
    return report, cost
