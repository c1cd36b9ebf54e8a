r"""What a SPARQL request asks for, and what zkg refuses to run.

The endpoint must know a query's form (SELECT, ASK, CONSTRUCT, DESCRIBE) before running it,
to negotiate the response format, and must refuse what would reach outside the dataset:
``SERVICE`` (federated query), ``LOAD``, and ``FROM``/``FROM NAMED`` naming a graph the
dataset does not have (engines that fetch such graphs from the web exist; zkg's never
does, and says so clearly instead of silently answering from an empty graph). Updates
sent to the query endpoint are refused too, and so are texts that would crash or stall the
engine's parser: brackets nested past :data:`~zkg.sparql.limits.MAX_DEPTH`, or more than
:data:`~zkg.sparql.limits.MAX_COST` units of the constructs its evaluator recurses on
(:data:`~zkg.sparql.limits.COSTS`).

How a text is read, and what the engine is given instead of it (never the user's text), is
:mod:`zkg.sparql.reader`; the bounds on nesting, length and cost are :mod:`zkg.sparql.limits`.
This module is the policy on a finished reading: a query or an update, no outbound request,
and a dataset of this store's graphs only.

>>> check_query("SELECT * { SERVICE <http://dbpedia.org/sparql> { ?s ?p ?o } }")
Traceback (most recent call last):
...
zkg.base.errors.QueryRefused: SERVICE at line 1, column 12 is not allowed: zkg makes no requests to other endpoints (no federated query). Run that part of the query at the other endpoint.
>>> check_query("PREFIX ex: <http://ex/> SELECT ?s { ?s ex:p 'it\\u0027s' }").engine_text
"SELECT ?s { ?s <\\u0068ttp://ex/p> 'it\\'s' }"
"""

from __future__ import annotations

from collections.abc import Callable

from zkg.base.errors import QueryRefused
from zkg.rdf.sparql_scan import QUERY_FORMS
from zkg.sparql.reader import read, refuse_outbound, where
from zkg.sparql.reading import Reading


def check_query(
    text: str,
    *,
    base_iri: str | None = None,
    prefixes: dict[str, str] | None = None,
    graph_exists: Callable[[str], bool] | None = None,
) -> Reading:
    """The reading of a query the endpoint may run; raises :class:`QueryRefused` otherwise.

    ``graph_exists(iri)`` says whether the dataset has a named graph; without it FROM is
    not checked. The engine is to be given :attr:`Reading.engine_text`.

    >>> check_query("CLEAR ALL")
    Traceback (most recent call last):
    ...
    zkg.base.errors.QueryRefused: this is a SPARQL Update (CLEAR), and this endpoint only answers queries (SELECT, ASK, CONSTRUCT, DESCRIBE)
    >>> check_query("SELECT * FROM <http://example.org/x> {}", graph_exists=lambda iri: False)
    Traceback (most recent call last):
    ...
    zkg.base.errors.QueryRefused: FROM <http://example.org/x> at line 1, column 15 names no graph of this dataset, and zkg fetches nothing from the web. The dataset's named graphs are listed in the service description (GET /sparql) and at /.well-known/void.
    >>> check_query("SELECT * { SERVICESILENT<http://127.0.0.1:9/>{} }")
    Traceback (most recent call last):
    ...
    zkg.base.errors.QueryRefused: SERVICE at line 1, column 12 is not allowed: zkg makes no requests to other endpoints (no federated query). Run that part of the query at the other endpoint.
    """
    found = read(text, base_iri=base_iri, prefixes=prefixes or {})
    if found.update_keyword is not None:
        raise QueryRefused(
            f"this is a SPARQL Update ({found.update_keyword}), and this endpoint only answers "
            f"queries ({', '.join(QUERY_FORMS)})"
        )
    refuse_outbound(text, found)
    if graph_exists is not None:
        for iri, named, offset in found.from_graphs:
            if not graph_exists(iri):
                clause = "FROM NAMED" if named else "FROM"
                raise QueryRefused(
                    f"{clause} <{iri}> {where(text, offset)} names no graph of this dataset, and zkg "
                    "fetches nothing from the web. The dataset's named graphs are listed in the "
                    "service description (GET /sparql) and at /.well-known/void."
                )
    return found


def check_update(text: str, *, base_iri: str | None = None, prefixes: dict[str, str] | None = None) -> Reading:
    """The reading of an update that may run; raises :class:`QueryRefused` for LOAD, SERVICE
    and what the guard cannot read.

    >>> check_update("LOAD <http://example.org/data.ttl>")
    Traceback (most recent call last):
    ...
    zkg.base.errors.QueryRefused: LOAD at line 1, column 1 is not allowed: zkg fetches nothing from the web. Load files with `zkg load`, or send the data itself in INSERT DATA.
    """
    found = read(text, base_iri=base_iri, prefixes=prefixes or {}, what="the update")
    refuse_outbound(text, found)
    return found
