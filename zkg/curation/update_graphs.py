"""The graph management operations of SPARQL Update translated: CLEAR, DROP, CREATE, ADD, MOVE, COPY.

None of them reads a pattern: a graph's contents are read from the state the earlier
operations left (the store's quads minus those removed plus those added,
:class:`zkg.curation.pending.PendingState`) and the diff is set arithmetic. CREATE adds
nothing (a graph exists in zkg when it holds quads) but is remembered for the request, so that
a later CLEAR of the graph is not refused. Clearing everything (ALL, NAMED, DEFAULT, or COPY
and MOVE to DEFAULT) leaves what the request's ``keep`` keeps: what no write may remove
(:mod:`zkg.curation.reserved`).
"""

from __future__ import annotations

import pyoxigraph as ox

from zkg.curation.pending import DEFAULT, has_blank
from zkg.curation.update_operations import Operation, UpdateError
from zkg.curation.update_request import UpdateRequest
from zkg.rdf import sparql_scan


def create(request: UpdateRequest, op: Operation) -> str:
    """``CREATE [SILENT] GRAPH iri``."""
    silent = len(op.tokens) > 1 and op.tokens[1].keyword == "SILENT"
    graph, _ = request.graph_ref(op, 2 if silent else 1, allow_default=False)
    if request.state.graph_exists(graph) and not silent:
        raise UpdateError(f"CREATE GRAPH {graph}: the graph exists already (CREATE SILENT ignores that)")
    request.state.created.add(graph)
    return f"CREATE GRAPH {graph}"


def clear(request: UpdateRequest, op: Operation, keyword: str) -> str:
    """``CLEAR`` or ``DROP`` ``[SILENT]`` of ``GRAPH iri``, ``DEFAULT``, ``NAMED`` or ``ALL``."""
    state = request.state
    tokens = op.tokens
    index = 1
    silent = tokens[index].keyword == "SILENT"
    if silent:
        index += 1
    target = tokens[index].keyword
    if target == "ALL":
        removed = state.remove(_bulk(request, state.all_quads()))
        return f"{keyword} {' '.join(sparql_scan.iri_text(t) for t in tokens[1:])}: {removed} removed"
    if target == "NAMED":
        graphs = state.named_graphs()
    elif target == "DEFAULT":
        graphs = [DEFAULT]
    else:
        graph = request.iri(op, tokens[index + 1])
        if not state.graph_exists(graph):
            state.created.discard(graph)
            if silent:
                return f"{keyword} SILENT GRAPH {graph}: no such graph"
            raise UpdateError(f"{keyword} GRAPH {graph}: there is no such graph ({keyword} SILENT ignores that)")
        graphs = [graph]
    removed = 0
    for graph in graphs:
        quads = state.graph_quads(graph)
        removed += state.remove(quads if target not in ("NAMED", "DEFAULT") else _bulk(request, quads))
        if keyword == "DROP":
            state.created.discard(graph)
    return f"{keyword} {' '.join(sparql_scan.iri_text(t) for t in tokens[1:])}: {removed} removed"


def transfer(request: UpdateRequest, op: Operation, keyword: str) -> str:
    """``ADD``, ``MOVE`` or ``COPY`` ``[SILENT]`` from one graph (or DEFAULT) to another."""
    state = request.state
    tokens = op.tokens
    index = 1
    silent = tokens[index].keyword == "SILENT"
    if silent:
        index += 1
    source, index = request.graph_ref(op, index, allow_default=True)
    index += 1  # TO
    target, _ = request.graph_ref(op, index, allow_default=True)
    text = f"{keyword} {' '.join(sparql_scan.iri_text(t) for t in tokens[1:])}"
    if source == target:
        return f"{text}: nothing to do"
    if not state.graph_exists(source):
        if silent:
            return f"{text}: no such graph"
        raise UpdateError(f"{keyword}: the graph {source} does not exist ({keyword} SILENT ignores that)")
    content = state.graph_quads(source)
    if not isinstance(source, ox.DefaultGraph):  # (the union's quads have lost their graphs)
        for quad in content:
            if has_blank(quad) and quad not in state.added:
                for term in (quad.subject, quad.object):
                    if isinstance(term, ox.BlankNode):
                        state.anchors.setdefault(term, quad)
    removed = 0
    if keyword in ("MOVE", "COPY"):
        cleared = state.graph_quads(target)
        removed += state.remove(_bulk(request, cleared) if isinstance(target, ox.DefaultGraph) else cleared)
    added = state.add(ox.Quad(q.subject, q.predicate, q.object, target) for q in content)
    if keyword == "MOVE":
        removed += state.remove(content)
    if not isinstance(target, ox.DefaultGraph):
        state.created.add(target)
    return f"{text}: {removed} removed, {added} added"


def _bulk(request: UpdateRequest, quads: list[ox.Quad]) -> list[ox.Quad]:
    """What a clear of everything (ALL, NAMED, DEFAULT) removes: all but what ``keep`` keeps."""
    if request.keep is None:
        return quads
    if any(isinstance(q.graph_name, ox.DefaultGraph) for q in quads):
        # The union's triples: decide on the quads that hold them.
        triples = {(q.subject, q.predicate, q.object) for q in quads}
        exact = [q for q in request.state.all_quads() if (q.subject, q.predicate, q.object) in triples]
        return [q for q in exact if not request.keep(q)]
    return [q for q in quads if not request.keep(q)]
