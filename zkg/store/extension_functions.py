"""Calls of extension functions the engine does not implement: an error of the expression, as
SPARQL says, not of the query.

SPARQL 1.1 (§17.6, extensible value testing; §17.3 for what an error does) lets a query
call a function named by an IRI. A call of a function the engine does not know is an
evaluation error of that expression: a FILTER on it is false, a BIND or a projected
expression leaves its variable unbound, COALESCE moves on. Oxigraph instead refuses the whole
query before evaluating it ("The custom function <…> is not supported"; the server answers
500, which zkg would pass on as an outage, 503). zkg answers as SPARQL says:

- **In process** (:meth:`zkg.store.local.Store.query`): the query is run again with each function
  Oxigraph names registered as one that gives no value (pyoxigraph's ``custom_functions``;
  a function returning None is an evaluation error).
- **At an engine** (:class:`zkg.store.remote.RemoteStore`; the Oxigraph server cannot register
  functions): the query is sent again with every call of the function named replaced by an
  expression that is always an error, ``(1/0)`` (:func:`without_calls`). The call's
  arguments go with it: they have no side effects, and the call's value is an error
  whatever they are.

Either way at most :data:`MAX_FUNCTIONS` functions per query are treated so; casts to XSD
types and the functions Oxigraph implements are untouched (it never refuses them).

Finding the calls in the text. A call is an IRI (``<…>`` or a prefixed name) followed by
``(``, in an expression: within the brackets of FILTER, BIND, a function's arguments, a
projected ``(… AS ?v)``, or directly after FILTER, or in ORDER BY, GROUP BY and HAVING. An IRI
followed by ``(`` anywhere else is a predicate or a list member followed by an RDF
collection (``?s ex:p (1 2)``), and stays. zkg's lexer (:func:`zkg.rdf.sparql_scan.tokens`) tells
the two apart (each token knows the bracket it is in) and keeps strings, IRIs and comments
apart, so nothing inside them is touched.
"""

from __future__ import annotations

import re
from typing import Callable, Sequence

from zkg.rdf import sparql_scan
from zkg.rdf.sparql_lexer import EXPR, Token

#: Distinct unimplemented functions handled in one query; a query naming more is refused.
MAX_FUNCTIONS = 16
#: What a call becomes at an engine: an expression that is always an evaluation error
#: (a division by zero), bracketed so that it fits wherever a call does.
ERROR_EXPRESSION = "(1/0)"

_UNSUPPORTED = re.compile(r"The custom function <([^<>\s]*)> is not supported")


def unsupported_function(message: str) -> str | None:
    """The IRI of the function an Oxigraph error message says it does not implement.

    >>> unsupported_function("The custom function <http://example.org/f> is not supported")
    'http://example.org/f'
    >>> unsupported_function("error at 1:5: expected …") is None
    True
    """
    found = _UNSUPPORTED.search(message or "")
    return found.group(1) if found else None


def _calls(items: Sequence[Token], is_function: Callable[[Token], bool]) -> list[tuple[int, int]]:
    """(first, last) token indices of each call of a function ``is_function(token)`` says
    is the one, outermost calls only. A call is an IRI followed by a "(" that the lexer found
    opening an expression: the token after it is inside one (EXPR)."""
    calls: list[tuple[int, int]] = []
    skip_to = -1
    for index in range(len(items) - 2):
        token = items[index]
        if index <= skip_to or token.kind not in ("iri", "pname") or items[index + 1].text != "(":
            continue
        if items[index + 2].frame == EXPR and is_function(token):
            last = sparql_scan.closing_index(items, index + 1)
            if last is not None:
                calls.append((index, last))
                skip_to = last
    return calls


def without_calls(text: str, function: str, *, prefixes: dict[str, str], base_iri: str | None) -> str | None:
    """``text`` with every call of ``function`` (an absolute IRI) replaced by an expression
    that is always an error; None when no call of it is found.

    >>> q = 'SELECT ?x { ?s ex:p (1 2) . BIND(ex:f(?s, "ex:f(") AS ?x) FILTER(ex:f(1) || true) }'
    >>> without_calls(q, "http://example.org/f", prefixes={"ex": "http://example.org/"}, base_iri=None)
    'SELECT ?x { ?s ex:p (1 2) . BIND((1/0) AS ?x) FILTER((1/0) || true) }'
    >>> without_calls("SELECT * { ?s <f> (1) } ORDER BY <f>(?s)", "http://b/f", prefixes={}, base_iri="http://b/")
    'SELECT * { ?s <f> (1) } ORDER BY (1/0)'
    >>> without_calls("SELECT * { ?s ?p ?o }", "http://b/f", prefixes={}, base_iri=None) is None
    True
    """
    items = list(sparql_scan.tokens(text))
    found = sparql_scan.scan(text)

    def is_function(token: Token) -> bool:
        return sparql_scan.graph_iri_of(token, found, base_iri=base_iri, prefixes=prefixes) == function

    calls = _calls(items, is_function)
    if not calls:
        return None
    parts, position = [], 0
    for first, last in calls:
        parts += [text[position : items[first].start], ERROR_EXPRESSION]
        position = items[last].start + 1
    parts.append(text[position:])
    return "".join(parts)
