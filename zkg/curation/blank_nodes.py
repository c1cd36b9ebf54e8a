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

**Writing to those nodes** (:mod:`zkg.curation.blank_node_descriptions`). A node of the store is found again by its whole *description*:
every statement, in any graph, of the blank nodes of its component (blank nodes linked to
blank nodes), as a pattern with a variable per node, each ``isBlank``, told apart where two
could be the same node, and *closed*: no node may have a statement the description lacks.
Whatever matches is an exact copy of the structure, so writing to any match gives a dataset
isomorphic to writing to the node meant (the copies can be swapped). Each *unit* (the store's
components and new nodes that the changeset's statements link) is one operation of the commit's
single update: ``DELETE { … } INSERT { … } WHERE { { SELECT … WHERE { description } LIMIT 1 } }``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from zkg.curation.blank_node_descriptions import (
    DEFAULT,
    BlankNodeGroups,
    Unit,
    address,
    blank_terms,
    describe,
    in_graph,
    own_default,
    select_own_default,
    units_of,
)
from zkg.curation.changesets import ANY_GRAPH, ChangesetError, quad_key


def has_blank(quad: ox.Quad) -> bool:
    return isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode)


def _triple(quad: ox.Quad) -> tuple:
    return (quad.subject, quad.predicate, quad.object)


def _components(quads: list[ox.Quad]) -> list[list[ox.Quad]]:
    """Quads grouped by the blank nodes they share."""
    groups = BlankNodeGroups()
    for quad in quads:
        groups.link(blank_terms(quad))
    out: dict = {}
    for quad in quads:
        out.setdefault(groups.find(blank_terms(quad)[0]), []).append(quad)
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
        pattern = in_graph(graph, triple, own_default=own_default(store))
        for row in select_own_default(store, f"SELECT * WHERE {{ {pattern} {filters} }}"):
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
        rows = [r for r in select_own_default(store, text) if all(r[v] == label for v, label in fixed.items())]
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
    default = own_default(store)  # else the default graph is the named graphs' union
    if graphs is None:
        branches = ["{ GRAPH ?g { ?s ?p ?o } }"] + (["{ ?s ?p ?o }"] if default else [])
    else:
        named = [g for g in graphs if isinstance(g, ox.NamedNode)]
        if named:
            branches.append(f"{{ VALUES ?g {{ {' '.join(map(str, named))} }} GRAPH ?g {{ ?s ?p ?o }} }}")
        if default and any(isinstance(g, ox.DefaultGraph) for g in graphs):
            branches.append("{ ?s ?p ?o }")
    found: dict = {}
    if not branches:
        return found
    text = f"SELECT ?s ?p ?o ?g WHERE {{ {' UNION '.join(branches)} FILTER(isBlank(?s) || isBlank(?o)) }}"
    for row in select_own_default(store, text):
        quad = ox.Quad(row["s"], row["p"], row["o"], row["g"] or DEFAULT)
        for node in blank_terms(quad):
            if node in labels:
                found.setdefault(node, quad)
    return found


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

    def operations(self, union: ox.NamedNode | ox.DefaultGraph | None) -> list[str]:
        """One operation per unit, each keeping the union graph ``union`` too."""
        return [unit.operation(union) for unit in self.units if unit.removals or unit.additions]


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
    known = {t for q in removals if found[q] for t in blank_terms(q)}  # the store's nodes, by their labels
    exact, unmatched = [], []
    for component in _components(removals):
        lost = [q for q in component if not found[q]]
        if not lost:
            for quad in component:
                exact += sorted(found[quad], key=quad_key)
        elif all(t in known for q in lost for t in blank_terms(q)):
            out.missing += lost  # statements of nodes the store has, no longer there
        else:
            unmatched.append(component)
    if unmatched:
        matched, missing = match_structures(store, unmatched, known)
        mapping.update(matched)
        out.missing += missing
        # Under the store's labels now; looked up again for the graphs holding them (ANY_GRAPH).
        relabelled = [_mapped(q, mapping) for c in unmatched for q in c if all(t in mapping for t in blank_terms(q))]
        for quads in find_statements(store, relabelled).values():
            exact += sorted(quads, key=quad_key)
    if out.missing:
        return out
    for quad in exact:
        for node in blank_terms(quad):
            mapping.setdefault(node, node)
            anchored.setdefault(node, quad)
    new = {ox.BlankNode(label) for label in new_nodes}
    unknown = {t for q in additions for t in blank_terms(q) if t not in mapping and t not in new}
    hinted = [q for q in anchors if set(blank_terms(q)) & unknown]
    for quad, held in find_statements(store, hinted).items():
        for node in blank_terms(quad) if held else ():
            if node in unknown:
                mapping[node], anchored[node] = node, quad
                unknown.discard(node)
    if unknown:
        written = sorted({q.graph_name for q in additions if set(blank_terms(q)) & unknown}, key=str)
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
    for node in {t for q in description for t in blank_terms(q)}:
        out.addresses[node] = address(node, description)
    out.units, out.new_only = units_of(description, out.removals, out.additions, own_default=own_default(store))
    return out


def _mapped(quad: ox.Quad, mapping: dict) -> ox.Quad:
    subject = mapping.get(quad.subject, quad.subject)
    obj = mapping.get(quad.object, quad.object)
    return ox.Quad(subject, quad.predicate, obj, quad.graph_name)
