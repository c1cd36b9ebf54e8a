"""Constants shared by the tests (imported by name; `conftest` is not importable reliably,
since more than one conftest.py lives under tests/)."""

from pathlib import Path
from typing import Iterable

import pyoxigraph as ox

from zkg.base.settings import resource_dir
from zkg.store import union_graph

TEST_BASE = "http://zkg.test/"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# A miniature project (graph/ + ontology/) with relative IRIs, independent of the real data.
FIXTURE_PROJECT = FIXTURES / "project"
GRAPH_DIR = resource_dir("graph")
ONTOLOGY_DIR = resource_dir("ontology")


def exported_nquads(quads: Iterable[ox.Quad]) -> bytes:
    """``quads`` as ``zkg export --format nquads`` writes a dataset: each quad, and the set
    union of the named graphs as the default graph (zkg.store.union_graph), which another
    engine's loader loads with them (Virtuoso's into the graph its recipe names)."""
    return ox.serialize(union_graph.with_union_copies(quads), format=ox.RdfFormat.N_QUADS)


def add_as_loaded(oxigraph: ox.Store, *quads: ox.Quad) -> None:
    """Add ``quads`` to a zkg store's pyoxigraph store directly (a test's shortcut past the
    write path), each triple in the default graph too, as ``zkg load`` writes it: the union
    of the named graphs that queries read (zkg.store.union_graph)."""
    oxigraph.extend(union_graph.with_union_copies(quads))
