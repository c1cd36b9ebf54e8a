"""The bounded description of one resource, with the named graph of every statement.

What a description holds (the data documents and pages of :mod:`zkg.web.linked_data.entities` are made
from it):

- **own**: the resource's statements, and those of the blank nodes it leads to, followed
  to any depth up to :data:`MAX_BLANK_DEPTH` (a Concise Bounded Description);
- **incoming**: statements whose object is the resource, from IRI subjects (up to
  :data:`INCOMING_LIMIT`; a blank subject means nothing out of its context, so is left out);
- **neighbour**: the types and labels of every resource those statements mention;
- **provenance**: for every named graph the statements come from, the graph's label and
  source, and the source document's own description (title, publisher, date, page).

Each statement keeps the named graphs it is in. The whole description takes three SPARQL
queries whatever the number of neighbours (more only past 500 neighbours, in chunks), and
speaks only SPARQL to the store, so it works the same on a remote engine. Blank node labels
are only comparable within one result set, so the blank-node closure is one query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import pyoxigraph as ox

from zkg.linked_data.labels import LABEL_PROPERTIES
from zkg.rdf.namespaces import DCTERMS, PROV, RDF, RDFS, SCHEMA

RDF_TYPE = RDF + "type"
RDFS_LABEL = RDFS + "label"

#: Blank nodes are followed this deep (a statement about a blank node inside a blank node…).
#: The first query goes :data:`FIRST_BLANK_DEPTH` deep; only when that is not enough (long
#: RDF lists) is it asked again this deep.
MAX_BLANK_DEPTH = 24
FIRST_BLANK_DEPTH = 4
#: At most this many own and incoming statements (a hub such as a class or a code would
#: otherwise drag the whole graph in); the description says when it was cut.
OWN_LIMIT = 2000
INCOMING_LIMIT = 500

#: How a graph names where its statements come from, best first: the source document, else
#: the agent it is attributed to (the project's own graphs have no document).
SOURCE_PROPERTIES = (DCTERMS + "source", PROV + "wasDerivedFrom", PROV + "wasAttributedTo")
#: What the description says about each graph and each source document.
PROVENANCE_PROPERTIES = (
    RDF_TYPE,
    RDFS_LABEL,
    DCTERMS + "title",
    *SOURCE_PROPERTIES,
    SCHEMA + "name",
    SCHEMA + "headline",
    SCHEMA + "publisher",
    SCHEMA + "datePublished",
    SCHEMA + "printPage",
    SCHEMA + "url",
    DCTERMS + "bibliographicCitation",
)
NEIGHBOUR_PROPERTIES = (RDF_TYPE, *LABEL_PROPERTIES)

OWN, INCOMING, NEIGHBOUR, PROVENANCE = "own", "incoming", "neighbour", "provenance"


@dataclass(frozen=True)
class Statement:
    """One triple of a description and the named graphs that hold it (sorted)."""

    subject: ox.NamedNode | ox.BlankNode
    predicate: ox.NamedNode
    object: ox.NamedNode | ox.BlankNode | ox.Literal
    graphs: tuple[ox.NamedNode, ...]
    role: str  # OWN, INCOMING, NEIGHBOUR or PROVENANCE

    @property
    def triple(self) -> ox.Triple:
        return ox.Triple(self.subject, self.predicate, self.object)


@dataclass(frozen=True)
class GraphSource:
    """Where the statements of one named graph come from."""

    graph: str
    source: str | None  # the source document's IRI, else the agent's; None when unknown
    derived: bool  # True: ``source`` is a document the graph is derived from


@dataclass
class Description:
    iri: ox.NamedNode
    statements: list[Statement] = field(default_factory=list)
    graph_sources: dict[str, GraphSource] = field(default_factory=dict)
    own_truncated: bool = False
    incoming_truncated: bool = False
    blank_nodes_truncated: bool = False

    @property
    def exists(self) -> bool:
        """Whether the store says anything about or pointing to the resource."""
        return any(s.role in (OWN, INCOMING) for s in self.statements)

    def by_role(self, role: str) -> list[Statement]:
        return [s for s in self.statements if s.role == role]

    def own(self) -> list[Statement]:
        """Statements whose subject is the resource itself (not its blank nodes)."""
        return [s for s in self.statements if s.role == OWN and s.subject == self.iri]

    def about(self, node) -> list[Statement]:
        """Every statement of the description whose subject is ``node``."""
        return [s for s in self.statements if s.subject == node]

    def graphs(self) -> list[str]:
        """The named graphs the statements come from, sorted."""
        return sorted({g.value for s in self.statements for g in s.graphs})

    def source_of(self, graph: ox.NamedNode | str) -> GraphSource | None:
        return self.graph_sources.get(graph.value if isinstance(graph, ox.NamedNode) else graph)


def _blank_closure_query(iri: ox.NamedNode, depth: int, limit: int) -> str:
    """The resource's statements and those of the blank nodes it leads to, ``depth`` deep.

    Branch k reaches the blank nodes k steps away from the resource, through blank nodes
    only; ?depth tells which branch a row came from, to see whether the closure was cut.
    Each branch binds ?s and ?depth with VALUES or as the last hop's node, never with BIND:
    Virtuoso 7.2.5's compiler fails on BIND next to FILTER(isBlank) in a UNION ("SP031 …
    sparp_gp_deprecate"), and this one shape is read the same by every engine.

    >>> print(_blank_closure_query(ox.NamedNode("http://x/a"), 1, 10))
    SELECT DISTINCT ?s ?p ?o ?g ?depth WHERE {
      { VALUES (?s ?depth) { (<http://x/a> 0) } GRAPH ?g { ?s ?p ?o } }
      UNION { VALUES ?depth { 1 } GRAPH ?g1 { <http://x/a> ?p1 ?s } FILTER(isBlank(?s)) GRAPH ?g { ?s ?p ?o } }
    } LIMIT 11
    """
    branches = [f"{{ VALUES (?s ?depth) {{ ({iri} 0) }} GRAPH ?g {{ ?s ?p ?o }} }}"]
    for k in range(1, depth + 1):
        hops, previous = [], str(iri)
        for step in range(1, k + 1):
            node = "?s" if step == k else f"?b{step}"
            hops.append(f"GRAPH ?g{step} {{ {previous} ?p{step} {node} }} FILTER(isBlank({node}))")
            previous = node
        branches.append(f"{{ VALUES ?depth {{ {k} }} " + " ".join(hops) + " GRAPH ?g { ?s ?p ?o } }")
    return "SELECT DISTINCT ?s ?p ?o ?g ?depth WHERE {\n  " + "\n  UNION ".join(branches) + f"\n}} LIMIT {limit + 1}"


def _collect(rows: Iterable, role: str, into: dict) -> None:
    for row in rows:
        key = (row["s"], row["p"], row["o"])
        entry = into.setdefault(key, [role, set()])
        entry[1].add(row["g"])


def _values(iris: Iterable[str]) -> str:
    return " ".join(str(ox.NamedNode(i)) for i in iris)


def _iri_list(iris: Iterable[str]) -> str:
    return " ".join(f"<{i}>" for i in iris)


def _own_and_incoming_query(node: ox.NamedNode, depth: int) -> str:
    """The blank-node closure (:func:`_blank_closure_query`) and the incoming links from IRI
    subjects, each bounded as on its own, in one query: rows with ``?depth`` are the
    closure's, rows without it the incoming links. ``?o`` is bound by VALUES, not BIND
    (Virtuoso, as in :func:`_blank_closure_query`).

    >>> print(_own_and_incoming_query(ox.NamedNode("http://x/a"), 0))
    SELECT ?s ?p ?o ?g ?depth WHERE {
    { SELECT DISTINCT ?s ?p ?o ?g ?depth WHERE {
      { VALUES (?s ?depth) { (<http://x/a> 0) } GRAPH ?g { ?s ?p ?o } }
    } LIMIT 2001 }
    UNION { SELECT DISTINCT ?s ?p ?g ?o WHERE { VALUES ?o { <http://x/a> } GRAPH ?g { ?s ?p ?o } FILTER(isIRI(?s)) } ORDER BY ?s ?p ?g LIMIT 501 }
    }
    """
    own = _blank_closure_query(node, depth, OWN_LIMIT)
    incoming = (
        f"SELECT DISTINCT ?s ?p ?g ?o WHERE {{ VALUES ?o {{ {node} }} GRAPH ?g {{ ?s ?p ?o }} FILTER(isIRI(?s)) }} "
        f"ORDER BY ?s ?p ?g LIMIT {INCOMING_LIMIT + 1}"
    )
    return f"SELECT ?s ?p ?o ?g ?depth WHERE {{\n{{ {own} }}\nUNION {{ {incoming} }}\n}}"


def _provenance_query(graphs: list[str]) -> str:
    """The provenance of ``graphs``: each graph's statements of :data:`PROVENANCE_PROPERTIES`,
    and those of the sources it names (:data:`SOURCE_PROPERTIES`). Not merged with the
    neighbours' query (which the graphs depend on) by a subquery: Virtuoso answered that
    merged query without some graphs' provenance."""
    properties = _iri_list(PROVENANCE_PROPERTIES)
    return f"""
            SELECT DISTINCT ?s ?p ?o ?g WHERE {{
              {{ VALUES ?s {{ {_values(graphs)} }} GRAPH ?g {{ ?s ?p ?o }} FILTER(?p IN ({properties.replace(" ", ", ")})) }}
              UNION
              {{ VALUES ?graph {{ {_values(graphs)} }}
                 GRAPH ?link {{ ?graph {_iri_list(SOURCE_PROPERTIES).replace(" ", "|")} ?s }} FILTER(isIRI(?s))
                 GRAPH ?g {{ ?s ?p ?o }} FILTER(?p IN ({properties.replace(" ", ", ")})) }}
            }}"""


def describe(store, iri: str) -> Description:
    """The description of ``iri`` from ``store`` (a :class:`zkg.store.local.Store` or any object
    with its ``query`` method): three queries, the others only when the first found
    anything; more only for blank nodes deeper than :data:`FIRST_BLANK_DEPTH` or past 500
    neighbours."""
    node = ox.NamedNode(iri)
    description = Description(node)
    found: dict[tuple, list] = {}

    # 1. Own statements with the blank-node closure (blank node labels are only stable
    #    within one result set), and the incoming links from IRI subjects, in one query;
    #    deeper only when the first depth was not enough.
    for depth in (FIRST_BLANK_DEPTH, MAX_BLANK_DEPTH):
        rows = list(store.query(_own_and_incoming_query(node, depth), trusted=True))
        own = [r for r in rows if r["depth"] is not None]
        incoming = [r for r in rows if r["depth"] is None]
        description.own_truncated = len(own) > OWN_LIMIT
        own = own[:OWN_LIMIT]
        cut = any(int(r["depth"].value) == depth and isinstance(r["o"], ox.BlankNode) for r in own)
        if not cut or depth == MAX_BLANK_DEPTH:
            description.blank_nodes_truncated = cut
            break
    _collect(own, OWN, found)
    description.incoming_truncated = len(incoming) > INCOMING_LIMIT
    _collect(incoming[:INCOMING_LIMIT], INCOMING, found)
    if not found:
        return description

    # 2. Types and labels of every neighbour: the IRIs these statements mention.
    neighbours = set()
    for (s, _p, o), (_role, _graphs) in found.items():
        for term in (s, o):
            if isinstance(term, ox.NamedNode) and term != node:
                neighbours.add(term.value)
    neighbour_rows = []
    ordered = sorted(neighbours)
    for start in range(0, len(ordered), 500):
        neighbour_rows += store.query(
            f"SELECT ?s ?p ?o ?g WHERE {{ VALUES ?s {{ {_values(ordered[start : start + 500])} }} "
            f"GRAPH ?g {{ ?s ?p ?o }} FILTER(?p IN ({', '.join(_iri_list(NEIGHBOUR_PROPERTIES).split())})) }}",
            trusted=True,
        )
    _collect((r for r in neighbour_rows if (r["s"], r["p"], r["o"]) not in found), NEIGHBOUR, found)

    # 3. Provenance: each graph, its source, and the source's own description.
    graphs = sorted({g.value for _role, gs in found.values() for g in gs})
    provenance_rows = list(store.query(_provenance_query(graphs), trusted=True))
    for row in provenance_rows:
        key = (row["s"], row["p"], row["o"])
        if key in found:
            found[key][1].add(row["g"])
        else:
            found[key] = [PROVENANCE, {row["g"]}]
    description.graph_sources = _graph_sources(graphs, provenance_rows)

    order = {OWN: 0, INCOMING: 1, NEIGHBOUR: 2, PROVENANCE: 3}
    description.statements = sorted(
        (Statement(s, p, o, tuple(sorted(gs, key=str)), role) for (s, p, o), (role, gs) in found.items()),
        key=lambda st: (order[st.role], str(st.subject), str(st.predicate), str(st.object)),
    )
    return description


def _graph_sources(graphs: list[str], rows: list) -> dict[str, GraphSource]:
    sources: dict[str, GraphSource] = {}
    for graph in graphs:
        said = {}
        for row in rows:
            if row["s"].value == graph and row["p"].value in SOURCE_PROPERTIES and isinstance(row["o"], ox.NamedNode):
                said.setdefault(row["p"].value, []).append(row["o"].value)
        source = next((sorted(said[p])[0] for p in SOURCE_PROPERTIES if p in said), None)
        derived = any(p in said for p in SOURCE_PROPERTIES[:2])
        sources[graph] = GraphSource(graph, source, derived)
    return sources
