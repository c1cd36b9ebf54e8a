"""The state an update's operations work on, and what the request means in the end.

zkg evaluates an update request operation by operation, each on the state the earlier ones
left (:mod:`zkg.curation.update_translation`). :class:`PendingState` holds the diff so far:
quads added (not in the store) and quads removed (in the store); the state an operation sees
is ``(store - removed) + added``. The store itself is only read, through the facade's
``query()``, in batches (:data:`BATCH` quads per existence check). :class:`Translation` is the
result: additions only of quads not in the store, removals only of quads in it (so that
reverting the changeset restores the exact previous state); a quad added then removed within
the request (or the reverse) cancels out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import pyoxigraph as ox

#: Quads per existence-check query.
BATCH = 200

DEFAULT = ox.DefaultGraph()


@dataclass
class Translation:
    """What an update request means for the store."""

    additions: list[ox.Quad]  # not in the store before
    removals: list[ox.Quad]  # in the store before
    operations: list[str] = field(default_factory=list)  # one line per operation, for reports
    new_nodes: frozenset = frozenset()  # labels of the blank nodes the request makes
    anchors: tuple = ()  # statements of the store's blank nodes it read (zkg.curation.blank_nodes: no scan for them)
    # Statements the request deletes by name (DELETE DATA, variable-free DELETE template
    # quads) that are neither in the store nor added earlier by the request.
    stale: list[ox.Quad] = field(default_factory=list)
    inserts: bool = False  # whether an operation inserted statements (new or not)

    @property
    def empty(self) -> bool:
        return not self.additions and not self.removals

    @property
    def stale_correction(self) -> bool:
        """A correction made against a state that has changed: the request deletes by name a
        statement that is not there, and inserts. zkg refuses it (409), as the form refuses
        the correction of a statement someone else changed meanwhile, so that neither value
        is lost silently. A DELETE DATA of absent data alone stays a no-op, as SPARQL says."""
        return bool(self.stale) and self.inserts


def graph_term(graph) -> str:
    return "" if isinstance(graph, ox.DefaultGraph) else str(graph)


def sort_key(quad: ox.Quad) -> tuple[str, str, str, str]:
    return (graph_term(quad.graph_name), str(quad.subject), str(quad.predicate), str(quad.object))


def has_blank(quad: ox.Quad) -> bool:
    return any(isinstance(t, ox.BlankNode) for t in (quad.subject, quad.object, quad.graph_name))


class PendingState:
    """The store as the operations so far have left it: ``(store - removed) + added``.

    Quads are exact (each in its graph), except that an *added* quad in the default graph
    means "to the changeset's own graph" (:mod:`zkg.curation.changesets` puts it there), so it is
    never looked for in the store. Removing a quad of the default graph removes its triple
    from every graph that holds it: the default graph is the union of all graphs.
    """

    def __init__(self, store):
        self.store = store
        self.added: dict[ox.Quad, None] = {}  # ordered set; none of them in the store
        self.removed: dict[ox.Quad, None] = {}  # all of them in the store
        self.created: set = set()  # graphs CREATEd by this request (empty until filled)
        # Labels of the blank nodes this request minted (INSERT DATA, templates): new to the
        # store by definition, so never looked for in it.
        self.fresh_labels: set[str] = set()
        self.stale: dict[ox.Quad, None] = {}  # deleted by name, and not there (Translation.stale)
        self.anchors: dict = {}  # store blank node -> a statement of it read from the store
        self.inserts = False

    def fresh(self, quad: ox.Quad) -> bool:
        return any(isinstance(t, ox.BlankNode) and t.value in self.fresh_labels for t in (quad.subject, quad.object))

    # -- the store, read ----------------------------------------------------------------------

    def _query(self, text: str):
        return self.store.query(text)

    def store_quads(self, graph=None) -> list[ox.Quad]:
        """The store's quads of one named graph, or of all of them (None). The store's default
        graph holds none of its own: it is their union (:mod:`zkg.store.union_graph`)."""
        if graph is None:
            text = "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
            return [ox.Quad(r["s"], r["p"], r["o"], r["g"]) for r in self._query(text)]
        if isinstance(graph, ox.DefaultGraph):
            return []
        rows = self._query(f"SELECT ?s ?p ?o WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}")
        return [ox.Quad(r["s"], r["p"], r["o"], graph) for r in rows]

    def store_graphs(self) -> list:
        """The store's named graphs that hold quads."""
        rows = self._query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return sorted((r["g"] for r in rows), key=str)

    def lookup(self, quads: Iterable[ox.Quad], *, any_graph: bool = False) -> set[ox.Quad]:
        """The store's quads among ``quads`` (``any_graph``: the store's quads, in whatever
        graph, with the triples of ``quads``). One query per graph and batch; quads with
        blank nodes one query per shape."""
        found: set[ox.Quad] = set()
        by_graph: dict[object, list[ox.Quad]] = {}
        for quad in quads:
            if isinstance(quad.graph_name, ox.BlankNode):
                continue  # SPARQL cannot name a blank-node graph
            by_graph.setdefault(None if any_graph else quad.graph_name, []).append(quad)
        for graph, group in by_graph.items():
            ground = [q for q in group if not has_blank(q)]
            for start in range(0, len(ground), BATCH):
                found |= self._lookup_ground(graph, ground[start : start + BATCH])
            found |= self._lookup_blank(graph, [q for q in group if has_blank(q)])
        return found

    @staticmethod
    def _pattern(graph, pattern: str) -> str:
        if graph is None:
            return f"GRAPH ?g {{ {pattern} }}"
        return pattern if isinstance(graph, ox.DefaultGraph) else f"GRAPH {graph} {{ {pattern} }}"

    def _rows_to_quads(self, rows, graph, fixed=None) -> set[ox.Quad]:
        quads = set()
        for row in rows:
            s, p, o = (row[v] if fixed is None or fixed[i] is None else fixed[i] for i, v in enumerate(("s", "p", "o")))
            quads.add(ox.Quad(s, p, o, (row["g"] or DEFAULT) if graph is None else graph))
        return quads

    def _lookup_ground(self, graph, quads: list[ox.Quad]) -> set[ox.Quad]:
        if not quads:
            return set()
        values = " ".join(f"({q.subject} {q.predicate} {q.object})" for q in quads)
        # The rows after the pattern (the same join): see zkg.curation.apply._holders, Virtuoso.
        text = f"SELECT * WHERE {{ {self._pattern(graph, '?s ?p ?o')} VALUES (?s ?p ?o) {{ {values} }} }}"
        return self._rows_to_quads(self._query(text), graph)

    def _lookup_blank(self, graph, quads: list[ox.Quad]) -> set[ox.Quad]:
        # Blank nodes cannot be named in a query: ask once per shape (which positions are
        # blank, what the others are) for every blank node in those positions, and compare.
        shapes: dict[tuple, list[ox.Quad]] = {}
        for quad in quads:
            key = tuple(None if isinstance(t, ox.BlankNode) else t for t in (quad.subject, quad.predicate, quad.object))
            shapes.setdefault(key, []).append(quad)
        found: set[ox.Quad] = set()
        for key, group in shapes.items():
            names = ("?s", "?p", "?o")
            parts = " ".join(names[i] if term is None else str(term) for i, term in enumerate(key))
            filters = " ".join(f"FILTER(isBlank({names[i]}))" for i, term in enumerate(key) if term is None)
            text = f"SELECT * WHERE {{ {self._pattern(graph, parts)} {filters} }}"
            present = self._rows_to_quads(self._query(text), graph, fixed=key)
            wanted = {(q.subject, q.predicate, q.object) for q in group}
            found |= {q for q in present if (q.subject, q.predicate, q.object) in wanted}
        return found

    # -- the state, read ------------------------------------------------------------------------

    def graph_quads(self, graph) -> list[ox.Quad]:
        """The quads of one named graph in the current state; for the default graph, every
        triple of the union, as default-graph quads."""
        if isinstance(graph, ox.DefaultGraph):
            everything = [q for q in self.store_quads() if q not in self.removed] + list(self.added)
            return list(dict.fromkeys(ox.Quad(q.subject, q.predicate, q.object) for q in everything))
        quads = [q for q in self.store_quads(graph) if q not in self.removed]
        return quads + [q for q in self.added if q.graph_name == graph]

    def all_quads(self) -> list[ox.Quad]:
        """Every quad of the current state, each in its graph."""
        return [q for q in self.store_quads() if q not in self.removed] + list(self.added)

    def named_graphs(self) -> list:
        """The named graphs holding quads in the current state."""
        graphs = set(self.store_graphs())
        removed: dict = {}
        for quad in self.removed:
            removed[quad.graph_name] = removed.get(quad.graph_name, 0) + 1
        for graph, count in removed.items():
            if graph in graphs and count >= self._count(graph):
                graphs.discard(graph)  # every quad of it removed
        graphs |= {q.graph_name for q in self.added if not isinstance(q.graph_name, ox.DefaultGraph)}
        return sorted(graphs, key=str)

    def _count(self, graph) -> int:
        rows = self._query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}")
        return int(next(iter(rows))["n"].value)

    def graph_exists(self, graph) -> bool:
        if isinstance(graph, ox.DefaultGraph) or graph in self.created:
            return True
        return graph in self.named_graphs()

    @property
    def changed_graphs(self) -> set:
        return {q.graph_name for q in self.added} | {q.graph_name for q in self.removed}

    # -- the state, changed ---------------------------------------------------------------------

    def add(self, quads: Iterable[ox.Quad]) -> int:
        """Add quads (those already there change nothing); how many were new. Default-graph
        quads go to the changeset's own graph: always new."""
        fresh = []
        quads = list(dict.fromkeys(quads))
        self.inserts = self.inserts or bool(quads)
        for quad in quads:
            if quad in self.added:
                continue
            if quad in self.removed:
                del self.removed[quad]
            else:
                fresh.append(quad)
        look = [q for q in fresh if not self.fresh(q) and not isinstance(q.graph_name, ox.DefaultGraph)]
        present = self.lookup(look)
        for quad in fresh:
            if quad not in present:
                self.added[quad] = None
        return len(fresh) - len(present)

    def remove(self, quads: Iterable[ox.Quad], *, named: Iterable[ox.Quad] = ()) -> int:
        """Remove quads (those not there change nothing); how many were there. A quad of the
        default graph: its triple from every graph holding it. Quads of ``named`` (those the
        request deletes by name) that are not there at all, nor added or removed earlier by
        the request, are remembered as stale."""
        exact, anywhere = [], []
        for quad in dict.fromkeys(quads):
            (anywhere if isinstance(quad.graph_name, ox.DefaultGraph) else exact).append(quad)

        def triple(q):
            return (q.subject, q.predicate, q.object)

        seen = {triple(q) for q in (*self.added, *self.removed)} | {q for q in (*self.added, *self.removed)}
        count = 0
        triples = {triple(q) for q in anywhere}
        for quad in list(self.added):
            if quad in exact or triple(quad) in triples:
                del self.added[quad]
                count += 1
        candidates = [q for q in exact if q not in self.removed and not self.fresh(q)]
        found = self.lookup(candidates)
        found |= self.lookup([q for q in anywhere if not self.fresh(q)], any_graph=True)
        for quad in found:
            if quad not in self.removed:
                self.removed[quad] = None
                count += 1
        held = found | {triple(q) for q in found}
        for quad in named:
            key = triple(quad) if isinstance(quad.graph_name, ox.DefaultGraph) else quad
            if key not in held and key not in seen:
                self.stale[quad] = None
        return count

    def result(self, operations: list[str]) -> Translation:
        return Translation(
            additions=list(self.added),
            removals=sorted(self.removed, key=sort_key),
            operations=operations,
            new_nodes=frozenset(self.fresh_labels),
            stale=sorted(self.stale, key=sort_key),
            inserts=self.inserts,
            anchors=tuple(dict.fromkeys(self.anchors.values())),
        )
