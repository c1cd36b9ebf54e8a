"""A SPARQL Update request read as zkg reads it: checked whole, then split into operations.

- :func:`check_syntax`: LOAD and SERVICE are refused (:func:`zkg.sparql.guard.check_update`: no
  outbound requests); the whole text is then parsed by pyoxigraph's own SPARQL parser, by
  running it against a new, EMPTY in-memory store (no network is possible once LOAD and SERVICE
  are out, and there is no data to work on): syntax errors carry the parser's ``line:column``,
  and what the grammar forbids (blank nodes in DELETE DATA or in DELETE templates, variables in
  DATA blocks) is refused by it. rdflib is not involved at all: its parser is not thread-safe
  (rdflib issue 1282) and its engine never runs for zkg.
- :func:`split_operations`: zkg's SPARQL lexer (:func:`zkg.rdf.sparql_scan.tokens`, which keeps
  strings, IRIs and comments whole) splits the request into operations at the ``;`` outside
  braces, each with the prologue (PREFIX and BASE, which carry over to later operations) in
  force for it. :mod:`zkg.curation.update_translation` then finds each operation's parts (WITH,
  the templates, USING, WHERE, graph references) on its tokens; only the structure is found
  this way, every template, pattern and data block is parsed by pyoxigraph.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import pyoxigraph as ox

from zkg.base.errors import QueryError
from zkg.rdf import sparql_scan
from zkg.rdf.sparql_lexer import Token
from zkg.sparql import guard as sparql_guard
from zkg.sparql.reading import Reading


class UpdateError(QueryError):
    """An update that parses but cannot be carried out (HTTP 400): a graph that does not
    exist without SILENT, a dataset given twice, an overlay too large."""


@dataclass
class Operation:
    """One operation of a request, as tokens of the request's text."""

    tokens: list[Token]  # the operation's tokens, prologue excluded
    prologue: str  # every PREFIX / BASE declared so far in the request
    text: str  # the whole request

    def span(self, first: int, last: int) -> str:
        """The request's text from token ``first`` to token ``last`` (indices), inclusive."""
        start = self.tokens[first].start
        end = self.tokens[last].start + len(self.tokens[last].text)
        return self.text[start:end]


def split_operations(text: str) -> list[Operation]:
    """The operations of an update request, each with the prologue in force for it.

    >>> ops = split_operations("PREFIX a: <x#> CLEAR ALL ; CLEAR GRAPH a:g ;")
    >>> [(op.prologue, [t.text for t in op.tokens]) for op in ops]
    [('PREFIX a: <x#>', ['CLEAR', 'ALL']), ('PREFIX a: <x#>', ['CLEAR', 'GRAPH', 'a:g'])]
    """
    operations: list[Operation] = []
    prologue: list[str] = []
    current: list[Token] = []
    depth = 0
    items = list(sparql_scan.tokens(text))
    index = 0
    while index < len(items):
        token = items[index]
        if not current and token.keyword in ("PREFIX", "BASE"):
            width = 3 if token.keyword == "PREFIX" else 2
            group = items[index : index + width]
            end = group[-1].start + len(group[-1].text)
            prologue.append(text[token.start : end])
            index += width
            continue
        if token.kind == "punct" and token.text == "{":
            depth += 1
        elif token.kind == "punct" and token.text == "}":
            depth -= 1
        if depth == 0 and token.kind == "punct" and token.text == ";":
            if current:
                operations.append(Operation(current, " ".join(prologue), text))
            current = []
        else:
            current.append(token)
        index += 1
    if current:
        operations.append(Operation(current, " ".join(prologue), text))
    return operations


def group_end(tokens: Sequence[Token], start: int) -> int:
    """The index of the ``}`` closing the ``{`` at ``start``."""
    if start >= len(tokens) or tokens[start].text != "{":
        raise UpdateError("expected '{'")  # the parser has accepted the text: not reached
    end = sparql_scan.closing_index(tokens, start)
    if end is None:
        raise UpdateError("unbalanced braces")
    return end


def check_syntax(text: str, *, base_iri: str, prefixes: dict[str, str], reading: Reading | None = None) -> Reading:
    """The guard's reading of an update zkg will run (its :attr:`engine_text` is what every
    later step parses; ``reading``: the caller's own :func:`zkg.sparql.guard.check_update`
    of ``text``, not made again); raises QueryRefused (LOAD, SERVICE, what the guard cannot
    read) or QueryError (syntax)."""
    if not text.strip():
        raise QueryError("the update is empty")
    if reading is None:
        reading = sparql_guard.check_update(text, base_iri=base_iri, prefixes=prefixes)
    try:
        # The whole request is parsed before any of it runs; an empty in-memory store gives
        # the run nothing to work on. Errors of the run itself (DROP of a graph this empty
        # store lacks) say nothing about the real store: the translation decides those.
        ox.Store().update(reading.engine_text, base_iri=base_iri, prefixes=prefixes)
    except SyntaxError as error:
        message = reading.locate(str(error))
        if "blank nodes are not allowed in DELETE DATA" in message:
            message += " (SPARQL 1.1 Update, section 3.1.2: DELETE DATA names ground quads only)"
        raise QueryError(f"SPARQL syntax error: {message}") from None
    except (OSError, ValueError, RuntimeError):
        pass
    return reading
