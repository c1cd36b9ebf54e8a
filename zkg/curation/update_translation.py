"""SPARQL 1.1 Update text → the changeset it means: the quads it adds and the quads it removes.

zkg never lets an engine run a curator's update: every write is a changeset that is checked
before one atomic write (:mod:`zkg.curation.apply`). This module works out that changeset. The
store is only read, through the facade's ``query()`` (a :class:`zkg.store.local.Store` or an
:class:`zkg.store.remote.RemoteStore`); nothing is written and nothing is fetched from the web.

How
---
Here the request is split and each operation handed to the translator of its kind: the data
blocks below, DELETE/INSERT … WHERE in :mod:`zkg.curation.update_where`, the graph
operations in :mod:`zkg.curation.update_graphs`, all on what :mod:`zkg.curation.update_request`
keeps of the request.

1. **Refuse and check, then split** (:mod:`zkg.curation.update_operations`). LOAD and SERVICE
   are refused (no outbound requests); the whole text is parsed by pyoxigraph's own parser on
   an empty in-memory store (syntax errors with ``line:column``); zkg's SPARQL lexer splits it
   into operations, each with its prologue. Here each operation is cut into its parts (WITH,
   the DELETE and INSERT templates, USING / USING NAMED, the WHERE group, the graph references
   of CLEAR, DROP, CREATE, ADD, MOVE and COPY); every template, pattern and data block is
   parsed by pyoxigraph.
2. **Evaluate, operation by operation, on the state the earlier ones left.** A
   :class:`zkg.curation.pending.PendingState` holds the diff so far: quads added (not in the
   store) and quads removed (in the store); the state an operation sees is
   ``(store - removed) + added``.
   - INSERT DATA / DELETE DATA: the data block is parsed by running ``INSERT DATA`` on a new
     empty in-memory store and reading its quads back (blank nodes come out fresh, as the
     spec says); they are then added to / removed from the state.
     The store keeps values, not lexical forms (``"128"^^xsd:byte`` comes back as an
     xsd:integer): so the typed literals written in INSERT DATA blocks and INSERT templates
     are first checked as written (:mod:`zkg.rdf.lexical`; 400 for an ill-typed one).
   - DELETE/INSERT … WHERE (and DELETE WHERE, WITH, USING, the protocol's
     ``using-graph-uri`` / ``using-named-graph-uri``): the WHERE group is evaluated as
     ``SELECT * WHERE { … }`` with the operation's dataset. Each template is then
     instantiated for all solutions at once by running ``INSERT { template } WHERE { VALUES
     … }`` on a new empty in-memory store (unbound variables and ill-formed quads drop out,
     template blank nodes are fresh per solution, exactly as the engine would do it). Blank
     nodes of the store in solutions travel through VALUES as placeholder IRIs and are mapped
     back. DELETE is applied before INSERT, both from the same solutions.
   - CLEAR, DROP, ADD, MOVE, COPY: graph contents are read from the state (store quads minus
     removed plus added) and the diff computed by set arithmetic. CREATE adds nothing (a
     graph exists in zkg when it holds quads) but is remembered for the request.
   **Where a WHERE is evaluated.** When nothing is pending, or nothing pending touches a
   graph the WHERE can read, it runs at the store itself. Otherwise (a later operation of a
   request whose earlier operations changed what it reads) it runs on an *overlay*: a new
   in-memory store holding a copy of just the graphs the WHERE can read (those of
   USING/WITH, of the protocol parameters and of constant ``GRAPH <iri>`` patterns; all of
   them when it reads the union default graph or has ``GRAPH ?var``), with the pending
   diff applied. The overlay is exact; its cost is the size of the graphs copied, paid only
   by such requests (past :data:`~zkg.curation.update_where.OVERLAY_LIMIT` quads the request is refused: send the
   operations as separate requests, or name the graphs).
3. **The changeset.** Additions are only quads not already in the store and removals only
   quads in it (so that reverting the changeset restores the exact previous state); a quad
   added then removed within the request (or the reverse) cancels out.

**The default graph is the union of all graphs** (DESIGN.md, decision 4), in updates as in
queries, unless WITH, USING or ``using-graph-uri`` name the graphs:

- reading it (a WHERE, the source of ADD/MOVE/COPY) reads every triple of every graph;
- writing to it (INSERT without GRAPH, the target of ADD/MOVE/COPY) adds to the changeset's
  own named graph ``{base}graph/changes/<id>`` (the changeset carries a default-graph quad;
  :class:`zkg.curation.changesets.Changeset` puts it there), where the changeset's source and author
  describe it, even when another graph already holds the triple (a second source for it);
- deleting from it (DELETE without GRAPH, DELETE DATA, CLEAR/DROP DEFAULT, the clearing of
  the target of COPY/MOVE … TO DEFAULT) deletes the triple from every graph that holds it.
  So ``CLEAR DEFAULT`` empties everything, like ``CLEAR ALL``; ``CLEAR NAMED`` leaves only
  the store's own default graph (where only Graph Store clients write, with ``?default``).

>>> from zkg.store.local import Store
>>> store = Store.open(base_iri="http://zkg.test/")
>>> store.update('INSERT DATA { GRAPH graph:a { id:x schema:name "Old" } }')
>>> t = translate_update(store, 'DELETE { GRAPH ?g { ?s schema:name "Old" } } '
...                             'INSERT { GRAPH ?g { ?s schema:name "New" } } WHERE { GRAPH ?g { ?s schema:name "Old" } }')
>>> [str(q) for q in t.removals], [str(q) for q in t.additions]
(['<http://zkg.test/id/x> <https://schema.org/name> "Old" <http://zkg.test/graph/a>'], ['<http://zkg.test/id/x> <https://schema.org/name> "New" <http://zkg.test/graph/a>'])
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator, Sequence

import pyoxigraph as ox

from zkg.base.errors import QueryRefused
from zkg.curation import update_graphs, update_where
from zkg.curation.pending import Translation, sort_key
from zkg.curation.update_operations import Operation, UpdateError, check_syntax, group_end, split_operations
from zkg.curation.update_request import UpdateRequest
from zkg.sparql.reading import Reading


def translate_update(
    store,
    text: str,
    *,
    using_graphs: Sequence[str] = (),
    using_named_graphs: Sequence[str] = (),
    keep: Callable[[ox.Quad], bool] | None = None,
    reading: Reading | None = None,
) -> Translation:
    """The changeset an update request means against ``store`` (read only, never written).

    ``using_graphs`` / ``using_named_graphs`` are the protocol's ``using-graph-uri`` and
    ``using-named-graph-uri``. ``keep(quad)`` marks quads that clearing everything (CLEAR or
    DROP ALL / NAMED / DEFAULT, COPY or MOVE to DEFAULT) leaves alone: those no write may
    change (the vocabulary, the shapes, the record of changesets). Raises QueryError (syntax,
    400), QueryRefused (LOAD, SERVICE) or UpdateError (a graph missing without SILENT, a
    dataset named twice). ``reading``: as for :func:`zkg.curation.update_operations.check_syntax`.
    """
    reading = check_syntax(text, base_iri=store.base_iri, prefixes=store.prefixes, reading=reading)
    request = UpdateRequest(store, reading.engine_text, using_graphs, using_named_graphs, keep, reading)
    operations = split_operations(request.text)
    uses_dataset_clause = any(_has_dataset_clause(op) for op in operations)
    if (request.protocol_default or request.protocol_named) and uses_dataset_clause:
        raise UpdateError(
            "the request names its dataset twice: with using-graph-uri / using-named-graph-uri "
            "and with USING, USING NAMED or WITH in the update; use one or the other"
        )
    summaries = [_operation(request, op) for op in operations]
    return request.state.result(summaries)


def iter_quads_text(quads: Iterable[ox.Quad]) -> Iterator[str]:
    """N-Quads lines, for reports and tests."""
    for quad in sorted(quads, key=sort_key):
        yield f"{quad} ."


def _has_dataset_clause(op: Operation) -> bool:
    depth = 0
    for token in op.tokens:
        if token.kind == "punct" and token.text in "{}":
            depth += 1 if token.text == "{" else -1
        elif depth == 0 and token.keyword in ("USING", "WITH"):
            return True
    return False


def _operation(request: UpdateRequest, op: Operation) -> str:
    """Translate one operation into the request's state; one line saying what it did."""
    tokens = op.tokens
    first = tokens[0].keyword
    second = tokens[1].keyword if len(tokens) > 1 else ""
    if first in ("INSERT", "DELETE") and second == "DATA":
        return _data(request, op, first)
    if first == "DELETE" and second == "WHERE":
        return update_where.delete_where(request, op)
    if first in ("WITH", "INSERT", "DELETE"):
        return update_where.modify(request, op)
    if first in ("CLEAR", "DROP"):
        return update_graphs.clear(request, op, first)
    if first == "CREATE":
        return update_graphs.create(request, op)
    if first in ("ADD", "MOVE", "COPY"):
        return update_graphs.transfer(request, op, first)
    if first == "LOAD":  # refused before; kept for safety
        raise QueryRefused("LOAD is not allowed: zkg fetches nothing from the web")
    raise UpdateError(f"unsupported update operation {tokens[0].text}")


def _data(request: UpdateRequest, op: Operation, keyword: str) -> str:
    """INSERT DATA / DELETE DATA: the block's quads read back from a scratch store."""
    end = group_end(op.tokens, 2)
    if keyword == "INSERT":
        request.check_typed_literals(op, 2, end, "INSERT DATA")
    quads = request.run_scratch(request.scratch(), f"{op.prologue}\nINSERT DATA {op.span(2, end)}")
    if keyword == "INSERT":
        return f"INSERT DATA: {request.state.add(quads)} added"
    return f"DELETE DATA: {request.state.remove(quads, named=quads)} removed"
