"""Peers: the other nodes a symmetric SPARQL constraint compares a focus node with, found by
an index-driven query on the store rather than by reading a whole neighbourhood.

The Data Cube constraint IC-12 (``zsh:IC12-NoDuplicateObservations``) compares an
observation ``X`` with every other node ``Y`` of its data set ``D``::

    $this qb:dataSet ?dataset . ?value qb:dataSet ?dataset .
    FILTER NOT EXISTS { ?dataset qb:structure/qb:component/qb:dimension ?dimension .
                        $this ?dimension ?mine . ?value ?dimension ?theirs .
                        FILTER (!sameTerm(?mine, ?theirs)) }

Reading every observation of ``D`` (the path ``qb:dataSet/^qb:dataSet/ANY``) makes a write
cost grow with the data set. But, dimension by dimension, ``Y`` can only duplicate ``X`` when
``X`` has no value for the dimension, or ``Y`` has none, or both have the one same value
(``X`` with two values differs from whatever ``Y`` has: ``Y`` must have none). So the peers
of ``X`` in ``D`` are found as:

- choose a dimension ``d`` where ``X`` has one value ``x``, an IRI (so the store's index can be
  used, :data:`PROBE` rows at most are counted per dimension to take the rarest);
- a peer either has ``d = x`` (an index lookup), and is kept unless it certainly differs
  from ``X`` on another dimension; or it lacks ``d``: the members of the data set lacking
  ``d`` are found by an anti-join inside the store. That pattern is the same for every
  observation of the data set looking up the same dimension, so a changeset of many
  observations asks it once.

The anti-join is the one part that grows with the data set: it returns nothing when every
observation has its dimensions (IC-11), but the store must still go through the members
(about 0.1 s of Oxigraph's time for 80,000 observations). No index can say which members
*lack* a statement, and one that lacks every dimension duplicates every observation of its
data set: an exact verdict cannot skip it without bookkeeping outside the store.

"Certainly differ" means: in pySHACL's eyes, whose rdflib normalises literals in its own
way (``"2016-03-05+08:00"^^xsd:date`` is ``"2016-03-05"`` there, not in the store). So an
IRI differs from any other term, but a literal only from a literal of another datatype or
language, or, for a plain or language-tagged string (which rdflib keeps as it is), from
another string: two typed literals of one datatype are kept as possible duplicates (in
practice: the same series in other years), and counted (rdflib's terms) when telling one
value from several. ``X``'s values are read from the candidate graph (after the change),
the peers from the store (before it): a peer the change touches is a focus node itself,
and the candidate holds its statements after the change. Keeping too many peers costs
rows, never exactness: pySHACL decides on the candidate. The nodes the candidate already
knows in ``D`` (a node the changeset adds to it) are peers too.

Not covered (as with the mirrored path this replaces): a node of a data set that is not a
``qb:Observation`` is no target of IC-12, so when it changes, the observations it now
duplicates are not re-checked; the violation shows only when one of them is validated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

import pyoxigraph as ox

from zkg.rdf.namespaces import QB
from zkg.rdf.rdflib_view import rdflib_term

PROBE = 1000  # rows counted at most per dimension when choosing the one to look up


class Candidate(Protocol):
    """The candidate graph after the change, as seen by a peer search."""

    def objects(self, node, predicate: str) -> set: ...

    def subjects(self, predicate: str, node) -> set: ...

    def binding(self, node, var: str) -> str | None:
        """A pattern binding ``var`` to ``node`` in the store (None: the store cannot have it)."""


Ask = Callable[[str], list]  # runs a SELECT on the store (counted by the caller)


@dataclass
class Peers:
    """What a search found: ``patterns`` (SPARQL group patterns binding ``?peer`` in the
    store; the same text twice is asked once) and ``known`` (peers the candidate graph
    holds, e.g. added by the changeset)."""

    patterns: list[str] = field(default_factory=list)
    known: set = field(default_factory=set)


def duplicate_observations(this, candidate: Candidate, ask: Ask) -> Peers:
    """The nodes that may duplicate observation ``this`` under IC-12 (see the module docstring)."""
    found = Peers()
    for dataset in sorted(candidate.objects(this, QB + "dataSet"), key=str):
        if isinstance(dataset, ox.Literal):
            continue
        found.known |= {n for n in candidate.subjects(QB + "dataSet", dataset) if n != this}
        if isinstance(dataset, ox.NamedNode):
            member = f"?peer <{QB}dataSet> {dataset} ."
        else:  # a blank node of the store, found again by the path that reached it
            bound = candidate.binding(dataset, "?_dataset")
            if bound is None:  # added by the changeset: its members are in the candidate
                continue
            member = f"{bound} ?peer <{QB}dataSet> ?_dataset ."
        dimensions = {
            d
            for structure in candidate.objects(dataset, QB + "structure")
            for component in candidate.objects(structure, QB + "component")
            for d in candidate.objects(component, QB + "dimension")
        }
        found.patterns += _peers_in(this, member, _values_by_dimension(this, dimensions, candidate), ask)
    return found


def _values_by_dimension(this, dimensions: set, candidate: Candidate) -> dict:
    """{dimension IRI: the values of ``this`` as pySHACL sees them} (rdflib terms are
    normalised: two store literals may be one value there), for the dimensions it has."""

    values = {}
    for dimension in dimensions:
        if not isinstance(dimension, ox.NamedNode):
            continue  # no statement has it as predicate: it cannot tell anything apart
        mine = candidate.objects(this, dimension.value)
        if mine:
            distinct = {rdflib_term(v): v for v in sorted(mine, key=str)}
            values[dimension.value] = list(distinct.values())
    return values


def _peers_in(this, member: str, values: dict, ask: Ask) -> list[str]:
    """Group patterns binding ``?peer`` to the members of a data set (``member``: the pattern
    saying ``?peer`` is one) that may duplicate ``this``."""
    single = {d: v[0] for d, v in values.items() if len(v) == 1 and not isinstance(v[0], ox.BlankNode)}
    several = sorted(d for d, v in values.items() if len(v) > 1)
    lookups = sorted(d for d, v in single.items() if isinstance(v, ox.NamedNode))
    patterns = []
    if several:  # a peer lacks each of those dimensions: the anti-join on one finds them all
        anchor, selection = several[0], f"{member} MINUS {{ ?peer <{several[0]}> [] }}"
    elif lookups:
        anchor = _rarest(lookups, single, ask)
        selection = f"?peer <{anchor}> {single[anchor]} . {member}"
        patterns.append(f"{{ {member} MINUS {{ ?peer <{anchor}> [] }} }}")  # the same for every observation
    else:  # nothing to look up by: every member is read (in the store)
        anchor, selection = None, member
    filters = [f"FILTER NOT EXISTS {{ ?peer <{d}> [] }}" for d in several if d != anchor]
    for index, (dimension, value) in enumerate(sorted(single.items())):
        if dimension != anchor:
            differs = _certainly_differs(f"?_v{index}", value)
            filters.append(f"FILTER NOT EXISTS {{ ?peer <{dimension}> ?_v{index} . FILTER({differs}) }}")
    if isinstance(this, ox.NamedNode):
        filters.append(f"FILTER(?peer != {this})")
    return ["{ " + " ".join([selection, *filters]) + " }", *patterns]


def _certainly_differs(var: str, value) -> str:
    """A SPARQL condition true when the term in ``var`` cannot be the same rdflib term as
    ``value`` (see the module docstring)."""
    if isinstance(value, ox.NamedNode) or value.datatype.value in _KEPT_AS_WRITTEN:
        return f"!sameTerm({var}, {value})"
    return f"!isLiteral({var}) || datatype({var}) != {value.datatype}"


_KEPT_AS_WRITTEN = {"http://www.w3.org/2001/XMLSchema#string", "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"}


def _rarest(dimensions: list[str], single: dict, ask: Ask) -> str:
    """The dimension whose value of ``this`` the fewest statements have (counted up to PROBE)."""
    if len(dimensions) == 1:
        return dimensions[0]
    branches = [
        f"{{ SELECT ?s ({i} AS ?i) WHERE {{ ?s <{d}> {single[d]} }} LIMIT {PROBE} }}" for i, d in enumerate(dimensions)
    ]
    counts = {
        int(row["i"].value): int(row["n"].value)
        for row in ask("SELECT ?i (COUNT(?s) AS ?n) WHERE { " + " UNION ".join(branches) + " } GROUP BY ?i")
    }
    return min(dimensions, key=lambda d: (counts.get(dimensions.index(d), 0), d))
