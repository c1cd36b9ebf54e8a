"""Issue 18's speed targets, as data: the report reads them (:mod:`benchmarks.report`) and the
CI regression run keeps zkg above half of them (:mod:`benchmarks.regression`).

The targets are for distinct requests (no text sent twice) at 1M triples on a 2-core machine:

>>> RATIO_TARGETS["point"]
{'oxigraph': 0.5, 'rdflib': 3.0}
>>> RATE_TARGETS["search"]
RateTarget(rps=1000, p99_ms=20)
>>> memory_bound(179)
508
"""

from __future__ import annotations

from typing import NamedTuple

#: Requests/s of zkg over a peer's, per SPARQL kind: at least this (zkg / peer).
RATIO_TARGETS: dict[str, dict[str, float]] = {
    "point": {"oxigraph": 0.5, "rdflib": 3.0},
    "describe": {"oxigraph": 0.5, "rdflib": 3.0},
    "two_hop": {"oxigraph": 0.9},
    "aggregate": {"oxigraph": 0.9},
    "label_search": {"oxigraph": 0.9},
}

#: The size the ratio and rate targets are set at.
TARGET_SIZE = 1_000_000


class RateTarget(NamedTuple):
    """At least ``rps`` requests a second with a 99th percentile under ``p99_ms``."""

    rps: int
    p99_ms: float


#: zkg-only kinds: cold entity pages, data documents, /search with distinct words.
RATE_TARGETS: dict[str, RateTarget] = {
    "page_cold": RateTarget(500, 50),
    "data": RateTarget(500, 50),
    "search": RateTarget(1000, 20),
}


def memory_bound(engine_mb: float) -> int:
    """The most ``zkg serve`` may hold resident (MB): twice the engine's own, plus 150 MB."""
    return round(2 * engine_mb + 150)


def ratio_target_names() -> list[tuple[str, str, float]]:
    """(kind, peer, target) for every ratio target, in a stable order.

    >>> ratio_target_names()[:2]
    [('point', 'oxigraph', 0.5), ('point', 'rdflib', 3.0)]
    """
    return [(kind, peer, bound) for kind, peers in RATIO_TARGETS.items() for peer, bound in peers.items()]
