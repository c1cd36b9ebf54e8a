"""The dataset a query to a remote engine reads, said the way the engine's profile hears it.

zkg's dataset is the data's graphs alone. A query's default graph is the set union of the
named graphs, which zkg keeps (:mod:`zkg.store.union_graph`), unless the protocol's
``default-graph-uri`` and ``named-graph-uri`` or the query's own FROM say otherwise. Where
that union lives differs per engine (:mod:`zkg.store.engine_profiles`): Oxigraph's own
default graph, read without a parameter; a profile may name a graph standing in for it
(``union_graph``, given as ``default-graph-uri``), which no supported engine needs: Virtuoso
keeps none (its default graph is every graph, not a set). An engine's own graphs are never the data's:
:class:`EngineFacts` asks once which the engine shows, and :func:`own_graphs_shown` is the
refusal while it shows any.

>>> from zkg.store.engine_profiles import OXIGRAPH, VIRTUOSO
>>> prepare(OXIGRAPH, "SELECT * {?s ?p ?o}", prologue=["PREFIX x: <urn:x>"])
('PREFIX x: <urn:x>\\nSELECT * {?s ?p ?o}', [], 1)
>>> prepare(VIRTUOSO, "SELECT * {?s ?p ?o}", prologue=[])
('SELECT * {?s ?p ?o}', [], 0)
>>> prepare(VIRTUOSO, "SELECT * {?s ?p ?o}", prologue=[], default_graph="urn:g")
('SELECT * {?s ?p ?o}', [('default-graph-uri', 'urn:g')], 0)
"""

from __future__ import annotations

import re
import threading
from typing import Callable, Iterable, Sequence

import pyoxigraph as ox

from zkg.base.errors import StoreError
from zkg.rdf import sparql_scan
from zkg.store import engine_profiles
from zkg.store.engine_profiles import EngineProfile
from zkg.store.facade import GraphName
from zkg.store.http_exchange import EngineUnavailable, RemoteSolutions

#: The keyword GRAPH before a variable: a pattern over every named graph (in a string it is
#: found too: the named graphs are then named where not needed). Only then are the data's
#: graphs named: Virtuoso 7.2.5 reads a graph a constant ``GRAPH <iri>`` names whatever the
#: protocol's named graphs are, and then even one made private (its own ``virtrdf#``).
_READS_NAMED_GRAPHS = re.compile(r"(?<![\w:/#?$<-])GRAPH\s*[?$]", re.IGNORECASE)

#: A graph name no dataset has: the protocol cannot say "no default graph and no named
#: graphs", so an empty default graph is asked for by naming this one.
EMPTY_GRAPH = "urn:x-zkg:empty-graph"


def prepare(
    engine: EngineProfile,
    sparql: str,
    *,
    prologue: list[str],
    default_graph: GraphName | Sequence[GraphName] | None = None,
    named_graphs: GraphName | Iterable[GraphName] | None = None,
    scanned: sparql_scan.Scan | None = None,
    data_graphs: Callable[[], list[str]] | None = None,
) -> tuple[str, list[tuple[str, str]], int]:
    """(text as the engine reads it, protocol parameters, lines written before ``sparql``).

    ``prologue``: the PREFIX and BASE lines zkg adds. Following the protocol, a dataset given
    by ``default_graph`` or ``named_graphs`` replaces the whole dataset (a list not given is
    empty). Where the union is a named graph (a profile's ``union_graph``), a query without a dataset of its own
    names it as its default graph and, when it reads every named graph (``GRAPH ?g``), the
    data's named graphs (``data_graphs()``) as its named graphs: else ``GRAPH ?g`` would show
    the union's stand-in as one more graph.

    >>> from dataclasses import replace
    >>> from zkg.store.engine_profiles import VIRTUOSO
    >>> standing_in = replace(VIRTUOSO, union_graph="urn:u")
    >>> prepare(standing_in, "ASK { GRAPH ?g { ?s ?p ?o } }", prologue=[], data_graphs=lambda: ["urn:g"])[1]
    [('default-graph-uri', 'urn:u'), ('named-graph-uri', 'urn:g')]
    """
    found = scanned or sparql_scan.scan(sparql)
    params: list[tuple[str, str]] = []
    if default_graph is not None or named_graphs is not None:
        defaults = graph_list(default_graph)
        named = graph_list(named_graphs)
        if not defaults and not named:
            defaults = [EMPTY_GRAPH]
        params += [("default-graph-uri", g) for g in defaults]
        params += [("named-graph-uri", g) for g in named]
    elif not found.has_dataset_clause and engine.union_graph is not None:
        params.append(("default-graph-uri", engine.union_graph))
        if data_graphs is not None and _READS_NAMED_GRAPHS.search(sparql):
            params += [("named-graph-uri", g) for g in data_graphs() or [EMPTY_GRAPH]]
    return engine.engine_text("\n".join([*prologue, sparql])), params, len(prologue)


def ask_answered_as_select(engine: EngineProfile, solutions: RemoteSolutions) -> ox.QueryBoolean:
    """The boolean of an ASK the engine answered as a SELECT (see
    :meth:`~zkg.store.engine_profiles.EngineProfile.ask_boolean`)."""
    variables = [v.value for v in solutions.variables]
    rows = [{name: row[name] for name in variables} for row in solutions]  # (closes the answer)
    value = engine.ask_boolean(variables, rows)
    if value is None:
        raise EngineUnavailable(f"the SPARQL engine answered an ASK with {len(rows)} rows of {variables}")
    return engine_profiles.boolean_result(value)


def every_quad(engine: EngineProfile) -> str:
    """The pattern of every quad of the data: the named graphs' (the default graph is their
    union, kept: not data of its own), the union's stand-in left out where it is one of them.

    >>> from zkg.store.engine_profiles import OXIGRAPH, VIRTUOSO
    >>> from dataclasses import replace
    >>> every_quad(OXIGRAPH), every_quad(replace(VIRTUOSO, union_graph="urn:u"))
    ('GRAPH ?g { ?s ?p ?o }', 'GRAPH ?g { ?s ?p ?o } FILTER(?g != <urn:u>)')
    """
    named = "GRAPH ?g { ?s ?p ?o }"
    return named if engine.union_graph is None else f"{named} FILTER(?g != <{engine.union_graph}>)"


def iri(graph: GraphName) -> str:
    """The IRI of a graph name, as text."""
    return graph.value if isinstance(graph, ox.NamedNode) else str(graph)


def graph_list(graphs: GraphName | Iterable[GraphName] | None) -> list[str]:
    """The IRIs of the named graphs among ``graphs`` (one, or several, or none)."""
    if graphs is None:
        return []
    if isinstance(graphs, (str, ox.NamedNode, ox.BlankNode, ox.DefaultGraph)):
        graphs = [graphs]
    return [iri(g) for g in graphs if not isinstance(g, ox.DefaultGraph)]


#: Sends a SELECT to the engine as written; the solutions of its answer.
Ask = Callable[[str], "list[ox.QuerySolution]"]


class EngineFacts:
    """What an engine says of itself, asked once per store at first use: its own graphs
    (:attr:`EngineProfile.own_graphs_query`) and its row cap (:attr:`EngineProfile.row_cap_query`).
    ``ask(query)`` gives the rows of the engine's answer to a query sent as written.

    >>> facts = EngineFacts()
    >>> from zkg.store.engine_profiles import OXIGRAPH
    >>> facts.own_graphs(OXIGRAPH, ask=None), facts.row_cap(OXIGRAPH, ask=None)
    ((), None)
    """

    def __init__(self) -> None:
        self._answers: dict[str, list[ox.QuerySolution]] = {}
        # Two threads asking at once: one asks, the other waits for its answer (a query
        # before the engine's graphs are known would read them).
        self._lock = threading.Lock()

    def _rows(self, query: str, ask: Ask) -> list[ox.QuerySolution]:
        with self._lock:
            if query not in self._answers:
                self._answers[query] = ask(query)
            return self._answers[query]

    def own_graphs(self, engine: EngineProfile, ask: Ask) -> tuple[str, ...]:
        if engine.own_graphs_query is None:
            return ()
        rows = self._rows(engine.own_graphs_query, ask)
        return tuple(sorted(row["g"].value for row in rows if row["g"] is not None))

    def row_cap(self, engine: EngineProfile, ask: Ask) -> int | None:
        if engine.row_cap_query is None:
            return None
        rows = self._rows(engine.row_cap_query, ask)
        value = rows[0]["cap"] if rows else None
        try:
            cap = int(value.value) if value is not None else 0
        except ValueError:
            return None
        return cap if cap > 0 else None


def own_graphs_shown(engine: EngineProfile, graphs: Sequence[str]) -> StoreError:
    """The refusal to answer while the engine shows its own graphs as data (they would be
    counted in VoID, dumped, and found by every query). What to do comes first: the start's
    probe shows the first 200 characters.

    >>> from zkg.store.engine_profiles import VIRTUOSO
    >>> print(own_graphs_shown(VIRTUOSO, ["http://www.w3.org/ns/ldp#"]).message)
    the SPARQL engine (Virtuoso) shows its own graphs as data: make them private (Virtuoso: run deploy/virtuoso-private-graphs.sql with isql-vt; docs/operations/serving.md): <http://www.w3.org/ns/ldp#>
    """
    listed = ", ".join(f"<{g}>" for g in graphs)
    return StoreError(
        f"the SPARQL engine ({engine.name}) shows its own graphs as data: make them private (Virtuoso: run "
        f"deploy/virtuoso-private-graphs.sql with isql-vt; docs/operations/serving.md): {listed}"
    )


def check_whole(engine: EngineProfile, cap: int | None, size: Callable[[], int]) -> None:
    """Refuse a whole-dataset read (a dump) of ``size()`` quads that the engine's row ``cap``
    would cut without saying so (:func:`too_big_for_cap`): never a dump with quads missing."""
    if cap is not None and (count := size()) > cap:
        raise too_big_for_cap(engine, cap, count)


def too_big_for_cap(engine: EngineProfile, cap: int, size: int) -> StoreError:
    """The refusal of a whole-dataset read (a dump) that the engine's row cap would cut.

    Not read in pages instead: a split that holds needs ORDER BY, and Virtuoso sorts no more
    than its ``MaxSortedTopRows`` (10,000 by default), so pages would fail past that anyway;
    a dump must be whole, and raising the cap is one line of the engine's configuration.

    >>> from zkg.store.engine_profiles import VIRTUOSO
    >>> print(too_big_for_cap(VIRTUOSO, 50, 3144).message)
    the SPARQL engine (Virtuoso) sends at most 50 rows in one answer and the dataset holds 3144 quads: ...
    """
    return StoreError(
        f"the SPARQL engine ({engine.name}) sends at most {cap} rows in one answer and the dataset holds "
        f"{size} quads: raise its row cap above that to read it whole (Virtuoso: ResultSetMaxRows in "
        "the [SPARQL] section of virtuoso.ini)"
    )
