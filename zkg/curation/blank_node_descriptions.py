"""A blank node of the store found again by its whole description, and a change written to it.

SPARQL cannot name a blank node of the store, so once :mod:`zkg.curation.blank_nodes` knows
which nodes a changeset means, the change is written to them through a pattern that finds
them: the node's whole *description* (every statement, in any graph, of the blank nodes of
its component), *closed* so that only an exact copy of the structure matches, and writing to
any match gives a dataset isomorphic to writing to the node meant. Each *unit* (the store's
components and new nodes that the changeset's statements link) is one operation of the
commit's single update. The validation is given a shorter pattern per node
(:func:`address`), for its own queries.

The bounds are here because the engine's time for one such pattern grows much faster than
its size. What the matching shares with this module (blank terms, graphs in patterns, the
store's own default graph, linked nodes grouped) is here too, the lower of the two.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pyoxigraph as ox

from zkg.curation.changesets import ANY_GRAPH, ChangesetError, quad_key

DEFAULT = ox.DefaultGraph()
#: The most blank nodes one changeset may reach through the structures it touches, and the most
#: statements of one unit's description: past them the change is refused (name the nodes with IRIs).
#: The engine's time for one pattern grows much faster than its size (a list of 100 items, 200
#: statements: half a second; of 300 items: a minute), hence the small bound on one structure.
MAX_NODES = 5000
MAX_DESCRIPTION = 200
#: Statements of a node in the pattern that finds it for the incremental validation.
ADDRESS_STATEMENTS = 30


# -- shared with the matching ----------------------------------------------------------------------


def blank_terms(quad: ox.Quad) -> list[ox.BlankNode]:
    """The blank nodes of ``quad`` (subject, object)."""
    return [t for t in (quad.subject, quad.object) if isinstance(t, ox.BlankNode)]


def in_graph(graph, triple: str, *, own_default: bool = True) -> str:
    """``triple`` as a pattern in ``graph`` (ANY_GRAPH: a named graph or the default one;
    ``own_default`` False: a named graph, the store's default graph being their union)."""
    if graph == ANY_GRAPH:
        if not own_default:
            return f"GRAPH ?_g {{ {triple} }}"
        return f"{{ GRAPH ?_g {{ {triple} }} }} UNION {{ {triple} }}"
    if isinstance(graph, ox.DefaultGraph):
        return triple
    return f"GRAPH {graph} {{ {triple} }}"


def own_default(store) -> bool:
    """Whether ``store``'s default graph is to be asked for as a graph of its own: never now,
    it is the union of the named graphs that zkg keeps (:mod:`zkg.store.union_graph`), so
    the write path reads named graphs only. (The branches for a default graph of its own stay
    for a changeset written to one, which :class:`~zkg.curation.changesets.Changeset` no
    longer makes.)"""
    return False


def select_own_default(store, text: str):
    """``text``'s solutions on the store's own default graph, as the update that commits sees it."""
    return store.query(text)


class BlankNodeGroups:
    """Blank nodes grouped by the statements that link them (union-find)."""

    def __init__(self):
        self.parent: dict = {}

    def find(self, x):
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def link(self, nodes) -> None:
        nodes = list(nodes)
        for other in nodes[1:]:
            self.parent[self.find(other)] = self.find(nodes[0])


# -- descriptions -------------------------------------------------------------------------------------------


def _anchor_pattern(node: ox.BlankNode, anchor: ox.Quad) -> str:
    def term(t):
        if t == node:
            return "?_a0"
        return "?_a1" if isinstance(t, ox.BlankNode) else str(t)

    pattern = in_graph(anchor.graph_name, f"{term(anchor.subject)} {anchor.predicate} {term(anchor.object)} .")
    blanks = {term(t) for t in blank_terms(anchor)}
    return pattern + " " + " ".join(f"FILTER(isBlank({v}))" for v in sorted(blanks))


def describe(store, anchors: dict[ox.BlankNode, ox.Quad]) -> set[ox.Quad]:
    """Every quad of the store with a blank node of the components of ``anchors`` ({node: one
    of its statements in the store}), in any graph. One query per shape of anchor and level;
    what a query says of other nodes matching the anchor is kept (their whole descriptions),
    so that a chain of blank nodes (an RDF list) costs one query, not one per link."""
    described: set = set()
    statements: set = set()
    known: dict = {}  # node -> its whole description, fetched as a side effect
    todo = dict(anchors)
    # (VALUES, not BIND, says which branch: Virtuoso 7.2.5's compiler fails on BIND in a
    # UNION's branches with a FILTER, SP031.) The default graph's branches only where the
    # store has one of its own: else they would be every named graph's statements again.
    branches = [("GRAPH ?_gg { ?_a0 ?_p ?_t }", 1), ("GRAPH ?_gg { ?_t ?_p ?_a0 }", 2)]
    if own_default(store):
        branches += [("?_a0 ?_p ?_t", 3), ("?_t ?_p ?_a0", 4)]
    while todo:
        if len(described) + len(todo) > MAX_NODES:
            raise ChangesetError(
                f"the change reaches more than {MAX_NODES} linked blank nodes of the store: "
                "give the nodes IRIs, or change them in smaller parts"
            )
        by_shape: dict[str, set] = {}
        for node, anchor in todo.items():
            if node not in known:
                by_shape.setdefault(_anchor_pattern(node, anchor), set()).add(node)
        for anchor in by_shape:
            union = " UNION ".join(f"{{ {anchor} {where} VALUES ?_d {{ {n} }} }}" for where, n in branches)
            text = f"SELECT ?_a0 ?_d ?_t ?_p ?_gg WHERE {{ {union} }}"
            for row in select_own_default(store, text):
                node = row["_a0"]
                outgoing = row["_d"].value in ("1", "3")
                subject, obj = (node, row["_t"]) if outgoing else (row["_t"], node)
                known.setdefault(node, set()).add(ox.Quad(subject, row["_p"], obj, row["_gg"] or DEFAULT))
        fetched = set().union(*(known.get(node, set()) for node in todo))
        described |= set(todo)
        statements |= fetched
        todo = {}
        for quad in fetched:
            for node in blank_terms(quad):
                if node not in described:
                    todo.setdefault(node, quad)
    return statements


# -- patterns on descriptions ---------------------------------------------------------------------------------


def _signature(node, description) -> frozenset:
    out = set()
    for quad in description:
        for position, term, other in (("s", quad.subject, quad.object), ("o", quad.object, quad.subject)):
            if term == node:
                out.add(
                    (
                        position,
                        str(quad.graph_name),
                        str(quad.predicate),
                        "_" if isinstance(other, ox.BlankNode) else str(other),
                    )
                )
    return frozenset(out)


def closed_pattern(names: dict, description: list[ox.Quad], *, own_default: bool = True) -> str:
    """A pattern matched exactly by copies of ``description`` (the whole description of the
    blank nodes ``names`` maps to variables): every statement, each node blank, nodes that
    could coincide told apart, and no node with a statement the description lacks (in the
    default graph too when the store has one of its own, ``own_default``)."""

    def term(t):
        return names.get(t, None) or str(t)

    parts = [
        in_graph(q.graph_name, f"{term(q.subject)} {q.predicate} {term(q.object)} .")
        for q in sorted(description, key=quad_key)
    ]
    parts += [f"FILTER(isBlank({v}))" for v in names.values()]
    alike: dict = {}
    for node, variable in names.items():
        alike.setdefault(_signature(node, description), []).append(variable)
    for variables in alike.values():
        parts += [f"FILTER(!sameTerm({a}, {b}))" for a, b in itertools.combinations(variables, 2)]
    counter = itertools.count()
    for node, variable in names.items():
        for outgoing, named in itertools.product((True, False), (True, False)):
            n = next(counter)
            if not named and not own_default:
                continue
            g, p, x = f"?_cg{n}", f"?_cp{n}", f"?_cx{n}"
            triple = f"{variable} {p} {x} ." if outgoing else f"{x} {p} {variable} ."
            conditions = []
            for quad in description:
                if (quad.subject if outgoing else quad.object) != node:
                    continue
                if isinstance(quad.graph_name, ox.DefaultGraph) == named:
                    continue
                same = [
                    f"sameTerm({p}, {quad.predicate})",
                    f"sameTerm({x}, {term(quad.object if outgoing else quad.subject)})",
                ]
                if named:
                    same.insert(0, f"sameTerm({g}, {quad.graph_name})")
                conditions.append("(" + " && ".join(same) + ")")
            unexpected = f" FILTER(!({' || '.join(conditions)}))" if conditions else ""
            inner = f"GRAPH {g} {{ {triple} }}" if named else triple
            parts.append(f"FILTER NOT EXISTS {{ {inner}{unexpected} }}")
    return " ".join(parts)


def address(node: ox.BlankNode, description) -> tuple[str, str]:
    """(pattern, variable) finding ``node`` (among others maybe) from what the store says of it,
    for :mod:`zkg.validation.incremental` (whose queries read the union of the graphs)."""
    own = sorted((q for q in description if node in (q.subject, q.object)), key=quad_key)[:ADDRESS_STATEMENTS]
    names = {node: "?_ad0"}
    parts = []
    for quad in own:
        terms = []
        for t in (quad.subject, quad.object):
            if isinstance(t, ox.BlankNode):
                names.setdefault(t, f"?_ad{len(names)}")
                terms.append(names[t])
            else:
                terms.append(str(t))
        parts.append(in_graph(quad.graph_name, f"{terms[0]} {quad.predicate} {terms[1]} ."))
    parts += [f"FILTER(isBlank({v}))" for v in names.values()]
    return " ".join(parts), "?_ad0"


def _spo(quad: ox.Quad) -> tuple:
    return (quad.subject, quad.predicate, quad.object)


def _template(quads: list[ox.Quad], names: dict) -> str:
    def term(t):
        return names.get(t, None) or str(t)

    by_graph: dict = {}
    for quad in sorted(quads, key=quad_key):
        by_graph.setdefault(quad.graph_name, []).append(f"{term(quad.subject)} {quad.predicate} {term(quad.object)} .")
    return " ".join(
        " ".join(lines) if isinstance(graph, ox.DefaultGraph) else f"GRAPH {graph} {{ {' '.join(lines)} }}"
        for graph, lines in by_graph.items()
    )


# -- units ----------------------------------------------------------------------------------------------------


@dataclass
class Unit:
    """Store components and new nodes the changeset's statements link: one operation."""

    names: dict  # store node -> variable
    description: list[ox.Quad]  # every statement of those store nodes, before the change
    removals: list[ox.Quad]
    additions: list[ox.Quad]
    own_default: bool = True  # the store has a default graph of its own (closed_pattern)

    def operation(self, union: ox.NamedNode | ox.DefaultGraph | None) -> str:
        """The unit's change as one DELETE/INSERT on the nodes its closed pattern finds, the
        union graph ``union`` (:mod:`zkg.store.union_graph`) kept with it: the description
        holds every statement of these nodes in every named graph, so the triples the union
        gains and loses are known here exactly."""
        variables = " ".join(self.names.values())
        closed = closed_pattern(self.names, self.description, own_default=self.own_default)
        where = f"{{ SELECT {variables} WHERE {{ {closed} }} LIMIT 1 }}"
        before = {_spo(q) for q in self.description}
        after = {_spo(q) for q in (set(self.description) - set(self.removals)) | set(self.additions)}
        removals, additions = list(self.removals), list(self.additions)
        if union is not None:  # (None: the store keeps no union)
            removals += [ox.Quad(*t, union) for t in before - after]
            additions += [ox.Quad(*t, union) for t in after - before]
        parts = []
        if removals:
            parts.append(f"DELETE {{ {_template(removals, self.names)} }}")
        if additions:
            parts.append(f"INSERT {{ {_template(additions, self.names)} }}")
        return " ".join(parts) + f" WHERE {{ {where} }}"


def units_of(
    description: set, removals: list[ox.Quad], additions: list[ox.Quad], *, own_default: bool = True
) -> tuple[list[Unit], list[ox.Quad]]:
    """The units of a change (its ``removals`` and ``additions`` on the store's nodes, whose
    ``description`` is all the store says of them), and the additions of new nodes only
    (written as they are: INSERT DATA). Raises ChangesetError past :data:`MAX_DESCRIPTION`."""
    found: list[Unit] = []
    new_only: list[ox.Quad] = []
    groups = BlankNodeGroups()
    for quad in (*description, *removals, *additions):
        groups.link(blank_terms(quad))
    members: dict = {}
    for quad in removals:
        members.setdefault(groups.find(blank_terms(quad)[0]), ([], []))[0].append(quad)
    for quad in additions:
        members.setdefault(groups.find(blank_terms(quad)[0]), ([], []))[1].append(quad)
    by_root: dict = {}
    for quad in description:
        by_root.setdefault(groups.find(blank_terms(quad)[0]), []).append(quad)
    for root, (removed, added) in members.items():
        described = by_root.get(root, [])
        if not described:
            new_only += added
            continue
        if len(described) > MAX_DESCRIPTION:
            raise ChangesetError(
                f"the blank nodes this change touches have more than {MAX_DESCRIPTION} statements "
                "together: give the nodes IRIs, or change them in smaller parts"
            )
        nodes = sorted({t for q in described for t in blank_terms(q)}, key=str)
        names = {node: f"?_n{i}" for i, node in enumerate(nodes)}
        found.append(
            Unit(
                names,
                sorted(described, key=quad_key),
                sorted(removed, key=quad_key),
                sorted(added, key=quad_key),
                own_default,
            )
        )
    return found, new_only
