"""Answering a query by the SPARQL 1.1 Protocol, framework-free: a text in, an :class:`Answer` out.

:func:`answer` holds what the protocol's answer is made of, in order: the checks
(:func:`zkg.sparql.guard.check_query`, which reads the text once: its reading is handed on to
the store and to error positions), the format negotiated for the query's form
(:mod:`zkg.rdf.negotiation`), the answer cache and the engine's own bytes
(:mod:`zkg.sparql.passthrough`), the result capped at the row limit and serialised
(:mod:`zkg.rdf.results`), and an engine's error moved back to the user's line and column.
It knows nothing of a web server: a view reads the request into its arguments and sends
the :class:`Answer` (``/sparql`` in :mod:`zkg.web.sparql.endpoint`, the canned queries in
:mod:`zkg.web.power.canned`); a script or a test calls it with a store.

Failures a client can cause are raised, as the core's errors (:data:`FAILURES`), and
:func:`failure` gives the protocol's plain-text answer to each: raised rather than returned,
so that a caller wrapping :func:`answer` in conditional GET (the canned queries) puts no
validators on a failure.

>>> from zkg.store.local import Store
>>> store = Store.open(base_iri="http://zkg.test/")
>>> store.update('INSERT DATA { GRAPH graph:g { id:a schema:name "A" } }')
>>> found = answer(store, "SELECT ?name { ?s schema:name ?name }", accept="text/csv",
...                row_limit=10, limits_url="http://zkg.test/limits")
>>> found.status, found.content_type, found.body
(200, 'text/csv; charset=utf-8', b'name\\r\\nA\\r\\n')
>>> answer(store, "SELECT ?name { ?s schema:name ?name }", accept="text/html",
...        row_limit=10, limits_url="").editor
True
>>> try:
...     answer(store, "SELECT * { SERVICE <http://x/> { ?s ?p ?o } }", row_limit=10, limits_url="")
... except FAILURES as error:
...     print(failure(error).status)
400
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import pyoxigraph as ox

from zkg.base.errors import QueryError, StoreError
from zkg.rdf import negotiation, results
from zkg.rdf.negotiation import HTML, Format, NotAcceptable
from zkg.rdf.sparql_scan import scan
from zkg.sparql import guard, passthrough
from zkg.sparql.explain import explain
from zkg.sparql.passthrough import AnswerCache, QueryResult
from zkg.sparql.reading import Reading
from zkg.store.facade import PassesEngineBytes, StoreFacade
from zkg.store.http_exchange import EngineUnavailable, QueryTimeout, RemoteSolutions, RemoteTriples
from zkg.store.version import dataset_version

#: What :func:`answer` raises for a client to hear about (:func:`failure` says how).
FAILURES = (NotAcceptable, QueryTimeout, EngineUnavailable, QueryError, StoreError)
PLAIN_TEXT = "text/plain; charset=utf-8"
#: The kinds of result a query gives.
BOOLEAN, SOLUTIONS, GRAPH = "boolean", "solutions", "graph"


@dataclass(frozen=True)
class Answer:
    """What to send back: a status, a body and its type, and what its headers must say."""

    status: int
    body: bytes
    content_type: str
    #: The row limit the result was cut at (ZKG-Results-Truncated, Link, Warning), or None.
    truncated_at: int | None = None
    #: Request headers the body depends on (negotiated answers: ``Accept``).
    vary: tuple[str, ...] = ()
    #: The dataset version this checked answer is of, for a cache in front to keep, or None.
    shareable: str | None = None
    #: Seconds after which a client may try again (a query stopped, an engine restarting).
    retry_after: int | None = None
    #: The client prefers a page: show the query editor with the text (there is no body).
    editor: bool = False

    @property
    def truncated(self) -> bool:
        return self.truncated_at is not None


#: The answer "show the editor" (a browser asking for the query, or opening a refused one).
EDITOR = Answer(200, b"", "text/html; charset=utf-8", editor=True)


@dataclass(frozen=True)
class Collected:
    """A result read up to a limit: ``items`` holds rows or triples, or the boolean."""

    kind: str  # BOOLEAN, SOLUTIONS or GRAPH
    variables: list[str]
    items: bool | list[ox.QuerySolution] | list[ox.Triple]
    truncated: bool


def answer(
    store: StoreFacade,
    text: str,
    *,
    row_limit: int,
    limits_url: str,
    accept: str | None = None,
    formats: Sequence[str] = (),
    chosen: Format | None = None,
    default_graphs: Sequence[str] = (),
    named_graphs: Sequence[str] = (),
    cache: AnswerCache | None = None,
    base_iri: str | None = None,
    own_text: bool = False,
) -> Answer:
    """The protocol's answer to query ``text`` on ``store``; raises :data:`FAILURES`.

    ``accept`` and ``formats`` (the ``format=`` values) choose the format among those of
    the query's form, unless the caller chose it (``chosen``); ``text/html`` gives
    :data:`EDITOR`. The dataset is ``default_graphs`` and ``named_graphs`` when either is
    given, else the union of all graphs (or the query's own FROM). At most ``row_limit``
    rows or triples are sent, a cut answer marked in its body with ``limits_url`` and in
    :attr:`Answer.truncated_at`. ``cache`` keeps checked engine answers per dataset version,
    used only where the store declares ``supervised_engine``. ``base_iri``: the IRI relative
    IRIs resolve against (the store's by default).

    ``own_text``: a text zkg wrote itself (a canned query, its values bound as terms), run
    as written and ``chosen`` given: no guard, and so neither the engine's bytes nor the
    cache, which serve the guard's reading (its form and the engine text it wrote).
    """
    row_limit = within_engine_cap(store, row_limit)
    if own_text:
        found = None
        form = scan(text).form if chosen is None else None
    else:
        if not text.strip():
            raise QueryError("the query is empty")
        try:
            found = guard.check_query(
                text, base_iri=base_iri or store.base_iri, prefixes=store.prefixes, graph_exists=_graph_lookup(store)
            )
        except QueryError as error:
            # A browser opening a shared link gets the editor with the query in it, which runs
            # it and shows the refusal there, next to the text; a script gets the 400 itself.
            everything = (*negotiation.RESULTS_FORMATS, *negotiation.GRAPH_FORMATS, HTML)
            if negotiation.choose(accept, formats, everything) is HTML:
                return EDITOR
            raise _explained(error, text, store.prefixes) from None
        form = found.form
    if chosen is None:
        offers = negotiation.FORMATS_BY_FORM.get(form or "", negotiation.RESULTS_FORMATS)
        chosen = negotiation.choose(accept, formats, (*offers, HTML))
        if chosen is HTML:
            return EDITOR
    dataset: dict[str, Any] = {}
    if default_graphs or named_graphs:
        dataset.update(default_graph=list(default_graphs), named_graphs=list(named_graphs))
    if found is None:
        return _evaluated(store, store.query(text, **dataset), chosen, None, accept, formats, row_limit, limits_url)
    # What the guard read is handed on: a 1 MB text is not read a second time (up to a fifth
    # of a CPU-second) to find its FROM clauses.
    dataset["scanned"] = found.scanned
    # The engine's own bytes when it writes the format asked for and they pass the checks;
    # kept per dataset version when zkg runs the engine (nothing else writes to it).
    key = None
    if cache is not None and store.capabilities.supervised_engine and chosen in passthrough.PASS_THROUGH:
        key = (dataset_version(store).tag, text, tuple(default_graphs), tuple(named_graphs), chosen.name, row_limit)
        body = cache.get(key)
        if body is not None:
            return Answer(200, body, chosen.content_type, vary=("Accept",), shareable=key[0])
    # The engine gets the text the guard wrote (zkg.sparql.guard), never the user's own; its
    # error positions are moved back to the user's text.
    try:
        passed = passthrough.engine_answer(store, found.engine_text, chosen, found.form, dataset, row_limit)
        if passed is not None and passed.body is not None:
            if cache is not None and key is not None:
                cache.put(key, passed.body)
            return Answer(
                200, passed.body, chosen.content_type, vary=("Accept",), shareable=key[0] if key is not None else None
            )
        # (An engine answer holds a body or a result: with no body sent above, it has a result.)
        if passed is not None and passed.result is not None:
            result: QueryResult = passed.result
        else:
            result = store.query(found.engine_text, **dataset)
    except QueryError as error:
        raise _explained(_located(error, found), text, store.prefixes) from None
    return _evaluated(store, result, chosen, found, accept, formats, row_limit, limits_url)


def failure(error: Exception) -> Answer:
    """The protocol's answer to one of :data:`FAILURES`: plain text a person can act on.

    >>> failure(QueryTimeout(30)).status, failure(QueryTimeout(30)).retry_after
    (503, 1)
    >>> failure(StoreError("disk on fire")).body
    b'the store cannot answer: disk on fire\\n'
    """
    if isinstance(error, NotAcceptable):
        return _plain(error.message, 406)
    if isinstance(error, (QueryTimeout, EngineUnavailable)):
        return _plain(error.message, 503, retry_after=1)
    if isinstance(error, QueryError):  # bad syntax, refused (SERVICE, LOAD, FROM), failed evaluation
        # The message, then what zkg.sparql.explain adds: the line quoted, a hint.
        return _plain(error.message + (f"\n\n{error.detail}" if error.detail else ""), 400)
    if isinstance(error, StoreError):
        return _plain(f"the store cannot answer: {error.message}", 503)
    raise TypeError(f"not a failure the protocol answers: {error!r}")


def collect(store: StoreFacade, text: str, limit: int) -> Collected:
    """The result of zkg's own query ``text``, read to at most ``limit`` rows or triples: for a
    page that lays it out itself (a canned query's table)."""
    result = store.query(text)
    try:
        return _collected(result, limit)
    except (SyntaxError, OSError, ValueError, RuntimeError) as error:
        raise QueryError(f"query failed: {error}") from None
    finally:
        close(result)


def close(result: QueryResult) -> None:
    """Let go of what a result still holds: a remote engine's answer holds its connection."""
    if isinstance(result, (RemoteSolutions, RemoteTriples)):
        result.close()


# -- the parts ------------------------------------------------------------------------------------


def _plain(message: str, status: int, *, retry_after: int | None = None) -> Answer:
    return Answer(status, (message.rstrip("\n") + "\n").encode("utf-8"), PLAIN_TEXT, retry_after=retry_after)


def within_engine_cap(store: StoreFacade, row_limit: int) -> int:
    """``row_limit``, or one less than the engine's own row cap when that is not more: the
    engine sends no more than its cap, without saying it cut (Virtuoso's ResultSetMaxRows),
    so an answer of ``cap`` rows may be cut. zkg reads one row past its limit to see a cut:
    with the limit below the cap, a cut answer is said cut as zkg says its own.

    >>> from types import SimpleNamespace
    >>> from zkg.store.facade import Capabilities
    >>> capped = SimpleNamespace(capabilities=Capabilities(engine_bytes=True), engine_row_cap=50)
    >>> within_engine_cap(capped, 100), within_engine_cap(capped, 20)
    (49, 20)
    """
    if not store.capabilities.engine_bytes:
        return row_limit
    cap = cast(PassesEngineBytes, store).engine_row_cap
    return row_limit if cap is None or cap > row_limit else max(cap - 1, 0)


def _graph_lookup(store: StoreFacade) -> Callable[[str], bool]:
    """Whether a named graph exists, the store asked once and only if a FROM needs it."""
    named: set[str] | None = None

    def graph_exists(iri: str) -> bool:
        nonlocal named
        if named is None:
            named = {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)}
        return iri in named

    return graph_exists


def _located(error: QueryError, found: Reading | None) -> QueryError:
    """``error`` with the engine's ``line:column`` moved to the user's text."""
    if found is not None:
        error.message = found.locate(error.message)
        error.args = (error.message,)
    return error


def _explained(error: QueryError, text: str, prefixes: dict[str, str]) -> QueryError:
    """``error`` with the offending line of ``text`` quoted and a hint (:mod:`zkg.sparql.explain`)."""
    found = explain(error.message, text, prefixes)
    if found is not None:
        error.detail = found.render()
    return error


def _kind(result: QueryResult) -> str:
    if isinstance(result, (ox.QueryBoolean, bool)):
        return BOOLEAN
    if isinstance(result, (ox.QuerySolutions, RemoteSolutions)):
        return SOLUTIONS
    return GRAPH  # pyoxigraph's QueryTriples, RemoteTriples, or the checked engine answer's list


def _collected(result: QueryResult, limit: int) -> Collected:
    if isinstance(result, (ox.QueryBoolean, bool)):  # (the kinds as _kind tells them)
        return Collected(BOOLEAN, [], bool(result), False)
    if isinstance(result, (ox.QuerySolutions, RemoteSolutions)):
        rows, truncated = results.collect(result, limit)
        return Collected(SOLUTIONS, [v.value for v in result.variables], rows, truncated)
    triples, truncated = results.collect(result, limit)
    return Collected(GRAPH, [], triples, truncated)


def _evaluated(
    store: StoreFacade,
    result: QueryResult,
    chosen: Format,
    found: Reading | None,
    accept: str | None,
    formats: Sequence[str],
    limit: int,
    limits_url: str,
) -> Answer:
    """The answer of a result: read to the row limit, serialised, the result let go."""
    try:
        kind = _kind(result)
        # The format again when the result is of another kind than the lexer expected (a
        # query it could not classify).
        fmt = _refit(
            chosen, negotiation.GRAPH_FORMATS if kind == GRAPH else negotiation.RESULTS_FORMATS, accept, formats
        )
        # Read to the limit and serialised by kind (as _kind tells them: the types narrowed here).
        if isinstance(result, (ox.QueryBoolean, bool)):
            truncated = False
            body = results.serialize_boolean(bool(result), fmt)
        elif isinstance(result, (ox.QuerySolutions, RemoteSolutions)):
            variables = [v.value for v in result.variables]
            rows, truncated = results.collect(result, limit)
            body = results.serialize_solutions(variables, rows, fmt, _truncation(truncated, limit, limits_url))
        else:
            triples, truncated = results.collect(result, limit)
            truncation = _truncation(truncated, limit, limits_url)
            body = results.serialize_triples(triples, fmt, prefixes=store.prefixes, truncation=truncation)
    except (SyntaxError, OSError, ValueError, RuntimeError) as error:
        # In-process stores evaluate lazily: evaluation errors arrive while reading.
        failed = _located(QueryError(f"query failed: {error}"), found)
        raise (failed if found is None else _explained(failed, found.text, store.prefixes)) from None
    finally:
        close(result)
    return Answer(200, body, fmt.content_type, truncated_at=limit if truncated else None, vary=("Accept",))


def _truncation(truncated: bool, limit: int, limits_url: str) -> results.Truncation | None:
    return results.Truncation(limit, limits_url) if truncated else None


def _refit(chosen: Format, offers: Sequence[Format], accept: str | None, formats: Sequence[str]) -> Format:
    if chosen in offers:
        return chosen
    return negotiation.choose(accept, formats, offers)
