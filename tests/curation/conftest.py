"""Fixtures for the curation tests: a store with the project's data, its change log, and
helpers to write changesets in Turtle."""

from __future__ import annotations

from types import SimpleNamespace

import pyoxigraph as ox
import pytest

from tests.support.zkg_testing import TEST_BASE
from zkg.curation.changelog import ChangeLog
from zkg.curation.changeset_files import parse_quads
from zkg.curation.changesets import Changeset
from zkg.rdf.serialize import serialize_dataset

B = TEST_BASE
METADATA = B + "graph/metadata"


def turtle(text: str, *, graph: str | None = None) -> list[ox.Quad]:
    """Quads of Turtle (zkg prefixes predeclared), in ``graph`` (a name under graph/) or none."""
    if graph is None:
        return parse_quads(text, format=ox.RdfFormat.TURTLE, base_iri=B)
    return parse_quads(f"graph:{graph} {{ {text} }}", format=ox.RdfFormat.TRIG, base_iri=B)


def changeset(
    *,
    add: str | list = (),
    remove: str | list = (),
    by: str = "Test Curator",
    source: str = "https://example.org/source",
    message: str = "",
) -> Changeset:
    additions = turtle(add) if isinstance(add, str) else list(add)
    removals = turtle(remove) if isinstance(remove, str) else list(remove)
    return Changeset.new(base_iri=B, agent=by, source=source, additions=additions, removals=removals, message=message)


def data_dump(store) -> bytes:
    """The dataset without the descriptions of changesets and agents (the history), as
    deterministic N-Quads: what a revert must restore exactly."""

    def history(q: ox.Quad) -> bool:
        return (
            isinstance(q.graph_name, ox.NamedNode)
            and q.graph_name.value == METADATA
            and isinstance(q.subject, ox.NamedNode)
            and q.subject.value.startswith((B + "graph/changes/", B + "id/agent/"))
        )

    return serialize_dataset((q for q in store.quads() if not history(q)), format="nquads")


def graph_counts(store) -> dict[str, int]:
    """Quads per graph, the history left out (as in :func:`data_dump`)."""
    counts: dict[str, int] = {}
    for quad in store.quads():
        if not (
            isinstance(quad.graph_name, ox.NamedNode)
            and quad.graph_name.value == METADATA
            and isinstance(quad.subject, ox.NamedNode)
            and quad.subject.value.startswith((B + "graph/changes/", B + "id/agent/"))
        ):
            counts[str(quad.graph_name)] = counts.get(str(quad.graph_name), 0) + 1
    return counts


def update_changeset(store, text: str, *, by: str = "Test Curator", source: str = "https://example.org/source"):
    """The changeset of a SPARQL Update, made as /sparql makes it: statements written without a
    graph go to the changeset's own graph; the blank nodes the update makes are new."""
    from zkg.curation import reserved
    from zkg.curation.changesets import changeset_graph, new_id
    from zkg.curation.update_translation import translate_update

    translation = translate_update(store, text, keep=reserved.keep(store))
    changeset_id = new_id()
    own = ox.NamedNode(changeset_graph(B, changeset_id))
    additions = [
        ox.Quad(q.subject, q.predicate, q.object, own) if isinstance(q.graph_name, ox.DefaultGraph) else q
        for q in translation.additions
    ]
    return Changeset.new(
        base_iri=B,
        agent=by,
        source=source,
        additions=additions,
        removals=translation.removals,
        id=changeset_id,
        new_nodes=translation.new_nodes,
        anchors=translation.anchors,
    )


@pytest.fixture
def helpers():
    return SimpleNamespace(
        turtle=turtle,
        changeset=changeset,
        data_dump=data_dump,
        graph_counts=graph_counts,
        update_changeset=update_changeset,
        base=B,
        metadata=METADATA,
    )


@pytest.fixture
def log(store) -> ChangeLog:
    """The (in-memory) change log of the in-memory ``store``."""
    return ChangeLog.for_store(store)
