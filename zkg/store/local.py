"""The store facade over pyoxigraph, in this process (:class:`Store`).

A data directory holds ``store/`` (pyoxigraph's RocksDB files; a link to ``store-<n>`` once
a bulk load has swapped a new store in, see :mod:`zkg.store.layout`) and ``zkg.json`` (the
base IRI the store was loaded under, when, and from which files). ``path=None`` gives an
in-memory store, for tests and throwaway use. A load's bulk path, which builds a new store
and swaps it in, is :mod:`zkg.store.local_loading`.

>>> store = Store.open(base_iri="http://zkg.test/")
>>> store.update('INSERT DATA { GRAPH graph:demo { id:luo-wei schema:name "Luo Wei" } }')
>>> [str(row["name"]) for row in store.query("SELECT ?name { ?p schema:name ?name }")]
['"Luo Wei"']
>>> store.named_graphs()
[<NamedNode value=http://zkg.test/graph/demo>]
>>> store.count()
1
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, NamedTuple, Sequence

import pyoxigraph as ox

from zkg.base.errors import QueryError, ReadOnlyData, StoreError, storage_fault
from zkg.rdf.prefixes import graph_iri, prefixes
from zkg.rdf.rdflib_view import rdflib_graph
from zkg.rdf.serialize import serialize_dataset
from zkg.rdf.sparql_scan import Scan, scan
from zkg.store import layout as store_layout
from zkg.store import loading, local_loading, union_graph
from zkg.store.extension_functions import MAX_FUNCTIONS, unsupported_function
from zkg.store.facade import Capabilities, GraphName, GraphTerm, StoreFacade, Substitutions
from zkg.store.layout import LoadRecord, open_live_store, read_record
from zkg.store.local_loading import LoadReport

if TYPE_CHECKING:  # for annotations only: rdflib is imported when a copy is made (zkg.rdf.rdflib_view)
    import rdflib


class ValidationGraphs(NamedTuple):
    """rdflib copies of what SHACL validation needs."""

    data: rdflib.Graph  # union of all graphs except vocabulary and shapes
    shapes: rdflib.Graph  # the shapes graph
    ontology: rdflib.Graph  # the vocabulary graph (classes, properties, code lists)


def has_dataset_clause(sparql: str) -> bool:
    """Whether a query names its own dataset (FROM or FROM NAMED).

    >>> has_dataset_clause("SELECT * FROM <g> { ?s ?p ?o }")
    True
    >>> has_dataset_clause('SELECT ?from { ?from <p> "from" . <x#FROM> ?p ex:from } # from')
    False
    """
    return scan(sparql).has_dataset_clause  # zkg's lexer: strings, IRIs and comments apart


def _no_value(*arguments: object) -> None:
    """A function pyoxigraph does not implement: no value (an evaluation error, as SPARQL says)."""
    return None


def _as_graph_term(graph: GraphName) -> GraphTerm:
    if isinstance(graph, (ox.NamedNode, ox.BlankNode, ox.DefaultGraph)):
        return graph
    return ox.NamedNode(str(graph))


def validation_graphs(store: StoreFacade) -> ValidationGraphs:
    """What SHACL validation needs of any store (this one, or an engine's through
    :class:`~zkg.store.remote.RemoteStore`), as rdflib copies: the data (every graph but
    vocabulary and shapes, default graph included), the shapes graph and the vocabulary graph."""
    vocabulary = ox.NamedNode(graph_iri(store.base_iri, loading.VOCABULARY))
    shapes = ox.NamedNode(graph_iri(store.base_iri, loading.SHAPES))
    data = (q for q in store.quads() if q.graph_name not in (vocabulary, shapes))
    return ValidationGraphs(
        rdflib_graph(data), rdflib_graph(store.quads(shapes)), rdflib_graph(store.quads(vocabulary))
    )


class Store:
    """A zkg store: a pyoxigraph store plus the base IRI its data was loaded under.

    Build one with :meth:`open`. Methods raise :class:`~zkg.base.errors.ZkgError` subclasses for
    anything a user can cause. Thread-safe as pyoxigraph is; one process per on-disk store.
    A :class:`~zkg.store.facade.StoreFacade`, in process.
    """

    capabilities = Capabilities(in_process=True)

    def __init__(
        self, oxigraph_store: ox.Store, *, base_iri: str, data_dir: Path | None, read_only: StoreError | None = None
    ):
        self._store: ox.Store | None = oxigraph_store
        self.base_iri = base_iri
        self.data_dir = data_dir
        # Why the store was opened read-only (a read-only directory, a full disk), or None:
        # every write raises it, so the refusal names the real cause.
        self.read_only_reason = read_only
        self.prefixes = prefixes(base_iri)
        self._memory_record: LoadRecord | None = None  # zkg.json's content, for in-memory stores
        # Dataset versions (zkg.store.version: ETags, cached dumps) derive from these.
        # Every write through this object bumps ``writes``; ``session`` tells this opening
        # from earlier ones, whose writes this object cannot know about.
        self.session = secrets.token_hex(8)
        self.writes = 0
        self.changed_at = datetime.now(timezone.utc)

    def _wrote(self) -> None:
        self.writes += 1
        self.changed_at = datetime.now(timezone.utc)

    # -- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path | None = None, *, base_iri: str, create: bool = False) -> "Store":
        """Open the store in data directory ``path`` (None: a new in-memory store).

        Without ``create`` the store must exist (``zkg load`` made it). A store loaded under
        another base IRI, or held by another process, raises StoreError. A store that cannot
        be opened for writing because its directory is read-only or its disk is full is
        opened read-only instead (queries work, writes raise ReadOnlyData or StorageFull);
        with ``create`` that raises at once. What a bulk load cut short by a crash left is
        settled first (:mod:`zkg.store.layout`): its swap finished, or its new store deleted.
        """
        if path is None:
            return cls(ox.Store(), base_iri=base_iri, data_dir=None)
        data_dir = Path(path)
        store_layout.settle(data_dir)  # a bulk load a crash cut short: finish its swap (or nothing)
        record = read_record(data_dir)
        if record is None and not create:
            raise StoreError(f"no store at {data_dir}: run `zkg load` first")
        if record is not None and record.get("base_iri") != base_iri:
            raise StoreError(
                f"store at {data_dir} was loaded with base IRI {record.get('base_iri')}; "
                f"run `zkg load --base-iri {base_iri}` into a new data directory"
            )
        if not create:
            union_graph.check_record(data_dir, record)
        store_dir = store_layout.live_store_dir(data_dir)
        fault: StoreError | None
        if not create and store_dir.is_dir() and not os.access(store_dir, os.W_OK):
            fault = ReadOnlyData(f"the data directory {data_dir} is read-only: reads work, writes are refused")
        else:
            try:
                data_dir.mkdir(parents=True, exist_ok=True)
                return cls(open_live_store(data_dir), base_iri=base_iri, data_dir=data_dir)
            except OSError as error:
                fault = storage_fault(
                    error, data_dir, doing="open the store for writing", after="nothing was written (free some space)"
                )
                if fault is None and "LOCK" in str(error):
                    raise StoreError(
                        f"the store at {data_dir} is in use by another process (is `zkg serve` running?)"
                    ) from None
                if fault is None or create or record is None:
                    raise fault or StoreError(f"cannot open the store at {data_dir}: {error}") from None
        try:  # reading needs no writing: RocksDB's read-only mode writes nothing
            return cls(ox.Store.read_only(str(store_dir)), base_iri=base_iri, data_dir=data_dir, read_only=fault)
        except OSError as error:
            raise StoreError(f"cannot open the store at {data_dir} (read-only): {error}") from None

    def close(self) -> None:
        """Release the store (and its lock on disk); the object is unusable afterwards."""
        self._store = None

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def oxigraph(self) -> ox.Store:
        """The underlying pyoxigraph store, for features the facade does not wrap."""
        if self._store is None:
            raise StoreError("the store is closed")
        return self._store

    # -- reading -------------------------------------------------------------------------

    def query(
        self,
        sparql: str,
        *,
        default_graph: GraphName | Sequence[GraphName] | None = None,
        named_graphs: Iterable[GraphName] | None = None,
        substitutions: Substitutions | None = None,
        scanned: Scan | None = None,
        trusted: bool = False,
    ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        """Evaluate a SPARQL query: QuerySolutions, QueryBoolean or QueryTriples.

        The default graph is the set union of the named graphs (the store keeps it:
        :mod:`zkg.store.union_graph`) unless ``default_graph`` (IRI or list) is given or the
        query has FROM or FROM NAMED. The zkg prefixes are predeclared and
        relative IRIs resolve against the base IRI. ``scanned`` is what zkg already read of
        the text and ``trusted`` that it is zkg's own: the remote store reads them, pyoxigraph
        needs neither. Results are lazy: errors during evaluation surface while iterating.

        >>> store = Store.open(base_iri="http://zkg.test/")
        >>> bool(store.query("ASK { ?s ?p ?o }"))
        False
        >>> store.query("SELEKT")
        Traceback (most recent call last):
        ...
        zkg.base.errors.QueryError: SPARQL syntax error: error at 1:7: expected one of ...
        """
        options: dict[str, Any] = {"base_iri": self.base_iri, "prefixes": self.prefixes}  # pyoxigraph's keywords
        if default_graph is not None:
            if isinstance(default_graph, (str, ox.NamedNode, ox.BlankNode, ox.DefaultGraph)):
                default_graph = [default_graph]
            options["default_graph"] = [_as_graph_term(g) for g in default_graph]
        # Otherwise pyoxigraph's own default graph: the union, kept (never its union option,
        # which yields a triple once per graph holding it).
        if named_graphs is not None:
            options["named_graphs"] = [_as_graph_term(g) for g in named_graphs]
        if substitutions:
            options["substitutions"] = {
                ox.Variable(k) if isinstance(k, str) else k: v for k, v in substitutions.items()
            }
        # A function pyoxigraph does not implement is an error of its expression, not of
        # the query (zkg.store.extension_functions): the query runs again with it giving no value.
        unimplemented: dict[
            ox.NamedNode, Callable[..., ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None]
        ] = {}
        while True:
            try:
                return self.oxigraph.query(sparql, **options, custom_functions=unimplemented or None)
            except SyntaxError as error:
                raise QueryError(f"SPARQL syntax error: {error}") from None
            except (OSError, ValueError, TypeError, RuntimeError) as error:
                function = unsupported_function(str(error)) if isinstance(error, RuntimeError) else None
                if (
                    function is not None
                    and len(unimplemented) < MAX_FUNCTIONS
                    and ox.NamedNode(function) not in unimplemented
                ):
                    unimplemented[ox.NamedNode(function)] = _no_value
                    continue
                # OSError too: pyoxigraph reports failed SERVICE calls that way.
                raise QueryError(f"query failed: {error}") from None

    def named_graphs(self) -> list[ox.NamedNode | ox.BlankNode]:
        """The named graphs in the store, sorted by IRI."""
        return sorted(self.oxigraph.named_graphs(), key=str)

    def quads(self, graph: GraphName | None = None) -> Iterator[ox.Quad]:
        """The data's quads (the named graphs'), or those of one graph (an IRI, a term, or
        ``DefaultGraph()``: the union the store keeps, :mod:`zkg.store.union_graph`)."""
        if graph is None:
            return (q for q in self.oxigraph if not isinstance(q.graph_name, ox.DefaultGraph))
        return self.oxigraph.quads_for_pattern(None, None, None, _as_graph_term(graph))

    def count(self, graph: GraphName | None = None) -> int:
        """How many quads the named graphs (or one graph) hold."""
        if graph is None:
            return len(self.oxigraph) - self.count(ox.DefaultGraph())
        target = _as_graph_term(graph)
        if not isinstance(target, ox.BlankNode):  # counted by the engine, not quad by quad in Python
            pattern = "?s ?p ?o" if isinstance(target, ox.DefaultGraph) else f"GRAPH {target} {{ ?s ?p ?o }}"
            solutions = self.oxigraph.query(f"SELECT (COUNT(*) AS ?n) {{ {pattern} }}")
            assert isinstance(solutions, ox.QuerySolutions)  # a SELECT's answer
            return int(next(solutions)["n"].value)
        return sum(1 for _ in self.quads(graph))

    def dump(self, *, format: str = "trig", with_union: bool = False) -> bytes:
        """The whole dataset (the named graphs) as deterministic ``trig`` or ``nquads`` bytes;
        ``with_union``: their union as the default graph too, for another engine to load
        (``zkg export``; :mod:`zkg.store.union_graph`).

        >>> store = Store.open(base_iri="http://zkg.test/")
        >>> store.update("INSERT DATA { GRAPH graph:g { id:a zkg:p id:b } }")
        >>> print(store.dump(format="nquads").decode(), end="")
        <http://zkg.test/id/a> <http://zkg.test/def/p> <http://zkg.test/id/b> <http://zkg.test/graph/g> .
        >>> print(store.dump(format="nquads", with_union=True).decode(), end="")
        <http://zkg.test/id/a> <http://zkg.test/def/p> <http://zkg.test/id/b> .
        <http://zkg.test/id/a> <http://zkg.test/def/p> <http://zkg.test/id/b> <http://zkg.test/graph/g> .
        """
        quads = self.oxigraph if with_union else self.quads()
        return serialize_dataset(iter(quads), format=format, prefixes=self.prefixes)

    def union_graph_for_validation(self) -> ValidationGraphs:
        """rdflib copies: the data (every graph but vocabulary and shapes, default graph
        included), the shapes graph and the vocabulary graph."""
        return validation_graphs(self)

    # -- writing -------------------------------------------------------------------------

    @property
    def read_only(self) -> bool:
        """Whether the store was opened read-only (see :meth:`open`)."""
        return self.read_only_reason is not None

    def _refuse_if_read_only(self) -> None:
        if self.read_only_reason is not None:
            raise type(self.read_only_reason)(self.read_only_reason.message)

    def _write_failed(self, error: OSError, *, doing: str) -> StoreError:
        """The StoreError for an OSError of a write: a full disk, a read-only directory, or other."""
        return storage_fault(error, self.data_dir, doing=doing) or StoreError(f"store error: {error}")

    def update(self, sparql: str, *, keeps_union: bool = False) -> None:
        """Run a SPARQL Update in one atomic pyoxigraph call (all of it or nothing).

        The default graph stays the union of the named graphs (:mod:`zkg.store.union_graph`):
        ``keeps_union`` says the text keeps it itself (the write path's commit); else the same
        call makes it so again after the update, by comparing it with the named graphs (a
        scan of the store: for tests and tools, not for the write path)."""
        self._refuse_if_read_only()
        if not keeps_union:
            sparql = f"{sparql}\n;\n{union_graph.RESYNC}"
        try:
            self.oxigraph.update(sparql, base_iri=self.base_iri, prefixes=self.prefixes)
        except SyntaxError as error:
            raise QueryError(f"SPARQL syntax error: {error}") from None
        except OSError as error:
            # A full disk: RocksDB refuses the whole batch (and every later write until reopened).
            raise storage_fault(error, self.data_dir) or QueryError(f"update failed: {error}") from None
        except (ValueError, TypeError, RuntimeError) as error:
            raise QueryError(f"update failed: {error}") from None
        self._wrote()  # only on success: pyoxigraph updates are atomic, a failed one changed nothing

    def load_sources(
        self,
        *,
        graph_dir: str | Path,
        ontology_dir: str | Path,
        bulk_threshold: int = loading.BULK_THRESHOLD,
        progress: Callable[[int], None] | None = None,
    ) -> LoadReport:
        """(Re)build the graphs defined by the project's files; leave every other graph alone.

        Every file is parsed once and checked: a bad file raises DataError
        (``file:line:column``) and the store is unchanged. Up to ``bulk_threshold`` quads, the
        graphs the files define (and those an earlier load took from files that no longer
        define them) are replaced in one atomic update. Past it, pyoxigraph's bulk loader builds
        a new store beside the old one (the files' graphs and a copy of every other graph) and
        swaps it in with one rename (:mod:`zkg.store.layout`; ``progress(n)`` is called as it
        goes): a failure at any step, a full disk or a crash included, leaves the old store as
        it was. Loading the same files twice gives the same store.

        >>> import pathlib, shutil, tempfile
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> (root / "graph").mkdir(); (root / "ontology").mkdir()
        >>> _ = (root / "graph" / "a.trig").write_text('<graph/a> { <id/x> <def/p> "1" }')
        >>> store = Store.open(base_iri="http://zkg.test/")
        >>> store.load_sources(graph_dir=root / "graph", ontology_dir=root / "ontology").graphs
        {'http://zkg.test/graph/a': 1}
        >>> shutil.rmtree(root)
        """
        self._refuse_if_read_only()
        sources = loading.discover_sources(
            graph_dir=Path(graph_dir), ontology_dir=Path(ontology_dir), base_iri=self.base_iri
        )
        previous = self._read_own_record() or {}
        earlier = {g for f in previous.get("files", []) for g in f.get("graphs", [])}
        parsed = loading.ParsedSources()
        batches = loading.checked_batches(sources, self.base_iri, parsed)
        held: list[list[ox.Quad]] = []
        held_quads = 0
        for batch in batches:  # parse until the files are done, or there are too many quads to hold
            held.append(batch)
            held_quads += len(batch)
            if held_quads > bulk_threshold:
                graphs = self._bulk_load(local_loading.handed_over(held, batches), parsed, earlier, progress)
                break
        else:
            graphs = self._replace_graphs(list(itertools.chain.from_iterable(held)), parsed, earlier)
        return LoadReport(
            files=parsed.files,
            graphs=graphs,
            removed_graphs=sorted(earlier - parsed.graphs),
            total=sum(graphs.values()),
            bulk=held_quads > bulk_threshold,
        )

    def _replace_graphs(self, quads: list[ox.Quad], parsed: loading.ParsedSources, earlier: set[str]) -> dict[str, int]:
        """The small load: one atomic update (or extend) in this store; quads per graph."""
        to_drop = sorted(parsed.graphs) + sorted(earlier - parsed.graphs)
        present = {g.value for g in self.oxigraph.named_graphs() if isinstance(g, ox.NamedNode)}
        kept_union = union_graph.is_marked(self._read_own_record()) or not len(self.oxigraph)
        if present.isdisjoint(to_drop) and kept_union:
            # Nothing to replace: one extend() is as atomic as the update, and much faster.
            try:
                self.oxigraph.extend(union_graph.with_union_copies(quads))
            except OSError as error:
                raise self._write_failed(error, doing="load") from None
            self._wrote()
        else:  # the union made again in the same update (a store of an earlier zkg has none)
            first = [] if kept_union else [union_graph.keep_graph_store_default(self.base_iri)]
            self.update_raw(" ;\n".join([*first, loading.replace_graphs_update(to_drop, quads), union_graph.REBUILD]))
        self._write_own_record(union_graph.mark(local_loading.load_record(self.base_iri, parsed)))
        return {iri: self.count(iri) for iri in sorted(parsed.graphs)}

    def _bulk_load(
        self,
        batches: Iterator[list[ox.Quad]],
        parsed: loading.ParsedSources,
        earlier: set[str],
        progress: Callable[[int], None] | None,
    ) -> dict[str, int]:
        """The big load (:mod:`zkg.store.local_loading`): a new store built from ``batches``
        (the rest of ``parsed``) and the graphs of this one the files do not replace, then
        swapped in; quads per graph."""
        data_dir = self.data_dir
        if data_dir is not None and store_layout.link_target(data_dir) is None:
            self._convert_plain_store(data_dir)
        old_dir = None if data_dir is None else store_layout.live_store_dir(data_dir)

        def quads() -> Iterator[ox.Quad]:  # called while this store is still the old one
            replaced = parsed.graphs | earlier
            earlier_default = None
            if not union_graph.is_marked(self._read_own_record()):
                earlier_default = ox.NamedNode(union_graph.graph_store_default_iri(self.base_iri))
            return local_loading.bulk_quads(
                batches, keep_from=self.oxigraph, replaced=replaced, progress=progress, earlier_default=earlier_default
            )

        if data_dir is None:
            new = ox.Store()
            new.bulk_extend(quads())
            self._memory_record = union_graph.mark(local_loading.load_record(self.base_iri, parsed))
        else:
            new = local_loading.build_beside(
                data_dir, quads, lambda: union_graph.mark(local_loading.load_record(self.base_iri, parsed))
            )
        self._store = new  # the old store is closed here (its lock released), then deleted
        self._wrote()
        if old_dir is not None:
            shutil.rmtree(old_dir, ignore_errors=True)
        return local_loading.bulk_counts(parsed, self.count)

    def _convert_plain_store(self, data_dir: Path) -> None:
        """Make a plain ``store/`` the link ``store -> store-<n>`` that a swap can replace
        (:func:`zkg.store.layout.convert_plain`), closing and reopening the store around it."""
        self._store = None
        refused = None
        try:
            store_layout.convert_plain(data_dir)
        except OSError as error:
            refused = error.strerror or str(error)
        try:
            self._store = open_live_store(data_dir)
        except OSError:  # another process took the lock meanwhile: nothing was changed
            raise StoreError(
                f"the store at {data_dir} is in use by another process (is `zkg serve` running?)"
            ) from None
        if refused is not None:
            raise StoreError(
                f"cannot load this many quads into {data_dir}: its store/ directory cannot be renamed "
                f"({refused}); a bulk load builds a new store beside it and swaps it in "
                "(a mount point? mount the data directory instead)"
            )

    def update_raw(self, sparql: str) -> None:
        """Run an update without the zkg prefixes or base (for generated, fully absolute text)."""
        self._refuse_if_read_only()
        try:
            self.oxigraph.update(sparql)
        except OSError as error:
            raise self._write_failed(error, doing="load") from None
        self._wrote()

    # -- the metadata file ---------------------------------------------------------------

    @property
    def load_record(self) -> LoadRecord | None:
        """What the last :meth:`load_sources` recorded (base IRI, time, files), if any."""
        return self._read_own_record()

    @property
    def engine_marker(self) -> tuple[str, datetime | None]:
        """('', None): only this process writes to its own store (the facade's member)."""
        return "", None

    def _read_own_record(self) -> LoadRecord | None:
        return self._memory_record if self.data_dir is None else read_record(self.data_dir)

    def _write_own_record(self, record: LoadRecord, *, after: str = "the graphs were loaded but not recorded") -> None:
        """Write ``zkg.json`` (:func:`zkg.store.layout.write_record`); ``after`` says, in the
        error of a full disk, what state that leaves."""
        if self.data_dir is None:
            self._memory_record = record
            return
        store_layout.write_record(self.data_dir, record, after=after)
