"""One SPARQL Update request under translation, and what all its operations' translators share.

:func:`zkg.curation.update_translation.translate_update` makes one :class:`UpdateRequest` per
request and hands it, operation by operation, to the translator of each kind of operation
(:mod:`zkg.curation.update_translation` for the data blocks, :mod:`zkg.curation.update_where`
for DELETE/INSERT … WHERE, :mod:`zkg.curation.update_graphs` for CLEAR, DROP, CREATE, ADD,
MOVE and COPY). What they share is kept here, once: the store (only read), the state the
earlier operations left (:class:`zkg.curation.pending.PendingState`), the dataset the
protocol names, graph IRIs resolved against an operation's prologue, data blocks and
templates run on scratch in-memory stores, and typed literals checked as written.
"""

from __future__ import annotations

from typing import Callable, Sequence

import pyoxigraph as ox

from zkg.base.errors import QueryError
from zkg.curation.changesets import IllTypedLiteral
from zkg.curation.pending import DEFAULT, PendingState
from zkg.curation.update_operations import Operation, UpdateError
from zkg.rdf import lexical, sparql_scan
from zkg.rdf.sparql_lexer import Token
from zkg.sparql.reading import Reading

#: Placeholder IRIs that carry the store's blank nodes through VALUES.
BNODE_PLACEHOLDER = "urn:x-zkg:bnode:"
TYPED_PLACEHOLDER = "urn:x-zkg:typed:"  # subject and predicates of the typed-literal check


class UpdateRequest:
    """One update request: its text, the store it is translated against, the protocol's
    dataset (``using-graph-uri``, ``using-named-graph-uri``), what clearing everything leaves
    (``keep``), the guard's reading of the user's text, and the state so far (``state``)."""

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

    def scratch(self) -> ox.Store:
        return ox.Store()

    def run_scratch(self, scratch: ox.Store, update: str) -> list[ox.Quad]:
        """The quads ``update`` leaves in the empty ``scratch`` store; its new blank nodes are
        noted as the request's own."""
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

    def iri(self, op: Operation, token: Token) -> ox.NamedNode:
        """The graph IRI ``token`` names, under ``op``'s prologue."""
        found = sparql_scan.scan(op.prologue)
        iri = sparql_scan.graph_iri_of(token, found, base_iri=self.base_iri, prefixes=self.prefixes)
        if iri is None:
            raise UpdateError(f"unknown prefix in {sparql_scan.iri_text(token)}")
        return ox.NamedNode(iri)

    def graph_ref(self, op: Operation, index: int, *, allow_default: bool) -> tuple[object, int]:
        """(graph, next index) for ``GRAPH iri``, ``DEFAULT`` or (ADD/MOVE/COPY) a bare iri."""
        token = op.tokens[index]
        if token.keyword == "DEFAULT" and allow_default:
            return DEFAULT, index + 1
        if token.keyword == "GRAPH":
            return self.iri(op, op.tokens[index + 1]), index + 2
        return self.iri(op, token), index + 1

    def check_typed_literals(self, op: Operation, first: int, last: int, where: str) -> None:
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
