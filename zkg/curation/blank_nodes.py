"""Blank nodes of the store in a changeset: which nodes it means, and writing to exactly those.

SPARQL cannot name a blank node of the store: ``_:b`` in an update is a new node (INSERT DATA,
templates) or a variable (patterns). Yet a changeset often means nodes of the store: a
DELETE/INSERT … WHERE that matched the startup fund's amount, a Graph Store DELETE of a graph
holding one, the revert of a change to it. :mod:`zkg.curation.apply` asks this module which nodes
they are and how to write to them.

**Which node a label means.** Query results carry the store's own labels, stable from one
query to the next (pyoxigraph and the Oxigraph server keep them), so a label read from the
store names that node as long as it exists. A changeset's blank node is, in this order:

1. the node of the store with that label, met in a statement to remove: each such statement
   is looked up (one query per shape of statement, ``isBlank`` where the label stands, the
   labels compared here);
2. when none of the statements of a removed structure (blank nodes linked by the statements
   to remove) are there under their labels (a file or a patch naming the node by what is said
   of it, the revert of an addition, whose nodes the store labelled itself), the node whose
   statements match them: blank nodes only, one way only (else a conflict when none does, a
   refusal naming the ambiguity when several do);
3. a node only added to: new when the changeset's maker says so (:attr:`Changeset.new_nodes
   <zkg.curation.changesets.Changeset>`: the nodes of a parsed document, the nodes an update makes);
   the store's when a statement of it the maker read is still there (``Changeset.anchors``:
   the source graph of a COPY, ADD or MOVE); else looked for among the blank nodes of the
   graphs the changeset writes it in, then of the whole store (a revert of a removal, a patch,
   an INSERT … WHERE adding to a node elsewhere: a scan, the one cost here that grows with the
   store), and new when the store has no such node.

**Writing to those nodes.** A node of the store is found again by its whole *description*:
every statement, in any graph, of the blank nodes of its component (blank nodes linked to
blank nodes), as a pattern with a variable per node, each ``isBlank``, told apart where two
could be the same node, and *closed*: no node may have a statement the description lacks.
Whatever matches is an exact copy of the structure, so writing to any match gives a dataset
isomorphic to writing to the node meant (the copies can be swapped). Each *unit* (the store's
components and new nodes that the changeset's statements link) is one operation of the commit's
single update: ``DELETE { … } INSERT { … } WHERE { { SELECT … WHERE { description } LIMIT 1 } }``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

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


def has_blank(quad: ox.Quad) -> bool:
    return isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode)


def _blanks(quad: ox.Quad) -> list[ox.BlankNode]:
    return [t for t in (quad.subject, quad.object) if isinstance(t, ox.BlankNode)]


def _triple(quad: ox.Quad) -> tuple:
    return (quad.subject, quad.predicate, quad.object)


def _in_graph(graph, triple: str) -> str:
    if graph == ANY_GRAPH:
        return f"{{ GRAPH ?_g {{ {triple} }} }} UNION {{ {triple} }}"
    if isinstance(graph, ox.DefaultGraph):
        return triple
    return f"GRAPH {graph} {{ {triple} }}"


def _query(store, text: str):
    # The store's own default graph, as the update that commits will see it.
    return store.query(text, union_default_graph=False)


class _Groups:
    """Union-find over blank nodes."""

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


def _components(quads: list[ox.Quad]) -> list[list[ox.Quad]]:
    """Quads grouped by the blank nodes they share."""
    groups = _Groups()
    for quad in quads:
        groups.link(_blanks(quad))
    out: dict = {}
    for quad in quads:
        out.setdefault(groups.find(_blanks(quad)[0]), []).append(quad)
    return list(out.values())


# -- 1. statements under their labels -----------------------------------------------------------------


def find_statements(store, quads: list[ox.Quad]) -> dict[ox.Quad, set[ox.Quad]]:
    """For each quad with blank nodes, the store's quads that are it: its blank nodes as the
    store's nodes of those labels (ANY_GRAPH: in whatever graph). One query per shape."""
    shapes: dict[tuple, list[ox.Quad]] = {}
    for quad in quads:
        key = (
            quad.graph_name,
            None if isinstance(quad.subject, ox.BlankNode) else quad.subject,
            quad.predicate,
            None if isinstance(quad.object, ox.BlankNode) else quad.object,
        )
        shapes.setdefault(key, []).append(quad)
    found: dict[ox.Quad, set[ox.Quad]] = {}
    for (graph, subject, predicate, obj), group in shapes.items():
        triple = f"{'?s' if subject is None else subject} {predicate} {'?o' if obj is None else obj} ."
        filters = " ".join(f"FILTER(isBlank(?{v}))" for v, t in (("s", subject), ("o", obj)) if t is None)
        held: dict[tuple, set] = {}
        for row in _query(store, f"SELECT * WHERE {{ {_in_graph(graph, triple)} {filters} }}"):
            s = row["s"] if subject is None else subject
            o = row["o"] if obj is None else obj
            g = (row["_g"] or DEFAULT) if graph == ANY_GRAPH else graph
            held.setdefault((s, o), set()).add(g)
        for quad in group:
            found[quad] = {
                ox.Quad(quad.subject, predicate, quad.object, g) for g in held.get((quad.subject, quad.object), ())
            }
    return found


# -- 2. structures matched by their statements -----------------------------------------------------------


def _open_pattern(component: list[ox.Quad]) -> tuple[str, dict, list]:
    """A pattern for a removed structure (blank nodes and ANY_GRAPH as variables, blank nodes
    only), in a canonical form so that structures of the same shape give the same text."""
    blind = lambda t: "_" if isinstance(t, ox.BlankNode) else str(t)  # noqa: E731
    ordered = sorted(
        component, key=lambda q: (blind(q.graph_name), blind(q.subject), str(q.predicate), blind(q.object))
    )
    names: dict = {}
    graph_vars = 0
    parts = []
    for quad in ordered:
        terms = []
        for term in (quad.subject, quad.predicate, quad.object):
            if isinstance(term, ox.BlankNode):
                names.setdefault(term, f"?_b{len(names)}")
                terms.append(names[term])
            else:
                terms.append(str(term))
        triple = " ".join(terms) + " ."
        if isinstance(quad.graph_name, ox.DefaultGraph):
            parts.append(triple)
        elif quad.graph_name == ANY_GRAPH:
            parts.append(f"GRAPH ?_g{graph_vars} {{ {triple} }}")
            graph_vars += 1
        else:
            parts.append(f"GRAPH {quad.graph_name} {{ {triple} }}")
    parts += [f"FILTER(isBlank({v}))" for v in names.values()]
    return " ".join(parts), names, ordered


def match_structures(store, components: list[list[ox.Quad]], known: set) -> tuple[dict, list[ox.Quad]]:
    """({label: store node}, missing quads) for removed structures matched by their statements.
    Labels in ``known`` are the store's nodes of those labels (found under them): a match must
    keep them. Structures of the same shape without such labels are matched together."""
    groups: dict = {}
    for number, component in enumerate(components):
        pattern, names, ordered = _open_pattern(component)
        key = pattern if not (set(names) & known) else number
        groups.setdefault(key, (pattern, []))[1].append((names, ordered))
    mapping, missing = {}, []
    for pattern, group in groups.values():
        names = group[0][0]
        variables = sorted(set(names.values()))
        fixed = {names[label][1:]: label for label in names if label in known}
        limit = "" if fixed else f" LIMIT {len(group) + 1}"
        text = f"SELECT DISTINCT {' '.join(variables)} WHERE {{ {pattern} }}{limit}"
        rows = [r for r in _query(store, text) if all(r[v] == label for v, label in fixed.items())]
        if len(rows) < len(group):
            missing += [q for _, quads in group for q in quads]
            continue
        if len(rows) > len(group):
            raise ChangesetError(
                f"statements to remove with blank nodes match {len(rows)} blank nodes of the store, "
                f"not {len(group)}: give more of the blank node's statements, e.g. around "
                f"{group[0][1][0]}"
            )
        for (names, _), row in zip(group, rows):
            for label, variable in names.items():
                mapping[label] = row[variable[1:]]
    return mapping, missing


# -- 3. nodes only added to -----------------------------------------------------------------------------


def scan(store, labels: set[ox.BlankNode], graphs: list | None) -> dict[ox.BlankNode, ox.Quad]:
    """{node: one of its statements} for the labels that are blank nodes of the store, looked
    for in ``graphs`` (None: everywhere). Reads every statement with a blank node there."""
    branches = []
    if graphs is None:
        branches = ["{ GRAPH ?g { ?s ?p ?o } }", "{ ?s ?p ?o }"]
    else:
        named = [g for g in graphs if isinstance(g, ox.NamedNode)]
        if named:
            branches.append(f"{{ VALUES ?g {{ {' '.join(map(str, named))} }} GRAPH ?g {{ ?s ?p ?o }} }}")
        if any(isinstance(g, ox.DefaultGraph) for g in graphs):
            branches.append("{ ?s ?p ?o }")
    found: dict = {}
    if not branches:
        return found
    text = f"SELECT ?s ?p ?o ?g WHERE {{ {' UNION '.join(branches)} FILTER(isBlank(?s) || isBlank(?o)) }}"
    for row in _query(store, text):
        quad = ox.Quad(row["s"], row["p"], row["o"], row["g"] or DEFAULT)
        for node in _blanks(quad):
            if node in labels:
                found.setdefault(node, quad)
    return found


# -- descriptions -------------------------------------------------------------------------------------------


def _anchor_pattern(node: ox.BlankNode, anchor: ox.Quad) -> str:
    def term(t):
        if t == node:
            return "?_a0"
        return "?_a1" if isinstance(t, ox.BlankNode) else str(t)

    pattern = _in_graph(anchor.graph_name, f"{term(anchor.subject)} {anchor.predicate} {term(anchor.object)} .")
    blanks = {term(t) for t in _blanks(anchor)}
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
            text = (
                f"SELECT ?_a0 ?_d ?_t ?_p ?_gg WHERE {{ "
                f"{{ {anchor} GRAPH ?_gg {{ ?_a0 ?_p ?_t }} BIND(1 AS ?_d) }} UNION "
                f"{{ {anchor} GRAPH ?_gg {{ ?_t ?_p ?_a0 }} BIND(2 AS ?_d) }} UNION "
                f"{{ {anchor} ?_a0 ?_p ?_t BIND(3 AS ?_d) }} UNION "
                f"{{ {anchor} ?_t ?_p ?_a0 BIND(4 AS ?_d) }} }}"
            )
            for row in _query(store, text):
                node = row["_a0"]
                outgoing = row["_d"].value in ("1", "3")
                subject, obj = (node, row["_t"]) if outgoing else (row["_t"], node)
                known.setdefault(node, set()).add(ox.Quad(subject, row["_p"], obj, row["_gg"] or DEFAULT))
        fetched = set().union(*(known.get(node, set()) for node in todo))
        described |= set(todo)
        statements |= fetched
        todo = {}
        for quad in fetched:
            for node in _blanks(quad):
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


def closed_pattern(names: dict, description: list[ox.Quad]) -> str:
    """A pattern matched exactly by copies of ``description`` (the whole description of the
    blank nodes ``names`` maps to variables): every statement, each node blank, nodes that
    could coincide told apart, and no node with a statement the description lacks."""

    def term(t):
        return names.get(t, None) or str(t)

    parts = [
        _in_graph(q.graph_name, f"{term(q.subject)} {q.predicate} {term(q.object)} .")
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
        parts.append(_in_graph(quad.graph_name, f"{terms[0]} {quad.predicate} {terms[1]} ."))
    parts += [f"FILTER(isBlank({v}))" for v in names.values()]
    return " ".join(parts), "?_ad0"


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


# -- the whole of it ------------------------------------------------------------------------------------------------


@dataclass
class Unit:
    """Store components and new nodes the changeset's statements link: one operation."""

    names: dict  # store node -> variable
    description: list[ox.Quad]  # every statement of those store nodes, before the change
    removals: list[ox.Quad]
    additions: list[ox.Quad]

    def operation(self) -> str:
        variables = " ".join(self.names.values())
        where = f"{{ SELECT {variables} WHERE {{ {closed_pattern(self.names, self.description)} }} LIMIT 1 }}"
        parts = []
        if self.removals:
            parts.append(f"DELETE {{ {_template(self.removals, self.names)} }}")
        if self.additions:
            parts.append(f"INSERT {{ {_template(self.additions, self.names)} }}")
        return " ".join(parts) + f" WHERE {{ {where} }}"


@dataclass
class Resolution:
    """The blank-node part of a changeset, checked against the store."""

    removals: list[ox.Quad] = field(default_factory=list)  # exact quads of the store
    additions: list[ox.Quad] = field(default_factory=list)  # store nodes under their labels; new ones under theirs
    dropped: list[ox.Quad] = field(default_factory=list)  # additions the store has already
    missing: list[ox.Quad] = field(default_factory=list)  # removals that are not there
    units: list[Unit] = field(default_factory=list)
    new_only: list[ox.Quad] = field(default_factory=list)  # additions of new nodes only: INSERT DATA
    addresses: dict = field(default_factory=dict)  # store node -> (pattern, variable), for zkg.validation.incremental
    holders: dict = field(default_factory=dict)  # (s, p, o) with a store node -> graphs holding it

    def operations(self) -> list[str]:
        return [unit.operation() for unit in self.units if unit.removals or unit.additions]


def resolve(
    store, removals: list[ox.Quad], additions: list[ox.Quad], *, new_nodes=frozenset(), anchors=()
) -> Resolution:
    """Which store nodes the blank nodes of ``removals`` and ``additions`` (quads with blank
    nodes) are, and how to write the change to them (see the module docstring). ``new_nodes``:
    labels the changeset's maker knows to be new; ``anchors``: statements of the store's nodes
    it read, checked here, where the nodes only added to are looked for before any scan
    (a COPY's source graph). Raises ChangesetError when a removed
    structure matches several ways; missing removals are returned (a conflict)."""
    out = Resolution()
    found = find_statements(store, removals)
    mapping: dict = {}  # changeset label -> store node
    anchored: dict = {}  # store node -> a statement of it
    known = {t for q in removals if found[q] for t in _blanks(q)}  # the store's nodes, by their labels
    exact, unmatched = [], []
    for component in _components(removals):
        lost = [q for q in component if not found[q]]
        if not lost:
            for quad in component:
                exact += sorted(found[quad], key=quad_key)
        elif all(t in known for q in lost for t in _blanks(q)):
            out.missing += lost  # statements of nodes the store has, no longer there
        else:
            unmatched.append(component)
    if unmatched:
        matched, missing = match_structures(store, unmatched, known)
        mapping.update(matched)
        out.missing += missing
        # Under the store's labels now; looked up again for the graphs holding them (ANY_GRAPH).
        relabelled = [_mapped(q, mapping) for c in unmatched for q in c if all(t in mapping for t in _blanks(q))]
        for quads in find_statements(store, relabelled).values():
            exact += sorted(quads, key=quad_key)
    if out.missing:
        return out
    for quad in exact:
        for node in _blanks(quad):
            mapping.setdefault(node, node)
            anchored.setdefault(node, quad)
    new = {ox.BlankNode(label) for label in new_nodes}
    unknown = {t for q in additions for t in _blanks(q) if t not in mapping and t not in new}
    hinted = [q for q in anchors if set(_blanks(q)) & unknown]
    for quad, held in find_statements(store, hinted).items():
        for node in _blanks(quad) if held else ():
            if node in unknown:
                mapping[node], anchored[node] = node, quad
                unknown.discard(node)
    if unknown:
        written = sorted({q.graph_name for q in additions if set(_blanks(q)) & unknown}, key=str)
        for graphs in (written, None):
            for node, anchor in scan(store, unknown, graphs).items():
                mapping[node], anchored[node] = node, anchor
                unknown.discard(node)
            if not unknown:
                break
    additions = [_mapped(q, mapping) for q in additions]
    description = describe(store, anchored) if anchored else set()
    out.removals = sorted(set(exact), key=quad_key)
    for quad in description:
        out.holders.setdefault(_triple(quad), set()).add(quad.graph_name)
    out.additions = [q for q in additions if q not in description]
    out.dropped = [q for q in additions if q in description]
    for node in {t for q in description for t in _blanks(q)}:
        out.addresses[node] = address(node, description)
    _units(out, description)
    return out


def _mapped(quad: ox.Quad, mapping: dict) -> ox.Quad:
    subject = mapping.get(quad.subject, quad.subject)
    obj = mapping.get(quad.object, quad.object)
    return ox.Quad(subject, quad.predicate, obj, quad.graph_name)


def _units(out: Resolution, description: set) -> None:
    groups = _Groups()
    for quad in (*description, *out.removals, *out.additions):
        groups.link(_blanks(quad))
    members: dict = {}
    for quad in out.removals:
        members.setdefault(groups.find(_blanks(quad)[0]), ([], []))[0].append(quad)
    for quad in out.additions:
        members.setdefault(groups.find(_blanks(quad)[0]), ([], []))[1].append(quad)
    by_root: dict = {}
    for quad in description:
        by_root.setdefault(groups.find(_blanks(quad)[0]), []).append(quad)
    for root, (removed, added) in members.items():
        described = by_root.get(root, [])
        if not described:
            out.new_only += added
            continue
        if len(described) > MAX_DESCRIPTION:
            raise ChangesetError(
                f"the blank nodes this change touches have more than {MAX_DESCRIPTION} statements "
                "together: give the nodes IRIs, or change them in smaller parts"
            )
        nodes = sorted({t for q in described for t in _blanks(q)}, key=str)
        names = {node: f"?_n{i}" for i, node in enumerate(nodes)}
        out.units.append(
            Unit(names, sorted(described, key=quad_key), sorted(removed, key=quad_key), sorted(added, key=quad_key))
        )
