"""Passing the engine's own answer on, byte for byte, when zkg can check it.

zkg's uncapped output is exactly the standard serialisation, so when the client asks for
the very format the engine writes, re-serialising the engine's answer would only cost time.
:func:`engine_answer` asks a :class:`zkg.store.remote.RemoteStore` for the client's format and
checks the answer before passing it on:

- SPARQL JSON (SELECT, ASK): parsed whole with :func:`json.loads` (C, no RDF terms made):
  it must be well-formed (an engine that cancels a query mid-answer leaves it broken), and a
  SELECT must have no more rows than the row limit;
- N-Triples (CONSTRUCT, DESCRIBE): parsed whole by pyoxigraph, no more triples than the limit.

Past the limit, or when the engine answered in another format, the parsed answer is handed
back for the endpoint's usual path (cap, mark, serialise), so nothing is ever sent unchecked
and a capped answer is marked exactly as before.

:class:`AnswerCache` keeps such checked answers per dataset version (the endpoint uses it
only with the engine zkg runs itself, which nothing but zkg writes to: every write changes
the version, so no answer outlives the data it was computed from).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, TypeAlias

import pyoxigraph as ox

from zkg.base.bounded_cache import BoundedCache
from zkg.rdf import negotiation
from zkg.rdf.negotiation import Format
from zkg.store.facade import StoreFacade, passes_engine_bytes
from zkg.store.http_exchange import EngineUnavailable, QueryTimeout, RemoteSolutions, RemoteTriples

#: Formats whose engine bytes can be checked cheaply, for the query forms they serve.
PASS_THROUGH = {negotiation.SPARQL_JSON: ("SELECT", "ASK"), negotiation.N_TRIPLES: ("CONSTRUCT", "DESCRIBE")}

#: A query's result as the protocol reads it (:mod:`zkg.sparql.protocol`): pyoxigraph's, a
#: remote engine's read as it arrives, or what :func:`engine_answer` parsed of a checked answer
#: it cannot send as it is (the boolean of an ASK, the triples of a CONSTRUCT).
QueryResult: TypeAlias = (
    ox.QueryBoolean | bool | ox.QuerySolutions | RemoteSolutions | ox.QueryTriples | RemoteTriples | list[ox.Triple]
)


@dataclass
class EngineAnswer:
    """One of the two: the engine's bytes, checked, or its answer parsed."""

    body: bytes | None = None  # checked: send as it is
    result: QueryResult | None = None  # else: a parsed result for the usual path


def engine_answer(
    store: StoreFacade, text: str, chosen: Format, form: str | None, dataset: dict[str, Any], limit: int
) -> EngineAnswer | None:
    """The engine's answer for ``chosen``, checked; None when this store (see
    :attr:`~zkg.store.facade.Capabilities.engine_bytes`) or format cannot. ``dataset``: the
    store's query options (default and named graphs, or the union; the guard's scan)."""
    engine = passes_engine_bytes(store)
    if engine is None or form not in PASS_THROUGH.get(chosen, ()):
        return None
    started = time.monotonic()
    media_type, body, lazy = engine.query_raw(text, chosen.media_type, **dataset)
    if lazy is not None:  # too long to check whole: the usual path reads what it needs
        return EngineAnswer(result=lazy)
    try:
        if media_type == negotiation.SPARQL_JSON.media_type:
            # (No body comes only with a lazy result; were it missing, it is as broken as b"".)
            document = json.loads(body if body is not None else b"")
            if "boolean" in document:
                return (
                    EngineAnswer(body=body)
                    if chosen is negotiation.SPARQL_JSON
                    else EngineAnswer(result=bool(document["boolean"]))
                )
            rows = len(document["results"]["bindings"])
            if rows <= limit and chosen is negotiation.SPARQL_JSON:
                return EngineAnswer(body=body)
            return EngineAnswer(result=ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON))
        if media_type == negotiation.N_TRIPLES.media_type:
            triples = [q.triple if isinstance(q, ox.Quad) else q for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)]
            if len(triples) <= limit and chosen is negotiation.N_TRIPLES:
                return EngineAnswer(body=body)
            return EngineAnswer(result=triples)
    except (ValueError, KeyError, TypeError, SyntaxError):
        pass
    else:
        raise EngineUnavailable(f"the SPARQL engine answered with unexpected {media_type or 'no'} content")
    # Broken: near the limit the engine cancelled the query, else it failed.
    if engine.timeout and time.monotonic() - started >= engine.timeout * 0.9:
        raise QueryTimeout(engine.timeout)
    raise EngineUnavailable("the SPARQL engine's answer was cut short; try again")


class AnswerCache(BoundedCache):
    """Checked engine answers by (dataset version, query, dataset, format); least recently
    used first out, bounded by ``entries`` and by ``max_bytes`` counting the keys (the query
    text is as long as a client makes it) as well as the answers
    (:class:`zkg.base.bounded_cache.BoundedCache`); an answer past ``max_answer`` is not kept."""

    def __init__(self, entries: int = 2048, max_bytes: int = 32 * 2**20, max_answer: int = 256 * 1024):
        super().__init__(entries=entries, max_bytes=max_bytes, max_item=max_answer)
