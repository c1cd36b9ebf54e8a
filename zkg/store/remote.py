"""RemoteStore: the store facade over HTTP, speaking the SPARQL 1.1 Protocol to an engine.

``zkg serve`` runs its queries in a separate engine process, the Oxigraph server on the same
store (see :mod:`zkg.store.managed_engine`), because pyoxigraph cannot stop a running query and
an engine process can be: it cancels most queries at its own ``--timeout-s``, and where it
does not, the process is restarted. The same class talks to any other SPARQL 1.1 service
(``ZKG_STORE=sparql+http://host:port/query``).

RemoteStore offers the methods of :class:`zkg.store.local.Store` that make sense remotely, with
the same meaning: ``query`` predeclares the zkg prefixes and the base IRI, the default
graph is the union of all graphs unless told otherwise, and results are pyoxigraph terms.
ASK gives a ``QueryBoolean``; SELECT and CONSTRUCT/DESCRIBE give lazy iterables
(:class:`RemoteSolutions`, :class:`RemoteTriples`) read from the engine's response as it
arrives, so a capped answer reads only what it needs.

Every request has a deadline: the query time limit plus a grace for the engine to cancel by
itself. An answer not complete by then, or cut short (the engine appends an error to a
response it has begun when it cancels), raises :class:`QueryTimeout`; never a silently
partial result. A request whose client goes away stops waiting too (:class:`ClientGone`),
and the supervisor hears of both. How one request travels (the deadline, kept-alive
connections, the watch on the client) is :mod:`zkg.store.http_exchange`, and what an error
answer means is :mod:`zkg.store.engine_errors`; this module is what the requests say and what
their answers hold; how engines differ, their profiles (:mod:`zkg.store.engine_profiles`).
"""

from __future__ import annotations

import http.client
import itertools
import json
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator, Sequence, cast
from urllib.parse import urlencode, urlsplit

import pyoxigraph as ox

# Named here as before the exchange moved out (tests and docs import them from this module).
from zkg.base.deadline import client_gone  # noqa: F401
from zkg.base.errors import (
    ClientGone,  # noqa: F401
    QueryError,
    QueryRefused,
    StoreError,
    ZkgError,
)
from zkg.rdf import sparql_scan
from zkg.rdf.prefixes import prefixes as zkg_prefixes
from zkg.rdf.serialize import serialize_dataset
from zkg.store import engine_dataset, engine_errors, engine_profiles, extension_functions, union_graph
from zkg.store.engine_errors import UnsupportedFunction
from zkg.store.engine_profiles import EngineProfile
from zkg.store.engine_version import EngineMarker, marker_of, new_token
from zkg.store.facade import Capabilities, EngineSupervisor, GraphName, Substitutions
from zkg.store.http_auth import HttpAuth, answer_challenge
from zkg.store.http_exchange import (
    POOL_SIZE,
    BodyReader,
    ConnectionPool,
    EngineUnavailable,
    Exchange,
    QueryTimeout,
    RemoteSolutions,
    RemoteTriples,
    body_file,
)
from zkg.store.layout import LoadRecord, read_record
from zkg.store.store_setting import parse_store_spec  # noqa: F401  (named here before it moved)

EMPTY_GRAPH = engine_dataset.EMPTY_GRAPH
RESULTS_JSON = engine_profiles.RESULTS_JSON
N_TRIPLES = engine_profiles.N_TRIPLES


class RemoteStore:
    """The store facade over a SPARQL 1.1 Protocol endpoint (query, and update if given).

    ``supervisor`` is the :class:`zkg.store.managed_engine.ManagedEngine` running the engine, when
    zkg runs it (:class:`~zkg.store.facade.EngineSupervisor`): its current address is used,
    and it hears of queries that overran. ``engine``: its profile (default: Oxigraph's for the
    engine zkg runs, else :func:`~zkg.store.engine_profiles.detect`'s at the first request).
    """

    def __init__(
        self,
        query_url: str | None = None,
        *,
        base_iri: str,
        update_url: str | None = None,
        timeout: float = 30.0,
        update_timeout: float = 300.0,
        supervisor: EngineSupervisor | None = None,
        data_dir: str | Path | None = None,
        auth_headers: dict[str, str] | None = None,
        engine: EngineProfile | None = None,
        auth: HttpAuth | None = None,
    ):
        if query_url is None and supervisor is None:
            raise ValueError("RemoteStore needs a query URL or a supervisor")
        self._query_url, self._update_url = query_url, update_url
        self.base_iri = base_iri
        self.prefixes = zkg_prefixes(base_iri)
        self.timeout = timeout
        self.update_timeout = update_timeout  # also the limit of whole-dataset reads (dump)
        self.supervisor = supervisor
        # Writes are sent, never refused here: the engine says when it serves read-only.
        self.read_only_reason: StoreError | None = None
        # The data directory whose store the engine serves, when zkg runs the engine: its
        # zkg.json is the load record. Writes through this object change zkg.store.version:
        # by the data directory's write stamp, which every process sees, else (no data
        # directory, or the stamp failed) by this object's own count.
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.session = secrets.token_hex(8)
        self.writes = 0
        self.changed_at = datetime.now(timezone.utc)
        #: Sent with every request (e.g. ``Authorization`` for an engine that wants it).
        self.auth_headers: dict[str, str] = dict(auth_headers or {})
        #: Credentials given as the engine asks (Basic or Digest), or None.
        self.auth = auth
        # Kept-alive connections to the engine, per address (a restarted engine has a new one).
        self._pool = ConnectionPool(POOL_SIZE)
        self._engine = engine if engine is not None else engine_profiles.OXIGRAPH if supervisor is not None else None
        # What the engine says of itself (its own graphs, its row cap), asked once.
        self._facts = engine_dataset.EngineFacts()
        # The data's named graphs where the union is a named graph too (Virtuoso), named in
        # each query that reads named graphs; kept per version: (version key, graphs).
        self._data_graphs: tuple[tuple[int, str], list[str]] | None = None
        self._updates = 0  # updates sent through this object (a key of that version)
        # An engine zkg does not run may have other front ends writing to it: every update
        # moves a marker there, which every front end reads (zkg.store.engine_version).
        self._marker: EngineMarker | None = marker_of(self) if supervisor is None else None

    @property
    def engine_marker(self) -> tuple[str, datetime | None]:
        """The engine's own version marker and when this process first saw it (read at most
        once a second); ('', None) for the engine zkg runs, which only zkg writes to."""
        return self._marker.current() if self._marker is not None else ("", None)

    @property
    def engine(self) -> EngineProfile:
        """The engine's profile (detected once, on first use, for an engine zkg does not run;
        two threads detecting at once find the same)."""
        if self._engine is None:
            self._engine = engine_profiles.detect(self.query_url, self.auth_headers, min(self.timeout, 5.0))
        return self._engine

    @property
    def capabilities(self) -> Capabilities:
        """What this store does beyond the facade: the engine's answers as bytes, and as its
        profile says (detected on first use, as for any request)."""
        return Capabilities(
            engine_bytes=True,
            supervised_engine=self.supervisor is not None,
            union_graph=self.engine.union_graph,
            keeps_union=self.engine.keeps_union,
        )

    @property
    def load_record(self) -> LoadRecord | None:
        """What the last ``zkg load`` recorded in the data directory (None for a foreign engine)."""
        if self.data_dir is None:
            return None

        return read_record(self.data_dir)

    @classmethod
    def from_spec(
        cls,
        spec: str,
        *,
        base_iri: str,
        timeout: float = 30.0,
        update_url: str | None = None,
        data_dir: str | Path | None = None,
        engine: EngineProfile | None = None,
    ) -> "RemoteStore":
        """From ``sparql+http://[user:password@]host:port/path`` (see :func:`parse_store_spec`)."""
        query, update, auth = parse_store_spec(spec, update_url=update_url)
        return cls(
            query, base_iri=base_iri, update_url=update, timeout=timeout, data_dir=data_dir, engine=engine, auth=auth
        )

    @property
    def query_url(self) -> str:
        if self.supervisor is not None:
            return self.supervisor.query_url
        assert self._query_url is not None  # __init__ refuses a store with neither
        return self._query_url

    @property
    def update_url(self) -> str | None:
        return self.supervisor.update_url if self.supervisor is not None else self._update_url

    def close(self) -> None:
        """Nothing to release: each request has its own connection."""

    # -- queries ---------------------------------------------------------------------------

    def query(
        self,
        sparql: str,
        *,
        default_graph: GraphName | Sequence[GraphName] | None = None,
        named_graphs: GraphName | Iterable[GraphName] | None = None,
        substitutions: Substitutions | None = None,
        timeout: float | None = None,
        scanned: sparql_scan.Scan | None = None,
        trusted: bool = False,
    ) -> RemoteSolutions | RemoteTriples | ox.QueryBoolean:
        """Evaluate a query at the engine; see :meth:`zkg.store.local.Store.query`.

        Following the protocol, a dataset given by ``default_graph`` or ``named_graphs``
        replaces the whole dataset (a list not given is empty). A query with FROM or FROM
        NAMED keeps its own dataset. ``trusted``: zkg's own text, read without the lexer
        (:func:`~zkg.rdf.sparql_scan.own_query_scan`); the deadline and the engine's checks stay.
        """
        if substitutions:
            raise QueryError("substitutions are not supported by a remote SPARQL engine")
        if scanned is not None:
            found = scanned
        else:
            found = sparql_scan.own_query_scan(sparql, self.prefixes) if trusted else sparql_scan.scan(sparql)
        text, params, prologue = self._prepare(sparql, default_graph, named_graphs, found)
        return self._evaluated(text, params, prologue, self.timeout if timeout is None else timeout, found.form)

    def _evaluated(
        self, text: str, params: list[tuple[str, str]], prologue: int, limit: float, form: str | None
    ) -> RemoteSolutions | RemoteTriples | ox.QueryBoolean:
        """The engine's answer to ``text`` as it is to be sent (a query of ``form``)."""
        engine = self.engine
        exchange, response = self._answered(limit, params, text, {"Accept": engine.accept(form)}, prologue)
        media_type = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
        if media_type == N_TRIPLES:
            return RemoteTriples(exchange)
        if media_type != RESULTS_JSON:
            exchange.close()
            raise EngineUnavailable(f"the SPARQL engine answered with unexpected {media_type or 'no'} content")
        try:
            answer = engine.solutions_file(body_file(exchange))
            parsed = ox.parse_query_results(answer, format=ox.QueryResultsFormat.JSON)
            if isinstance(parsed, ox.QueryBoolean):
                if BodyReader(exchange).read().strip():  # text after the answer: the engine gave up
                    raise exchange.cut_short()
                exchange.close()
                return parsed
        except SyntaxError:
            exchange.close()
            raise exchange.cut_short() from None
        except BaseException:
            exchange.close()
            raise
        solutions = RemoteSolutions(exchange, parsed)
        if form == "ASK" and engine.ask_as_select:
            return engine_dataset.ask_answered_as_select(engine, solutions)
        return solutions

    def _prepare(
        self,
        sparql: str,
        default_graph: GraphName | Sequence[GraphName] | None,
        named_graphs: GraphName | Iterable[GraphName] | None,
        scanned: sparql_scan.Scan | None,
    ) -> tuple[str, list[tuple[str, str]], int]:
        """(text with what zkg adds before it, protocol parameters, lines added): see
        :func:`zkg.store.engine_dataset.prepare`; refused while the engine shows its own graphs."""
        found = scanned or sparql_scan.scan(sparql)
        if self.engine_graphs:
            raise engine_dataset.own_graphs_shown(self.engine, self.engine_graphs)
        return engine_dataset.prepare(
            self.engine,
            sparql,
            prologue=sparql_scan.undeclared_prologue(found, self.prefixes, self.base_iri),
            default_graph=default_graph,
            named_graphs=named_graphs,
            data_graphs=self.data_graphs,
            scanned=found,
        )

    @property
    def engine_graphs(self) -> tuple[str, ...]:
        """The engine's own graphs it shows as data (none when set up as the docs say)."""
        return self._facts.own_graphs(self.engine, self._ask_engine)

    @property
    def engine_row_cap(self) -> int | None:
        """The most rows the engine sends in one answer; None: no cap it says."""
        return self._facts.row_cap(self.engine, self._ask_engine)

    def _ask_engine(self, query: str) -> list[ox.QuerySolution]:
        """The solutions of a SELECT sent as written: no prologue, no dataset of zkg's."""
        return list(cast(RemoteSolutions, self._evaluated(query, [], 0, self.timeout, "SELECT")))

    def query_raw(
        self,
        sparql: str,
        accept: str,
        *,
        default_graph: GraphName | Sequence[GraphName] | None = None,
        named_graphs: GraphName | Iterable[GraphName] | None = None,
        max_bytes: int = 8 * 2**20,
        scanned: sparql_scan.Scan | None = None,
    ) -> tuple[str, bytes | None, RemoteSolutions | RemoteTriples | None]:
        """The engine's own answer to a query, as (media type, bytes), read whole under the
        deadline; for the endpoint to pass on unchanged when it can check it (see
        :mod:`zkg.sparql.passthrough`). An answer longer than ``max_bytes`` is not read whole:
        (media type, None, lazy result) then, a RemoteSolutions or RemoteTriples reading on
        from where it stopped (capped answers read no more than they need). Errors as for
        :meth:`query`."""
        found = scanned or sparql_scan.scan(sparql)
        if found.form == "ASK" and self.engine.ask_as_select and RESULTS_JSON in accept:
            # The engine's own bytes would be a SELECT's: the boolean, written as the standard says.
            answer = self.query(
                sparql,
                default_graph=default_graph,
                named_graphs=named_graphs,
                scanned=found,
            )
            return RESULTS_JSON, json.dumps({"head": {}, "boolean": bool(answer)}).encode("utf-8"), None
        text, params, prologue = self._prepare(sparql, default_graph, named_graphs, found)
        headers = {"Accept": accept}
        exchange, response = self._answered(self.timeout, params, text, headers, prologue)
        media_type = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
        try:
            body, whole = exchange.read_up_to(max_bytes)
        except BaseException:
            exchange.close()
            raise
        if whole:
            exchange.close()
            return media_type, self.engine.solutions_bytes(body) if media_type == RESULTS_JSON else body, None
        if media_type == N_TRIPLES:
            return media_type, None, RemoteTriples(exchange, body)
        if media_type == RESULTS_JSON:
            try:
                results = self.engine.solutions_file(body_file(exchange, body))
                parsed = ox.parse_query_results(results, format=ox.QueryResultsFormat.JSON)
            except SyntaxError:
                exchange.close()
                raise exchange.cut_short() from None
            if not isinstance(parsed, ox.QueryBoolean):
                return media_type, None, RemoteSolutions(exchange, parsed)
        exchange.close()
        raise EngineUnavailable(f"the SPARQL engine answered with unexpected {media_type or 'no'} content")

    def _answered(
        self, limit: float, params: list[tuple[str, str]], text: str, headers: dict[str, str], prologue_lines: int
    ) -> tuple[Exchange, http.client.HTTPResponse]:
        """(exchange, response) of the engine's 200 answer to a query, else its failure raised.

        An engine that refuses a query for calling a function it does not implement (Oxigraph:
        "The custom function <…> is not supported") gets the query again with those calls as
        errors, which is what SPARQL makes of them (:mod:`zkg.store.extension_functions`).
        The engine is given the time limit where its profile says how (it then stops the work
        itself; an answer it marks as cut short by that limit is :class:`QueryTimeout`)."""
        rewritten: set[str] = set()
        params = params + self.engine.time_limit_params(limit)
        while True:
            exchange, response = self._send(limit, "query", params, text, headers)
            if response.status == 200:
                if self.engine.is_partial(response.getheader):
                    exchange.close()
                    raise QueryTimeout(limit)
                return exchange, response
            failure = self._failure(exchange, response, prologue_lines)
            if (
                not isinstance(failure, UnsupportedFunction)
                or failure.function in rewritten
                or len(rewritten) >= extension_functions.MAX_FUNCTIONS
            ):
                raise failure
            function = failure.function
            changed = extension_functions.without_calls(text, function, prefixes=self.prefixes, base_iri=self.base_iri)
            if changed is None:
                raise failure
            rewritten.add(function)
            text = changed

    def _send(
        self, limit: float, kind: str, params: list[tuple[str, str]], text: str, headers: dict[str, str]
    ) -> tuple[Exchange, http.client.HTTPResponse]:
        """POST ``text`` to the engine as its profile says (``kind``: query or update);
        retried once if the engine was restarting, and after a ``401`` with the answer to its
        challenge (:mod:`zkg.store.http_auth`; a request refused so did not run)."""
        params, body, content_type = self.engine.encode(kind, text, params)
        headers = {**headers, "Content-Type": content_type}
        restarted = challenged = 0
        while True:
            url = self.query_url if kind == "query" else self.update_url  # (a restart moves it)
            if url is None:
                raise StoreError("this store has no update endpoint")
            if params:
                url += ("&" if "?" in url else "?") + urlencode(params)
            parts = urlsplit(url)
            target = parts.path + ("?" + parts.query if parts.query else "")
            # Updates are never abandoned: the write path must know whether one committed.
            exchange = Exchange(limit, pool=self._pool, supervisor=self.supervisor, watch=kind == "query")
            sent = {**self.auth_headers, **headers}
            answer = self.auth.authorization("POST", target) if self.auth is not None else None
            if answer is not None:
                sent["Authorization"] = answer
            try:
                response = exchange.send(url, body, sent, reuse=kind == "query")
            except (ConnectionError, OSError, http.client.HTTPException) as error:
                exchange.close()
                if (
                    not restarted
                    and self.supervisor is not None
                    and kind == "query"
                    and self.supervisor.wait_ready(exchange.remaining())
                ):
                    restarted += 1
                    continue  # a restart in between: queries are safe to send again
                raise EngineUnavailable(f"the SPARQL engine is not answering ({error})") from None
            if response.status != 401:
                return exchange, response
            # Refused before it ran (updates too): answer the challenge and send it again.
            exchange.read_up_to(65536)
            exchange.close()
            challenged += 1
            answer_challenge(self.auth, response.headers.get_all("WWW-Authenticate") or [], challenged)

    def _failure(self, exchange: Exchange, response: http.client.HTTPResponse, prologue_lines: int) -> ZkgError:
        """What the engine's answer other than success means (:mod:`zkg.store.engine_errors`)."""
        managed = self.supervisor is not None and self.data_dir is not None
        where = self.data_dir if managed else f"of the SPARQL engine at {self.update_url}"
        return engine_errors.failure(
            exchange,
            response.status,
            prologue_lines=prologue_lines,
            where=where,
            supervisor=self.supervisor,
            engine=self.engine,
        )

    # -- updates and helpers ---------------------------------------------------------------

    def update(self, sparql: str, *, keeps_union: bool = False) -> None:
        """Run a SPARQL Update at the engine (atomic there); prefixes and base as for query;
        the union graph kept as :meth:`zkg.store.local.Store.update` keeps it."""
        # zkg's own updates (the write path's INSERT/DELETE DATA): a curator's text reaches
        # the engine only as a changeset, checked by the guard before (zkg.curation.update_translation).
        marker, token = self._marker, new_token()
        self._updates += 1
        if not keeps_union and self.engine.keeps_union:  # on a line of its own: the text may end in a comment
            sparql = sparql.rstrip().removesuffix(";") + "\n;\n" + union_graph.resync(self.engine.union_graph)
        if marker is not None:
            sparql = (
                sparql.rstrip().removesuffix(";")
                + "\n;\n"
                + marker.replace_text(token, self.engine.union_graph, in_union=self.engine.keeps_union)
            )
        self.send_update(sparql)
        if marker is not None:
            marker.written(token)
        self.changed_at = datetime.now(timezone.utc)
        if not self._stamp_write():
            # Only this process knows of the write: counted here. A stamped write is not,
            # so that every worker process derives the same version (and ETags) from
            # the stamp alone.
            self.writes += 1

    def send_update(self, sparql: str) -> None:
        """Send a SPARQL Update to the engine, its failure raised, without recording a write
        (:meth:`update` does, and moves the engine's version marker; the start's probe,
        :mod:`zkg.store.engine_probe`, changes nothing and does not)."""
        found = sparql_scan.scan(sparql)
        if found.service is not None or found.load is not None:
            raise QueryRefused("SERVICE and LOAD are not allowed: zkg fetches nothing from the web")
        prologue = sparql_scan.undeclared_prologue(found, self.prefixes, self.base_iri)
        text = self.engine.engine_update(self.engine.engine_text("\n".join([*prologue, sparql])))
        exchange, response = self._send(self.update_timeout, "update", [], text, {})
        if response.status in (200, 204):
            # Read to the end (Virtuoso answers with a results document saying what it did):
            # an engine that wrote an error into a 200 has not done the update.
            said = self.engine.update_error(exchange.read_up_to(65536)[0].decode("utf-8", "replace"))
            exchange.close()
            if said is not None:
                raise EngineUnavailable(f"the SPARQL engine refused the update: {said}")
            return
        raise self._failure(exchange, response, len(prologue))

    def _stamp_write(self) -> bool:
        """Tell the other processes serving this data directory that the data changed (one
        byte appended to ``writes.stamp``; see :func:`zkg.store.version.shared_marker`).
        False: there is no data directory, or the stamp could not be written."""
        if self.data_dir is None:
            return False
        try:
            with open(self.data_dir / "writes.stamp", "ab") as stamp:
                stamp.write(b".")
        except OSError:
            return False
        return True

    def _select(self, text: str, *, timeout: float | None = None) -> RemoteSolutions:
        """The solutions of one of zkg's own SELECT queries, on the dataset as it is (no union)."""
        # A SELECT's answer: the engine's solutions. (An engine answering it with triples
        # fails in the caller's row lookups, as it did before this was typed.)
        return cast(RemoteSolutions, self.query(text, timeout=timeout))

    def named_graphs(self) -> list[ox.NamedNode | ox.BlankNode]:
        """The named graphs at the engine, sorted by IRI (the union's stand-in left out)."""
        if self.engine.union_graph is not None:
            return [ox.NamedNode(g) for g in self.data_graphs()]
        rows = self._select(self.engine.named_graphs_query)
        return sorted((row["g"] for row in rows if row["g"] is not None), key=str)

    def data_graphs(self) -> list[str]:
        """The IRIs of the named graphs of the data, where the engine keeps the union in a
        named graph (Virtuoso): every graph it shows but that one, asked once per version
        (this object's updates, the engine's marker), sorted. Virtuoso's ``GRAPH ?g`` ranges
        over every graph it holds whatever ``default-graph-uri`` says, so a query reading named
        graphs names these (:func:`zkg.store.engine_dataset.prepare`); its pragma
        ``input:named-graph-exclude`` would leave the union out of the default graph too."""
        key = (self._updates, self.engine_marker[0])
        known = self._data_graphs
        if known is None or known[0] != key:
            rows = self._ask_engine(self.engine.named_graphs_query)
            union = self.engine.union_graph
            graphs = sorted({r["g"].value for r in rows if isinstance(r["g"], ox.NamedNode) and r["g"].value != union})
            known = self._data_graphs = (key, graphs)
        return known[1]

    def count(self, graph: GraphName | None = None) -> int:
        """How many quads the engine holds (or one named graph)."""
        if graph is None:
            text = f"SELECT (COUNT(*) AS ?n) {{ {engine_dataset.every_quad(self.engine)} }}"
        else:
            text = f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{engine_dataset.iri(graph)}> {{ ?s ?p ?o }} }}"
        rows = list(self._select(text))
        return int(rows[0]["n"].value)

    def quads(self, graph: GraphName | None = None, *, timeout: float | None = None) -> Iterator[ox.Quad]:
        """The data's quads (the named graphs'), or those of one graph (``DefaultGraph()``:
        the union the engine keeps); ``timeout``: default the query limit."""
        if graph is None:
            text = f"SELECT ?s ?p ?o ?g {{ {engine_dataset.every_quad(self.engine)} }}"
        elif isinstance(graph, ox.DefaultGraph):
            text = "SELECT ?s ?p ?o ?g { ?s ?p ?o }"
        else:
            text = f"SELECT ?s ?p ?o ?g {{ GRAPH ?g {{ ?s ?p ?o }} VALUES ?g {{ <{engine_dataset.iri(graph)}> }} }}"
        engine_dataset.check_whole(self.engine, self.engine_row_cap, lambda: self.count(graph))
        for row in self._select(text, timeout=timeout):
            yield ox.Quad(row["s"], row["p"], row["o"], row["g"] if row["g"] is not None else ox.DefaultGraph())

    def dump(self, *, format: str = "trig", with_union: bool = False) -> bytes:
        """The whole dataset as deterministic ``trig`` or ``nquads`` bytes, as Store.dump."""
        quads = self.quads(timeout=self.update_timeout)
        if with_union:
            quads = itertools.chain(quads, self.quads(ox.DefaultGraph(), timeout=self.update_timeout))
        return serialize_dataset(quads, format=format, prefixes=self.prefixes)
