"""DELETE/INSERT … WHERE (and DELETE WHERE, WITH, USING) translated into the quads it removes and adds.

The operation of SPARQL Update that reads the store, and so the one whose translation costs
most: the WHERE group is evaluated as ``SELECT * WHERE { … }`` with the operation's dataset
(USING and USING NAMED, else the protocol's ``using-graph-uri`` and
``using-named-graph-uri``, else WITH, else the union of all graphs). Each template is then
instantiated for all solutions at once by running ``INSERT { template } WHERE { VALUES … }``
on a new empty in-memory store: unbound variables and ill-formed quads drop out and template
blank nodes are fresh per solution, exactly as the engine would do it. Blank nodes of the
store travel through VALUES as placeholder IRIs (:data:`~zkg.curation.update_request.BNODE_PLACEHOLDER`)
and are mapped back. DELETE is applied before INSERT, both from the same solutions.

A WHERE runs at the store itself unless an earlier operation of the request changed a graph
it can read; then it runs on an *overlay*, a copy of just those graphs with the pending diff
applied (at most :data:`OVERLAY_LIMIT` quads). :mod:`zkg.curation.update_translation` says
why both are exact.
"""

from __future__ import annotations

import pyoxigraph as ox

from zkg.curation.pending import DEFAULT
from zkg.curation.update_operations import Operation, UpdateError, group_end
from zkg.curation.update_request import BNODE_PLACEHOLDER, UpdateRequest
from zkg.rdf import sparql_scan
from zkg.store.local import Store

#: The most quads copied into an overlay (see the module's docstring).
OVERLAY_LIMIT = 500_000


def delete_where(request: UpdateRequest, op: Operation) -> str:
    """``DELETE WHERE { pattern }``: the pattern is both the WHERE and the DELETE template."""
    end = group_end(op.tokens, 2)
    pattern = op.span(2, end)
    return _modify(request, op, None, pattern, None, [], [], pattern, label="DELETE WHERE")


def modify(request: UpdateRequest, op: Operation) -> str:
    """``[WITH iri] [DELETE { … }] [INSERT { … }] (USING [NAMED] iri)* WHERE { … }``."""
    tokens = op.tokens
    index = 0
    with_graph = None
    if tokens[0].keyword == "WITH":
        with_graph = request.iri(op, tokens[1])
        index = 2
    delete = insert = None
    if tokens[index].keyword == "DELETE":
        end = group_end(tokens, index + 1)
        delete = op.span(index + 1, end)
        index = end + 1
    if index < len(tokens) and tokens[index].keyword == "INSERT":
        end = group_end(tokens, index + 1)
        insert = op.span(index + 1, end)
        request.check_typed_literals(op, index + 1, end, "the INSERT template")
        index = end + 1
    using, using_named = [], []
    while index < len(tokens) and tokens[index].keyword == "USING":
        if tokens[index + 1].keyword == "NAMED":
            using_named.append(request.iri(op, tokens[index + 2]))
            index += 3
        else:
            using.append(request.iri(op, tokens[index + 1]))
            index += 2
    if index < len(tokens) and tokens[index].keyword == "WHERE":
        index += 1
    end = group_end(tokens, index)
    label = " ".join(k for k, t in (("DELETE", delete), ("INSERT", insert)) if t) + " WHERE"
    return _modify(request, op, with_graph, delete, insert, using, using_named, op.span(index, end), label=label)


def _dataset(request: UpdateRequest, with_graph, using, using_named):
    """(default graphs or None for the union, named graphs or None for all)."""
    if using or using_named:
        return using, using_named
    if request.protocol_default or request.protocol_named:
        return request.protocol_default, request.protocol_named
    if with_graph is not None:
        return [with_graph], None
    return None, None


def _modify(
    request: UpdateRequest,
    op: Operation,
    with_graph,
    delete: str | None,
    insert: str | None,
    using,
    using_named,
    where: str,
    *,
    label: str,
) -> str:
    default, named = _dataset(request, with_graph, using, using_named)
    query = f"{op.prologue}\nSELECT * WHERE {where}"
    variables, rows = _solutions(request, op, query, default, named, where)
    with_clause = f"WITH {with_graph} " if with_graph is not None else ""
    removed = added = 0
    if rows:
        values = _values_block(variables, rows)
        if delete is not None:
            quads = _instantiate(request, op, with_clause, delete, values)
            # The template's quads without variables name statements, as DELETE DATA does.
            named = _instantiate(request, op, with_clause, delete, "") if label != "DELETE WHERE" else []
            removed = request.state.remove(quads, named=named)
        if insert is not None:
            quads = _instantiate(request, op, with_clause, insert, values)
            added = request.state.add(quads)
    parts = [f"{len(rows)} solution(s)"]
    if delete is not None:
        parts.append(f"{removed} removed")
    if insert is not None:
        parts.append(f"{added} added")
    return f"{label}: " + ", ".join(parts)


def _instantiate(request: UpdateRequest, op: Operation, with_clause: str, template: str, values: str) -> list[ox.Quad]:
    scratch = request.scratch()
    quads = request.run_scratch(scratch, f"{op.prologue}\n{with_clause}INSERT {template} WHERE {{ {values} }}")
    return [q for q in (_unplace(q) for q in quads) if q is not None]


def _solutions(request: UpdateRequest, op: Operation, query: str, default, named, where: str):
    reads = _graphs_read(request, op, default, named, where)
    pending = request.state.changed_graphs
    if pending and (reads is None or reads & pending):
        target, options = _overlay(request, reads, default, named)
    else:
        target, options = request.store, _options(request, default, named)
    result = target.query(query, **options)
    variables = [v.value for v in result.variables]
    rows = [tuple(row[name] for name in variables) for row in result]
    return variables, rows


def _options(request: UpdateRequest, default, named) -> dict:
    if default is None:
        return {}  # the union default graph and every named graph
    # Given a default graph, a remote store keeps only the named graphs it is told of.
    return {"default_graph": default, "named_graphs": named if named is not None else request.state.store_graphs()}


def _graphs_read(request: UpdateRequest, op: Operation, default, named, where: str) -> set | None:
    """The graphs a WHERE can read (None: any of them)."""
    if default is None:
        return None  # the union of all graphs
    graphs = set(default)
    if named is not None:
        return graphs | set(named)
    items = list(sparql_scan.tokens(where))
    for token, following in zip(items, items[1:]):
        if token.keyword == "GRAPH":
            if following.kind not in ("iri", "pname"):
                return None  # GRAPH ?g: any named graph
            graphs.add(request.iri(op, following))
    return graphs


def _overlay(request: UpdateRequest, reads: set | None, default, named):
    """A new in-memory store holding the current state of the graphs a WHERE reads, and
    the query options that give it the same dataset."""

    state = request.state
    if reads is None:
        graphs = [*state.store_graphs(), DEFAULT]
        graphs += [g for g in state.changed_graphs if g not in graphs]
    else:
        graphs = sorted(reads, key=str)
    overlay = ox.Store()
    copied = 0
    for graph in graphs:
        quads = state.graph_quads(graph)
        copied += len(quads)
        if copied > OVERLAY_LIMIT:
            raise UpdateError(
                f"an operation of this request reads graphs that earlier operations changed, and they hold "
                f"more than {OVERLAY_LIMIT} quads: send the operations as separate requests, or name the "
                "graphs it reads (USING, WITH, GRAPH <iri>)"
            )
        overlay.extend(quads)
    store = Store(overlay, base_iri=request.base_iri, data_dir=None)
    if default is None:
        return store, {}
    # pyoxigraph keeps every named graph when given only a default graph.
    return store, {"default_graph": default} if named is None else {"default_graph": default, "named_graphs": named}


# -- VALUES and placeholders --------------------------------------------------------------------


def _place(term) -> str:
    if term is None:
        return "UNDEF"
    if isinstance(term, ox.BlankNode):
        return f"<{BNODE_PLACEHOLDER}{term.value}>"
    return str(term)


def _values_block(variables: list[str], rows: list[tuple]) -> str:
    heads = " ".join(f"?{v}" for v in variables)
    body = " ".join("(" + " ".join(_place(t) for t in row) + ")" for row in rows)
    return f"VALUES ({heads}) {{ {body} }}"


def _unplace_term(term):
    if isinstance(term, ox.NamedNode) and term.value.startswith(BNODE_PLACEHOLDER):
        return ox.BlankNode(term.value[len(BNODE_PLACEHOLDER) :])
    return term


def _unplace(quad: ox.Quad) -> ox.Quad | None:
    """The quad with the store's blank nodes back; None where a blank node would be a
    predicate or a graph name (such a quad is ill-formed and the engine would skip it)."""
    terms = (quad.subject, quad.predicate, quad.object, quad.graph_name)
    subject, predicate, obj, graph = (_unplace_term(t) for t in terms)
    if isinstance(predicate, ox.BlankNode) or isinstance(graph, ox.BlankNode):
        return None
    return ox.Quad(subject, predicate, obj, graph)
