"""Deterministic serialisation: the same dataset gives the same bytes, every time.

Blank nodes are renamed by W3C RDF Dataset Canonicalization (RDFC-1.0), then quads are sorted
by graph, subject, predicate and object, so exports can be diffed and compared byte for byte.

>>> from pyoxigraph import BlankNode, Literal, NamedNode, Quad
>>> g = NamedNode("http://zkg.test/graph/a")
>>> p = NamedNode("http://zkg.test/def/p")
>>> quads = [Quad(BlankNode(), p, Literal("1"), g), Quad(NamedNode("http://zkg.test/id/x"), p, BlankNode(), g)]
>>> print(serialize_dataset(quads, format="nquads").decode(), end="")
<http://zkg.test/id/x> <http://zkg.test/def/p> _:c14n1 <http://zkg.test/graph/a> .
_:c14n0 <http://zkg.test/def/p> "1" <http://zkg.test/graph/a> .
"""

from __future__ import annotations

from typing import Iterable

import pyoxigraph as ox

from zkg.base.errors import ZkgError

DATASET_FORMATS = {"trig": ox.RdfFormat.TRIG, "nquads": ox.RdfFormat.N_QUADS}


def _sort_key(quad: ox.Quad) -> tuple[str, str, str, str]:
    # The default graph sorts first; str() of a term is its N-Triples form, a total order.
    graph = "" if isinstance(quad.graph_name, ox.DefaultGraph) else str(quad.graph_name)
    return (graph, str(quad.subject), str(quad.predicate), str(quad.object))


def canonical_quads(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """The quads with canonical blank node labels, sorted."""
    dataset = ox.Dataset(quads)
    algorithm = getattr(ox.CanonicalizationAlgorithm, "RDFC_1_0", None)
    if algorithm is not None:
        dataset.canonicalize(algorithm)
    return sorted(dataset, key=_sort_key)


def serialize_dataset(
    quads: Iterable[ox.Quad], *, format: str = "trig", prefixes: dict[str, str] | None = None
) -> bytes:
    """TriG (with ``prefixes``) or N-Quads bytes of ``quads``, deterministic."""
    try:
        rdf_format = DATASET_FORMATS[format]
    except KeyError:
        raise ZkgError(f"unknown export format {format!r}: use one of {', '.join(DATASET_FORMATS)}") from None
    ordered = canonical_quads(quads)
    if rdf_format == ox.RdfFormat.N_QUADS:
        return _bytes(ox.serialize(ordered, format=rdf_format))
    return _sort_prefix_lines(_bytes(ox.serialize(ordered, format=rdf_format, prefixes=prefixes or {})))


def _bytes(serialized: bytes | None) -> bytes:
    """What pyoxigraph's serialize returns when given no output (bytes; None only with one)."""
    assert serialized is not None
    return serialized


def _sort_prefix_lines(data: bytes) -> bytes:
    # pyoxigraph writes @prefix lines longest namespace first; alphabetical reads better.
    lines = data.split(b"\n")
    head = 0
    while head < len(lines) and lines[head].startswith(b"@prefix "):
        head += 1
    return b"\n".join(sorted(lines[:head]) + lines[head:])
