"""SPARQL 1.1 Update text → the changeset it means: the quads it adds and the quads it removes.

zkg never lets an engine run a curator's update: every write is a changeset that is checked
before one atomic write (:mod:`zkg.curation.apply`). This module works out that changeset. The
store is only read, through the facade's ``query()`` (a :class:`zkg.store.local.Store` or an
:class:`zkg.store.remote.RemoteStore`); nothing is written and nothing is fetched from the web.

How
---
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
   by such requests (past :data:`OVERLAY_LIMIT` quads the request is refused: send the
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

from zkg.base.errors import QueryError, QueryRefused
from zkg.curation.changesets import IllTypedLiteral
from zkg.curation.pending import DEFAULT, PendingState, Translation, has_blank, sort_key
from zkg.curation.update_operations import Operation, UpdateError, check_syntax, group_end, split_operations
from zkg.rdf import lexical, sparql_scan
from zkg.rdf.sparql_lexer import Token
from zkg.sparql.reading import Reading
from zkg.store.local import Store

#: The most quads copied into an overlay (see the module's docstring).
OVERLAY_LIMIT = 500_000
#: Placeholder IRIs that carry the store's blank nodes through VALUES.
BNODE_PLACEHOLDER = "urn:x-zkg:bnode:"
TYPED_PLACEHOLDER = "urn:x-zkg:typed:"  # subject and predicates of the typed-literal check


# -- the translator ---------------------------------------------------------------------------------


class _Translator:
    def __init__(
        self,
        store,
        text: str,
        using_graphs: Sequence[str],
        using_named_graphs: Sequence[str],
        keep: Callable[[ox.Quad], bool] | None = None,
        reading: Reading | None = None,
    ):
        self.store = store
        self.keep = keep
        self.text = text
        self.reading = reading  # the guard's reading of the user's text, whose engine_text is ``text``
        self.base_iri = store.base_iri
        self.prefixes = store.prefixes
        self.protocol_default = [ox.NamedNode(g) for g in using_graphs]
        self.protocol_named = [ox.NamedNode(g) for g in using_named_graphs]
        self.state = PendingState(store)

    # -- helpers ----------------------------------------------------------------------------------

    def _scratch(self) -> ox.Store:
        return ox.Store()

    def _run_scratch(self, scratch: ox.Store, update: str) -> list[ox.Quad]:
        try:
            scratch.update(update, base_iri=self.base_iri, prefixes=self.prefixes)
        except SyntaxError as error:  # the whole text parsed already: a bug if it happens
            raise QueryError(f"SPARQL syntax error: {error}") from None
        quads = list(scratch)
        for quad in quads:
            for term in (quad.subject, quad.object):
                if isinstance(term, ox.BlankNode) and not term.value.startswith(BNODE_PLACEHOLDER):
                    self.state.fresh_labels.add(term.value)
        return quads

    def _iri(self, op: Operation, token: Token) -> ox.NamedNode:
        found = sparql_scan.scan(op.prologue)
        iri = sparql_scan.graph_iri_of(token, found, base_iri=self.base_iri, prefixes=self.prefixes)
        if iri is None:
            raise UpdateError(f"unknown prefix in {sparql_scan.iri_text(token)}")
        return ox.NamedNode(iri)

    def _graph_ref(self, op: Operation, index: int, *, allow_default: bool) -> tuple[object, int]:
        """(graph, next index) for ``GRAPH iri``, ``DEFAULT`` or (ADD/MOVE/COPY) a bare iri."""
        token = op.tokens[index]
        if token.keyword == "DEFAULT" and allow_default:
            return DEFAULT, index + 1
        if token.keyword == "GRAPH":
            return self._iri(op, op.tokens[index + 1]), index + 2
        return self._iri(op, token), index + 1

    # -- the request ------------------------------------------------------------------------------

    def run(self) -> Translation:
        operations = split_operations(self.text)
        uses_dataset_clause = any(self._has_dataset_clause(op) for op in operations)
        if (self.protocol_default or self.protocol_named) and uses_dataset_clause:
            raise UpdateError(
                "the request names its dataset twice: with using-graph-uri / using-named-graph-uri "
                "and with USING, USING NAMED or WITH in the update; use one or the other"
            )
        summaries = [self._operation(op) for op in operations]
        return self.state.result(summaries)

    @staticmethod
    def _has_dataset_clause(op: Operation) -> bool:
        depth = 0
        for token in op.tokens:
            if token.kind == "punct" and token.text in "{}":
                depth += 1 if token.text == "{" else -1
            elif depth == 0 and token.keyword in ("USING", "WITH"):
                return True
        return False

    def _operation(self, op: Operation) -> str:
        tokens = op.tokens
        first = tokens[0].keyword
        second = tokens[1].keyword if len(tokens) > 1 else ""
        if first in ("INSERT", "DELETE") and second == "DATA":
            return self._data(op, first)
        if first == "DELETE" and second == "WHERE":
            end = group_end(tokens, 2)
            pattern = op.span(2, end)
            return self._modify(op, None, pattern, None, [], [], pattern, label="DELETE WHERE")
        if first in ("WITH", "INSERT", "DELETE"):
            return self._parse_modify(op)
        if first in ("CLEAR", "DROP"):
            return self._clear(op, first)
        if first == "CREATE":
            silent = second == "SILENT"
            graph, _ = self._graph_ref(op, 2 if silent else 1, allow_default=False)
            if self.state.graph_exists(graph) and not silent:
                raise UpdateError(f"CREATE GRAPH {graph}: the graph exists already (CREATE SILENT ignores that)")
            self.state.created.add(graph)
            return f"CREATE GRAPH {graph}"
        if first in ("ADD", "MOVE", "COPY"):
            return self._transfer(op, first)
        if first == "LOAD":  # refused before; kept for safety
            raise QueryRefused("LOAD is not allowed: zkg fetches nothing from the web")
        raise UpdateError(f"unsupported update operation {tokens[0].text}")

    # -- INSERT DATA / DELETE DATA -------------------------------------------------------------

    def _data(self, op: Operation, keyword: str) -> str:
        end = group_end(op.tokens, 2)
        if keyword == "INSERT":
            self._check_typed_literals(op, 2, end, "INSERT DATA")
        quads = self._run_scratch(self._scratch(), f"{op.prologue}\nINSERT DATA {op.span(2, end)}")
        if keyword == "INSERT":
            return f"INSERT DATA: {self.state.add(quads)} added"
        return f"DELETE DATA: {self.state.remove(quads, named=quads)} removed"

    def _check_typed_literals(self, op: Operation, first: int, last: int, where: str) -> None:
        """Refuse (IllTypedLiteral) a typed literal written in tokens ``first``..``last`` that
        :mod:`zkg.rdf.lexical` refuses.

        Why here and not only on the changeset: the scratch store that reads the quads back
        keeps *values*, not what was written. It turns ``"128"^^xsd:byte`` into
        ``"128"^^xsd:integer`` and ``"2020-01-01T00:00:00"^^xsd:dateTimeStamp`` into an
        xsd:dateTime, so the changeset would no longer show what is wrong. A CONSTRUCT
        template keeps literals exactly as written, so the literals are read back through
        one, each as the object of its own predicate to find its place in the text again."""
        tokens = op.tokens
        places = [
            i
            for i in range(first, last - 1)
            if tokens[i].kind == "string" and tokens[i + 1].text == "^^" and tokens[i + 2].kind in ("iri", "pname")
        ]
        if not places:
            return
        template = " ".join(
            f"<{TYPED_PLACEHOLDER}s> <{TYPED_PLACEHOLDER}{n}> {op.span(i, i + 2)} ." for n, i in enumerate(places)
        )
        try:
            triples = ox.Store().query(
                f"{op.prologue}\nCONSTRUCT {{ {template} }} WHERE {{}}", base_iri=self.base_iri, prefixes=self.prefixes
            )
        except SyntaxError as error:  # the whole text parsed already: a bug if it happens
            raise QueryError(f"SPARQL syntax error: {error}") from None
        for triple in triples:
            problem = lexical.term_problem(triple.object)
            if problem:
                token = tokens[places[int(triple.predicate.value[len(TYPED_PLACEHOLDER) :])]]
                line, column = (
                    sparql_scan.position(self.reading.text, self.reading.original_offset(token.start))
                    if self.reading is not None
                    else sparql_scan.position(op.text, token.start)
                )
                raise IllTypedLiteral(f"{problem}, in {where} at line {line}, column {column}")

    # -- DELETE/INSERT … WHERE ---------------------------------------------------------------------

    def _parse_modify(self, op: Operation) -> str:
        tokens = op.tokens
        index = 0
        with_graph = None
        if tokens[0].keyword == "WITH":
            with_graph = self._iri(op, tokens[1])
            index = 2
        delete = insert = None
        if tokens[index].keyword == "DELETE":
            end = group_end(tokens, index + 1)
            delete = op.span(index + 1, end)
            index = end + 1
        if index < len(tokens) and tokens[index].keyword == "INSERT":
            end = group_end(tokens, index + 1)
            insert = op.span(index + 1, end)
            self._check_typed_literals(op, index + 1, end, "the INSERT template")
            index = end + 1
        using, using_named = [], []
        while index < len(tokens) and tokens[index].keyword == "USING":
            if tokens[index + 1].keyword == "NAMED":
                using_named.append(self._iri(op, tokens[index + 2]))
                index += 3
            else:
                using.append(self._iri(op, tokens[index + 1]))
                index += 2
        if index < len(tokens) and tokens[index].keyword == "WHERE":
            index += 1
        end = group_end(tokens, index)
        label = " ".join(k for k, t in (("DELETE", delete), ("INSERT", insert)) if t) + " WHERE"
        return self._modify(op, with_graph, delete, insert, using, using_named, op.span(index, end), label=label)

    def _dataset(self, with_graph, using, using_named):
        """(default graphs or None for the union, named graphs or None for all)."""
        if using or using_named:
            return using, using_named
        if self.protocol_default or self.protocol_named:
            return self.protocol_default, self.protocol_named
        if with_graph is not None:
            return [with_graph], None
        return None, None

    def _modify(
        self,
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
        default, named = self._dataset(with_graph, using, using_named)
        query = f"{op.prologue}\nSELECT * WHERE {where}"
        variables, rows = self._solutions(op, query, default, named, where)
        with_clause = f"WITH {with_graph} " if with_graph is not None else ""
        removed = added = 0
        if rows:
            values = _values_block(variables, rows)
            if delete is not None:
                quads = self._instantiate(op, with_clause, delete, values)
                # The template's quads without variables name statements, as DELETE DATA does.
                named = self._instantiate(op, with_clause, delete, "") if label != "DELETE WHERE" else []
                removed = self.state.remove(quads, named=named)
            if insert is not None:
                quads = self._instantiate(op, with_clause, insert, values)
                added = self.state.add(quads)
        parts = [f"{len(rows)} solution(s)"]
        if delete is not None:
            parts.append(f"{removed} removed")
        if insert is not None:
            parts.append(f"{added} added")
        return f"{label}: " + ", ".join(parts)

    def _instantiate(self, op: Operation, with_clause: str, template: str, values: str) -> list[ox.Quad]:
        scratch = self._scratch()
        quads = self._run_scratch(scratch, f"{op.prologue}\n{with_clause}INSERT {template} WHERE {{ {values} }}")
        return [q for q in (_unplace(q) for q in quads) if q is not None]

    def _solutions(self, op: Operation, query: str, default, named, where: str):
        reads = self._graphs_read(op, default, named, where)
        pending = self.state.changed_graphs
        if pending and (reads is None or reads & pending):
            target, options = self._overlay(reads, default, named)
        else:
            target, options = self.store, self._options(default, named)
        result = target.query(query, **options)
        variables = [v.value for v in result.variables]
        rows = [tuple(row[name] for name in variables) for row in result]
        return variables, rows

    def _options(self, default, named) -> dict:
        if default is None:
            return {}  # the union default graph and every named graph
        # Given a default graph, a remote store keeps only the named graphs it is told of.
        return {"default_graph": default, "named_graphs": named if named is not None else self.state.store_graphs()}

    def _graphs_read(self, op: Operation, default, named, where: str) -> set | None:
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
                graphs.add(self._iri(op, following))
        return graphs

    def _overlay(self, reads: set | None, default, named):
        """A new in-memory store holding the current state of the graphs a WHERE reads, and
        the query options that give it the same dataset."""

        if reads is None:
            graphs = [*self.state.store_graphs(), DEFAULT]
            graphs += [g for g in self.state.changed_graphs if g not in graphs]
        else:
            graphs = sorted(reads, key=str)
        overlay = ox.Store()
        copied = 0
        for graph in graphs:
            quads = self.state.graph_quads(graph)
            copied += len(quads)
            if copied > OVERLAY_LIMIT:
                raise UpdateError(
                    f"an operation of this request reads graphs that earlier operations changed, and they hold "
                    f"more than {OVERLAY_LIMIT} quads: send the operations as separate requests, or name the "
                    "graphs it reads (USING, WITH, GRAPH <iri>)"
                )
            overlay.extend(quads)
        store = Store(overlay, base_iri=self.base_iri, data_dir=None)
        if default is None:
            return store, {}
        # pyoxigraph keeps every named graph when given only a default graph.
        return store, {"default_graph": default} if named is None else {"default_graph": default, "named_graphs": named}

    # -- CLEAR / DROP / ADD / MOVE / COPY ---------------------------------------------------------

    def _bulk(self, quads: list[ox.Quad]) -> list[ox.Quad]:
        """What a clear of everything (ALL, NAMED, DEFAULT) removes: all but what ``keep`` keeps."""
        if self.keep is None:
            return quads
        if any(isinstance(q.graph_name, ox.DefaultGraph) for q in quads):
            # The union's triples: decide on the quads that hold them.
            triples = {(q.subject, q.predicate, q.object) for q in quads}
            exact = [q for q in self.state.all_quads() if (q.subject, q.predicate, q.object) in triples]
            return [q for q in exact if not self.keep(q)]
        return [q for q in quads if not self.keep(q)]

    def _clear(self, op: Operation, keyword: str) -> str:
        tokens = op.tokens
        index = 1
        silent = tokens[index].keyword == "SILENT"
        if silent:
            index += 1
        target = tokens[index].keyword
        if target == "ALL":
            removed = self.state.remove(self._bulk(self.state.all_quads()))
            return f"{keyword} {' '.join(sparql_scan.iri_text(t) for t in tokens[1:])}: {removed} removed"
        if target == "NAMED":
            graphs = self.state.named_graphs()
        elif target == "DEFAULT":
            graphs = [DEFAULT]
        else:
            graph = self._iri(op, tokens[index + 1])
            if not self.state.graph_exists(graph):
                self.state.created.discard(graph)
                if silent:
                    return f"{keyword} SILENT GRAPH {graph}: no such graph"
                raise UpdateError(f"{keyword} GRAPH {graph}: there is no such graph ({keyword} SILENT ignores that)")
            graphs = [graph]
        removed = 0
        for graph in graphs:
            quads = self.state.graph_quads(graph)
            removed += self.state.remove(quads if target not in ("NAMED", "DEFAULT") else self._bulk(quads))
            if keyword == "DROP":
                self.state.created.discard(graph)
        return f"{keyword} {' '.join(sparql_scan.iri_text(t) for t in tokens[1:])}: {removed} removed"

    def _transfer(self, op: Operation, keyword: str) -> str:
        tokens = op.tokens
        index = 1
        silent = tokens[index].keyword == "SILENT"
        if silent:
            index += 1
        source, index = self._graph_ref(op, index, allow_default=True)
        index += 1  # TO
        target, _ = self._graph_ref(op, index, allow_default=True)
        text = f"{keyword} {' '.join(sparql_scan.iri_text(t) for t in tokens[1:])}"
        if source == target:
            return f"{text}: nothing to do"
        if not self.state.graph_exists(source):
            if silent:
                return f"{text}: no such graph"
            raise UpdateError(f"{keyword}: the graph {source} does not exist ({keyword} SILENT ignores that)")
        content = self.state.graph_quads(source)
        if not isinstance(source, ox.DefaultGraph):  # (the union's quads have lost their graphs)
            for quad in content:
                if has_blank(quad) and quad not in self.state.added:
                    for term in (quad.subject, quad.object):
                        if isinstance(term, ox.BlankNode):
                            self.state.anchors.setdefault(term, quad)
        removed = 0
        if keyword in ("MOVE", "COPY"):
            cleared = self.state.graph_quads(target)
            removed += self.state.remove(self._bulk(cleared) if isinstance(target, ox.DefaultGraph) else cleared)
        added = self.state.add(ox.Quad(q.subject, q.predicate, q.object, target) for q in content)
        if keyword == "MOVE":
            removed += self.state.remove(content)
        if not isinstance(target, ox.DefaultGraph):
            self.state.created.add(target)
        return f"{text}: {removed} removed, {added} added"


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
    return _Translator(store, reading.engine_text, using_graphs, using_named_graphs, keep, reading).run()


def iter_quads_text(quads: Iterable[ox.Quad]) -> Iterator[str]:
    """N-Quads lines, for reports and tests."""
    for quad in sorted(quads, key=sort_key):
        yield f"{quad} ."
