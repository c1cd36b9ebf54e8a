"""The query default graph: the set union of the named graphs, kept in the store itself.

DESIGN.md, decision 4: a triple stated by two sources (two named graphs) is one triple of
the default graph, counted once, while ``GRAPH ?g`` still shows both. No engine zkg runs on
gives that by itself: pyoxigraph's ``use_default_graph_as_union`` and Oxigraph server's
``union-default-graph`` yield a triple once per graph holding it (Oxigraph issue 1919, fixed
after 0.5), ``FROM <g1> FROM <g2>`` does the same there, and Virtuoso's default graph without
a dataset is every graph with duplicates (by design).

So zkg *maintains* the union as a graph of the store, and every query without a dataset of
its own reads that graph:

- where it lives: the store's real default graph (pyoxigraph, Oxigraph server: a query reads
  it and nothing else, and ``GRAPH ?g`` never ranges over it), or, on an engine without a
  default graph of its own (Virtuoso), the named graph :data:`VIRTUOSO_UNION` that the
  README's recipe loads an export's default graph into;
- who writes it: ``zkg load`` (:func:`with_union_copies` in the bulk path, :data:`REBUILD` in
  the same atomic update as a small load), and the one write path (:mod:`zkg.curation.apply`),
  whose single commit update adds each added triple to it and takes a removed triple out
  only when no named graph holds it any more (:func:`maintenance`);
- what it is not: data. The dataset's quads, counts and dumps are the named graphs'
  (:meth:`zkg.store.local.Store.quads`); ``zkg export`` adds the union (as the default graph)
  so that another engine loaded from it has it too.

A data directory loaded before zkg kept the union has none (its default graph held only what
Graph Store clients wrote with ``?default``): it is refused in one line until ``zkg load``
builds the union (:func:`check_record`), moving those statements to the named graph that
``?default`` now names (:data:`GRAPH_STORE_DEFAULT`, :func:`keep_graph_store_default`).

>>> import pyoxigraph as ox
>>> a, g, h = ox.NamedNode("urn:a"), ox.NamedNode("urn:g"), ox.NamedNode("urn:h")
>>> store = ox.Store()
>>> store.extend([ox.Quad(a, a, a, g), ox.Quad(a, a, a, h)])
>>> store.update(REBUILD)
>>> len(list(store.quads_for_pattern(None, None, None, ox.DefaultGraph())))
1
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Iterable, Iterator, TypeAlias

import pyoxigraph as ox

from zkg.base.errors import StoreError
from zkg.store.facade import StoreFacade
from zkg.store.layout import LoadRecord

#: A triple as the write path holds it: (subject, predicate, object) terms.
Triple: TypeAlias = tuple[
    ox.NamedNode | ox.BlankNode | ox.Triple, ox.NamedNode, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
]

#: The load record's key saying the store keeps the union, and its value.
RECORD_KEY = "default_graph"
RECORD_VALUE = "union of the named graphs"
#: The named graph standing in for the default graph on Virtuoso (the README's recipe loads an
#: export's default graph there).
VIRTUOSO_UNION = "urn:x-zkg:default"
#: The named graph the Graph Store Protocol's ``?default`` names, under ``{base}graph/``
#: (:func:`zkg.curation.writer.graph_store_default`).
GRAPH_STORE_DEFAULT = "graph-store-default"

#: The update that makes the default graph the union of the named graphs again, from nothing.
REBUILD = "DROP SILENT DEFAULT ;\nINSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"


def resync(union: str | None = None) -> str:
    """The update that makes the union graph (``union``: a named graph's IRI; None: the
    default graph) the union again by difference: what it holds that no named graph does
    goes, what a named graph holds that it lacks comes. Appended to the raw updates of tests
    and tools (a scan of the store); the write path keeps the union by itself.

    >>> print(resync())
    DELETE { ?s ?p ?o } WHERE { ?s ?p ?o FILTER NOT EXISTS { GRAPH ?g { ?s ?p ?o } } } ;
    INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } FILTER NOT EXISTS { ?s ?p ?o } }
    """
    if union is None:
        held, named = "?s ?p ?o", "GRAPH ?g { ?s ?p ?o }"
    else:
        held, named = f"GRAPH <{union}> {{ ?s ?p ?o }}", f"GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{union}>)"
    return (
        f"DELETE {{ {held} }} WHERE {{ {held} FILTER NOT EXISTS {{ {named} }} }} ;\n"
        f"INSERT {{ {held} }} WHERE {{ {named} FILTER NOT EXISTS {{ {held} }} }}"
    )


RESYNC = resync()

_DEFAULT = ox.DefaultGraph()


def copy_in(quad: ox.Quad, union: ox.NamedNode | ox.DefaultGraph = _DEFAULT) -> ox.Quad:
    """``quad``'s triple in the union graph ``union``.

    >>> s = ox.NamedNode("urn:s")
    >>> copy_in(ox.Quad(s, s, s, ox.NamedNode("urn:g")))
    <Quad subject=<NamedNode value=urn:s> predicate=<NamedNode value=urn:s> object=<NamedNode value=urn:s> graph_name=<DefaultGraph>>
    """
    return ox.Quad(quad.subject, quad.predicate, quad.object, union)


def with_union_copies(quads: Iterable[ox.Quad]) -> Iterator[ox.Quad]:
    """Each quad, then its triple in the default graph (a store keeps one of each: the
    duplicates a triple in several graphs makes cost nothing but their reading)."""
    return itertools.chain.from_iterable((q, copy_in(q)) for q in quads)


def maintenance(
    added: Iterable[Triple], gone: Iterable[Triple], union: ox.NamedNode | ox.DefaultGraph = _DEFAULT
) -> tuple[list[ox.Quad], list[ox.Quad]]:
    """(quads to insert into the union, quads to delete from it) for a change that adds the
    triples ``added`` to named graphs and leaves the triples ``gone`` in none. A triple both
    added and gone (moved between graphs) stays: the commit deletes before it inserts.

    >>> s, o = ox.NamedNode("urn:s"), ox.NamedNode("urn:o")
    >>> inserted, deleted = maintenance([(s, s, s)], [(s, s, o)])
    >>> [str(q) for q in inserted], [str(q) for q in deleted]
    (['<urn:s> <urn:s> <urn:s>'], ['<urn:s> <urn:s> <urn:o>'])
    """
    inserted = sorted({ox.Quad(s, p, o, union) for s, p, o in added}, key=str)
    deleted = sorted({ox.Quad(s, p, o, union) for s, p, o in gone}, key=str)
    return inserted, deleted


def union_of(store: StoreFacade) -> ox.NamedNode | ox.DefaultGraph | None:
    """The graph where ``store`` (a :class:`~zkg.store.facade.StoreFacade`) keeps the union
    (:attr:`zkg.store.facade.Capabilities.union_graph`); None where it keeps none (Virtuoso)."""
    if not store.capabilities.keeps_union:
        return None
    named = store.capabilities.union_graph
    return ox.NamedNode(named) if named else _DEFAULT


def mark(record: LoadRecord) -> LoadRecord:
    """``record`` saying the store keeps the union (written by every ``zkg load``)."""
    marked: LoadRecord = {**record, "default_graph": RECORD_VALUE}
    return marked


def graph_store_default_iri(base_iri: str) -> str:
    """The IRI of the graph ``?default`` names.

    >>> graph_store_default_iri("http://zkg.test/")
    'http://zkg.test/graph/graph-store-default'
    """
    return f"{base_iri}graph/{GRAPH_STORE_DEFAULT}"


def keep_graph_store_default(base_iri: str) -> str:
    """The update that moves an earlier zkg's default graph (what Graph Store clients wrote
    to ``?default``) to the named graph ``?default`` names now, before the union is built."""
    return f"INSERT {{ GRAPH <{graph_store_default_iri(base_iri)}> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }}"


def is_marked(record: LoadRecord | None) -> bool:
    """Whether ``record`` says the store keeps the union."""
    return record is not None and record.get(RECORD_KEY) == RECORD_VALUE


def check_record(data_dir: Path, record: LoadRecord | None) -> None:
    """Refuse a data directory loaded before zkg kept the union (see the module docstring).

    >>> check_record(Path("d"), {"base_iri": "http://zkg.test/", RECORD_KEY: RECORD_VALUE})
    >>> check_record(Path("d"), {"base_iri": "http://zkg.test/"})
    Traceback (most recent call last):
    ...
    zkg.base.errors.StoreError: the store at d was loaded by an earlier zkg, whose default graph was not the set union of the named graphs: run `zkg load` again (it keeps what Graph Store clients wrote to ?default)
    """
    if record is not None and not is_marked(record):
        raise StoreError(
            f"the store at {data_dir} was loaded by an earlier zkg, whose default graph was not the set union "
            "of the named graphs: run `zkg load` again (it keeps what Graph Store clients wrote to ?default)"
        )
