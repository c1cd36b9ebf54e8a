"""The store facade as a type: what every zkg store offers, and what some declare beyond it.

Two classes implement :class:`StoreFacade`: :class:`zkg.store.local.Store` (pyoxigraph in
this process) and :class:`zkg.store.remote.RemoteStore` (an engine speaking the SPARQL 1.1
Protocol, zkg's own ``oxigraph serve`` or another). Everything above the store layer (the
SPARQL endpoint, validation, linked data, curation, the web app) asks for a ``StoreFacade``
and calls nothing else on it, so it runs unchanged on either.

What only some stores can do is *declared* by each class in :attr:`StoreFacade.capabilities`
(a frozen :class:`Capabilities`), never probed by looking for an attribute: a caller reads
the flag, and the sub-protocol that goes with it (:class:`PassesEngineBytes`) types what it
then calls. ``tests/architecture/test_store_facade.py`` checks that both classes have every
member with a compatible signature, and that no module probes a store for an attribute.

>>> from zkg.store.local import Store
>>> store: StoreFacade = Store.open(base_iri="http://zkg.test/")
>>> store.capabilities
Capabilities(in_process=True, engine_bytes=False, supervised_engine=False, union_graph=None, keeps_union=True)
>>> passes_engine_bytes(store) is None
True
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Protocol, Sequence, TypeAlias, cast

import pyoxigraph as ox

from zkg.base.errors import StoreError
from zkg.rdf.sparql_scan import Scan
from zkg.store.layout import LoadRecord

#: A graph name in pyoxigraph's terms.
GraphTerm: TypeAlias = ox.NamedNode | ox.BlankNode | ox.DefaultGraph
#: A graph as the stores' methods take it: its IRI, or a pyoxigraph graph name.
GraphName: TypeAlias = str | GraphTerm
#: Values put in place of a query's variables before it runs, by variable (or its name).
Substitutions: TypeAlias = Mapping[str | ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple]


@dataclass(frozen=True)
class Capabilities:
    """What a store does beyond :class:`StoreFacade`, declared by its class.

    >>> Capabilities(engine_bytes=True)
    Capabilities(in_process=False, engine_bytes=True, supervised_engine=False, union_graph=None, keeps_union=True)
    """

    #: pyoxigraph in this process: queries have no time limit (nothing can stop one), and the
    #: class offers the in-process extras (``load_sources``, ``oxigraph``).
    in_process: bool = False
    #: The engine's own answer bytes can be asked for (:class:`PassesEngineBytes`), for
    #: :mod:`zkg.sparql.passthrough` to send on unchanged once checked.
    engine_bytes: bool = False
    #: zkg runs the engine itself (:mod:`zkg.store.managed_engine`, or a worker's view of the
    #: parent's): nothing but zkg writes to it, so every write moves the dataset version and
    #: checked answers may be kept per version (:class:`zkg.sparql.passthrough.AnswerCache`).
    supervised_engine: bool = False
    #: Where the store keeps the set union of its named graphs, the default graph of every
    #: query without a dataset of its own (:mod:`zkg.store.union_graph`): None for its own
    #: default graph (pyoxigraph, Oxigraph server), else the IRI of the named graph standing in
    #: for it (Virtuoso, which has no default graph apart). The write path keeps it there.
    union_graph: str | None = None
    #: The store keeps that union (False: an engine whose default graph is every graph,
    #: Virtuoso; the write path then writes none, and that default graph is not a set).
    keeps_union: bool = True


class StoreFacade(Protocol):
    """What the app and the core call on a store (see the module docstring)."""

    #: The base IRI the data was loaded under; relative IRIs in queries resolve against it.
    base_iri: str
    #: The predeclared prefixes (:func:`zkg.rdf.prefixes.prefixes` of the base IRI).
    prefixes: dict[str, str]
    #: The data directory whose store this is (``zkg.json``, the change log, the write
    #: stamp live there), or None: in memory, or an engine zkg knows no directory of.
    data_dir: Path | None
    #: Why writes through this object are refused before they are tried (a read-only
    #: directory, a full disk), or None: they are tried, and the store says if it refuses.
    read_only_reason: StoreError | None
    #: The dataset version's inputs (:func:`zkg.store.version.dataset_version`): this
    #: opening's token (set by ``zkg serve --workers`` so all workers agree), the writes
    #: made through this object, and when the last one was.
    session: str
    writes: int
    changed_at: datetime

    @property
    def capabilities(self) -> Capabilities:
        """What this store does beyond the facade (see :class:`Capabilities`)."""
        ...

    @property
    def load_record(self) -> LoadRecord | None:
        """What the last ``zkg load`` recorded (base IRI, time, files), if anything."""
        ...

    @property
    def engine_marker(self) -> tuple[str, datetime | None]:
        """The version the engine itself records, for front ends that share only the engine
        (:mod:`zkg.store.engine_version`), and when this process first saw it (None: at
        start); ('', None) for a store only this data directory's processes write to."""
        ...

    def query(
        self,
        sparql: str,
        *,
        default_graph: GraphName | Sequence[GraphName] | None = None,
        named_graphs: Iterable[GraphName] | None = None,
        substitutions: Substitutions | None = None,
        scanned: Scan | None = None,
        trusted: bool = False,
    ) -> Any:
        """A QueryBoolean, or an iterable of solutions (with ``variables``) or of triples;
        see :meth:`zkg.store.local.Store.query`. (``Any``: which one is decided by the
        query's text, which the caller wrote and so knows; each store says its own union.)
        ``trusted``: the text is zkg's own (a page's, a document's), so what the store needs
        to know of it is read without the lexer (:func:`zkg.rdf.sparql_scan.own_query_scan`);
        the time limit and everything else apply as to any query. Never for a user's text."""
        ...

    def update(self, sparql: str, *, keeps_union: bool = False) -> None:
        """Run a SPARQL Update, atomically; the zkg prefixes and base IRI apply. The default
        graph stays the union of the named graphs: ``keeps_union`` says the text keeps it
        (the write path's commit), else the store makes it so after the update (a scan)."""
        ...

    def named_graphs(self) -> list[ox.NamedNode | ox.BlankNode]:
        """The named graphs, sorted by IRI."""
        ...

    def quads(self, graph: GraphName | None = None) -> Iterator[ox.Quad]:
        """All quads, or those of one graph."""
        ...

    def count(self, graph: GraphName | None = None) -> int:
        """How many quads the store (or one graph) holds."""
        ...

    def dump(self, *, format: str = "trig", with_union: bool = False) -> bytes:
        """The whole dataset (the named graphs) as deterministic ``trig`` or ``nquads`` bytes;
        ``with_union``: their union as the default graph too (``zkg export``)."""
        ...

    def close(self) -> None:
        """Release what the store holds."""
        ...


class PassesEngineBytes(StoreFacade, Protocol):
    """A store with :attr:`Capabilities.engine_bytes`: the engine's answer as it wrote it."""

    #: The query time limit, in seconds.
    timeout: float

    @property
    def engine_row_cap(self) -> int | None:
        """The most rows the engine sends in one answer (None: no cap it says)."""
        ...

    def query_raw(
        self,
        sparql: str,
        accept: str,
        *,
        default_graph: GraphName | Sequence[GraphName] | None = None,
        named_graphs: Iterable[GraphName] | None = None,
        max_bytes: int = 8 * 2**20,
        scanned: Scan | None = None,
    ) -> tuple[str, bytes | None, Any]:
        """(media type, bytes, None), or (media type, None, a lazy result) past ``max_bytes``;
        see :meth:`zkg.store.remote.RemoteStore.query_raw`. (``Any`` as for ``query``: the
        lazy result's kind follows the query's form.)"""
        ...


def passes_engine_bytes(store: StoreFacade) -> PassesEngineBytes | None:
    """``store`` typed as :class:`PassesEngineBytes` when it declares that capability, else None."""
    return cast(PassesEngineBytes, store) if store.capabilities.engine_bytes else None


class EngineSupervisor(Protocol):
    """What :class:`zkg.store.remote.RemoteStore` asks of the process that runs its engine:
    :class:`zkg.store.managed_engine.ManagedEngine`, or in a worker of ``zkg serve --workers``
    :class:`zkg.serve.workers.WorkerEngine`, its view of the parent's engine."""

    @property
    def query_url(self) -> str:
        """Where the engine answers queries now (a restarted engine has a new port)."""
        ...

    @property
    def update_url(self) -> str:
        """Where the engine takes updates now."""
        ...

    @property
    def read_only_reason(self) -> StoreError | None:
        """Why the engine serves read-only, when this process knows; else None."""
        ...

    def begin_request(self) -> None:
        """A request to the engine begins (counted: work with none in flight is runaway)."""
        ...

    def end_request(self) -> None:
        """That request ended."""
        ...

    def wait_ready(self, timeout: float) -> bool:
        """Wait until the engine answers (after a restart); False if it does not in time."""
        ...

    def overrun(self, *, started: bool) -> None:
        """A request passed its deadline; ``started``: the engine had begun to answer."""
        ...
