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


def shipped_changesets(base_iri: str = TEST_BASE) -> list:
    """The changesets `zkg load` applies from the project's graph/changes/ (the sources curated
    after the first article): a store `zkg load` built has them in its history already."""
    from zkg.curation.shipped_changes import read_changeset, shipped_files

    return [read_changeset(path, base_iri=base_iri) for path in shipped_files(GRAPH_DIR)]


def shipped_touching(iri: str, base_iri: str = TEST_BASE) -> int:
    """How many of :func:`shipped_changesets` have a statement about or pointing to ``iri``."""
    return sum(
        any(iri in (q.subject.value, getattr(q.object, "value", None)) for q in (*c.additions, *c.removals))
        for c in shipped_changesets(base_iri)
    )


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
