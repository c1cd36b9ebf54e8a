"""The focus nodes of a change and the candidate graph around them, fetched from the store.

Steps 1 and 2 of incremental validation (:mod:`zkg.validation.incremental`, which says why
each is exact): which nodes a changeset's statements can change the verdict of, and, breadth
first along the paths of the shapes targeting each, the statements those shapes read, as the
store has them with the changeset applied (:class:`Neighbourhood`). Every query is a SELECT
counted by an :class:`Asker`: their number is bounded by the depth of the shapes' paths
(:mod:`zkg.validation.reach`), not by the size of the graph. The store's blank nodes, which
SPARQL cannot name, are found again by the pattern that reached them (``addresses``).
"""

from __future__ import annotations

import itertools
import re

import pyoxigraph as ox

from zkg.validation.reach import RDF_TYPE, Analysis, Node, Step

CHUNK = 2000  # VALUES rows per query for large sets


# -- asking the store -------------------------------------------------------------------------------


class Asker:
    """Sends the SELECTs and counts them and their rows."""

    def __init__(self, store):
        self.store = store
        self.queries = 0
        self.rows = 0

    def select(self, text: str, **options) -> list[ox.QuerySolution]:
        self.queries += 1
        rows = list(self.store.query(text, **options))
        self.rows += len(rows)
        return rows


_counter = itertools.count()
_VARS = re.compile(r"\?_[A-Za-z]+[0-9_]+")  # the variables of stored blank node addresses


def _fresh_var(prefix: str = "a") -> str:
    return f"?_{prefix}{next(_counter)}"


def _values(var: str, terms) -> str:
    return f"VALUES {var} {{ {' '.join(str(t) for t in terms)} }}"


def _hop(subject: str, step: Step, obj: str) -> str:
    """``subject --step--> obj`` as a pattern (variables or terms as text)."""
    if step.predicate is None:
        predicate = _fresh_var("any")
        return f"{obj} {predicate} {subject} ." if step.inverse else f"{subject} {predicate} {obj} ."
    return f"{subject} {step.sparql()} {obj} ."


class Neighbourhood:
    """The candidate graph being built: fetched statements, the changeset, and where each
    blank node of the store can be found again."""

    def __init__(self, additions: set, gone: set, fresh: set, addresses: dict):
        self.fetched: set = set()
        self.additions = additions  # (s, p, o) added
        self.gone = gone  # (s, p, o) that no graph holds after the change
        self.fresh = fresh  # blank nodes the changeset adds (not in the store)
        self.addresses: dict = dict(addresses)  # store blank node -> (pattern, variable)
        self._out: dict = {}
        self._in: dict = {}
        self.reindex()

    def triples(self) -> set:
        return (self.fetched - self.gone) | self.additions

    def reindex(self) -> None:
        self._out, self._in = {}, {}
        for s, p, o in self.triples():
            self._out.setdefault(s, []).append((p, o))
            self._in.setdefault(o, []).append((p, s))

    def step(self, node, step: Step) -> set:
        """Where ``step`` leads from ``node`` in the candidate (closure for repeats)."""

        def once(n):
            if step.inverse:
                return {s for p, s in self._in.get(n, ()) if step.predicate is None or p.value == step.predicate}
            return {o for p, o in self._out.get(n, ()) if step.predicate is None or p.value == step.predicate}

        if not step.repeat:
            return once(node)
        reached, frontier = set(), {node}
        while frontier:
            frontier = {m for n in frontier for m in once(n)} - reached
            reached |= frontier
        return reached | ({node} if step.repeat == "*" else set())

    def binding(self, term, var: str) -> str | None:
        """A pattern binding ``var`` to ``term`` in the store; None for a node the store
        does not have (a literal, a blank node the changeset adds)."""
        if isinstance(term, ox.NamedNode):
            return _values(var, [term])
        if isinstance(term, ox.BlankNode) and term in self.addresses:
            pattern, node_var = self.addresses[term]
            suffix = next(_counter)
            rename = {v: (var if v == node_var else f"{v}_{suffix}") for v in set(_VARS.findall(pattern))}
            return _VARS.sub(lambda m: rename[m.group(0)], pattern)
        return None

    def address(self, child, parent, step: Step) -> None:
        """Remember how to find blank node ``child`` reached from ``parent`` by ``step``."""
        if not isinstance(child, ox.BlankNode) or child in self.addresses or child in self.fresh:
            return
        parent_var, child_var = _fresh_var("p"), _fresh_var("b")
        bound = self.binding(parent, parent_var)
        if bound is None:
            return
        self.addresses[child] = (f"{bound} {_hop(parent_var, step, child_var)}", child_var)


def _fetch(asker: Asker, hood: Neighbourhood, wanted: dict) -> None:
    """One query: for each (node, step) in ``wanted``, the statements the step reads."""
    branches: list[str] = []
    by_step: dict[Step, set] = {}
    for node, steps in wanted.items():
        for step in steps:
            if isinstance(node, ox.NamedNode):
                by_step.setdefault(step, set()).add(node)
            else:
                bound = hood.binding(node, "?n")
                if bound is not None:
                    branches.append("{ " + bound + " " + _step_pattern("?n", step) + " }")
    for step, nodes in by_step.items():
        starts = set(nodes)
        if step.repeat:  # chains the changeset joins up: fetch from their ends too
            for s, p, o in hood.additions:
                if p.value == step.predicate and isinstance(s if step.inverse else o, ox.NamedNode):
                    starts.add(s if step.inverse else o)
        ordered = sorted(starts, key=str)
        for start in range(0, len(ordered), CHUNK):
            branches.append(
                "{ " + _values("?n", ordered[start : start + CHUNK]) + " " + _step_pattern("?n", step) + " }"
            )
    for start in range(0, len(branches), 200):
        text = "SELECT DISTINCT ?s ?p ?o WHERE { " + " UNION ".join(branches[start : start + 200]) + " }"
        for row in asker.select(text):
            hood.fetched.add((row["s"], row["p"], row["o"]))
    hood.reindex()


def _step_pattern(node: str, step: Step) -> str:
    """A pattern binding ?s ?p ?o to the statements ``step`` reads from ``node``."""
    if step.predicate is None:
        return f"?s ?p {node} . BIND({node} AS ?o)" if step.inverse else f"{node} ?p ?o . BIND({node} AS ?s)"
    predicate = f"<{step.predicate}>"
    if step.repeat:
        chain = f"?o {predicate}* {node} ." if step.inverse else f"{node} {predicate}* ?s ."
        return f"{chain} ?s {predicate} ?o . BIND({predicate} AS ?p)"
    if step.inverse:
        return f"?s {predicate} {node} . BIND({node} AS ?o) BIND({predicate} AS ?p)"
    return f"{node} {predicate} ?o . BIND({node} AS ?s) BIND({predicate} AS ?p)"


# -- focus nodes --------------------------------------------------------------------------------------


def focus_nodes(asker: Asker, hood: Neighbourhood, analysis: Analysis, changed: set) -> set:
    """The nodes whose verdict the changed statements ``changed`` ((s, p, o)) can change."""
    focus = {s for s, _, _ in changed}
    rules: list[tuple[Node, Step, Node]] = []
    for node in analysis.root.walk():
        for step, child in node.children.items():
            if not child.dependents:
                continue
            if node.parent is None:
                if step.inverse:  # read backwards from the focus node: the object changes verdict
                    focus |= {
                        o
                        for s, p, o in changed
                        if not isinstance(o, ox.Literal) and (step.predicate is None or p.value == step.predicate)
                    }
                continue
            rules.append((node, step, child))
    branches: list[str] = []
    addresses: list[tuple[str, str]] = []
    for node, step, child in rules:
        anchors = {
            (o if step.inverse else s) for s, p, o in changed if step.predicate is None or p.value == step.predicate
        }
        anchors = {a for a in anchors if not isinstance(a, ox.Literal)}
        if not anchors:
            continue
        back = [Step(step.predicate, step.inverse, "*")] if step.repeat else []
        prefix = node.prefix()
        target = _target_filter(analysis, child.dependents, "?x")
        iris = sorted((a for a in anchors if isinstance(a, ox.NamedNode)), key=str)
        groups = [_values("?anchor", iris[i : i + CHUNK]) for i in range(0, len(iris), CHUNK)]
        groups += [b for b in (hood.binding(a, "?anchor") for a in anchors if isinstance(a, ox.BlankNode)) if b]
        chain = _chain("?x", prefix, "?anchor", back)
        for bound in groups:
            address = re.sub(r"\?anchor\b", "?_an0", re.sub(r"\?x\b", "?_xn0", f"{bound} {chain}"))
            addresses.append((address, "?_xn0"))
            branches.append(f"{{ {bound} {chain} {target} BIND({len(addresses) - 1} AS ?branch) }}")
    for start in range(0, len(branches), 200):
        text = "SELECT DISTINCT ?x ?branch WHERE { " + " UNION ".join(branches[start : start + 200]) + " }"
        for row in asker.select(text):
            x = row["x"]
            focus.add(x)
            if isinstance(x, ox.BlankNode) and x not in hood.addresses:
                hood.addresses[x] = addresses[int(row["branch"].value)]
    return {f for f in focus if not isinstance(f, ox.Literal)}


def _chain(start: str, steps: list[Step], end: str, extra: list[Step]) -> str:
    """Patterns for ``start --steps--> (extra) --> end``."""
    all_steps = steps + extra
    if not all_steps:
        return f"BIND({end} AS {start})"
    parts, current = [], start
    for index, step in enumerate(all_steps):
        following = end if index == len(all_steps) - 1 else _fresh_var("c")
        parts.append(_hop(current, step, following))
        current = following
    return " ".join(parts)


def _target_filter(analysis: Analysis, owners: set[str], var: str) -> str:
    groups = []
    classes = set().union(*(analysis.shapes[o].classes for o in owners if o in analysis.shapes))
    if classes:
        groups.append(f"{{ {var} a ?_cls . {_values('?_cls', [ox.NamedNode(c) for c in sorted(classes)])} }}")
    for o in owners:
        shape = analysis.shapes.get(o)
        if shape is None:
            continue
        groups += [f"{{ {var} <{p}> [] }}" for p in sorted(shape.subjects_of)]
        groups += [f"{{ [] <{p}> {var} }}" for p in sorted(shape.objects_of)]
        if shape.nodes:
            groups.append(f"{{ FILTER({var} IN ({', '.join(f'<{n}>' for n in sorted(shape.nodes))})) }}")
    if not groups:
        return "FILTER(false)"
    return "FILTER EXISTS { " + " UNION ".join(sorted(set(groups))) + " }"


# -- the candidate ------------------------------------------------------------------------------------


def build_candidate(asker: Asker, hood: Neighbourhood, analysis: Analysis, focus: set) -> dict:
    """Fetch, level by level, what the shapes targeting each focus node read; returns the
    applicable shapes of each focus node."""
    out_targets, in_targets = analysis.target_predicates()
    first = {Step(RDF_TYPE)} | {Step(p) for p in out_targets} | {Step(p, inverse=True) for p in in_targets}
    _fetch(asker, hood, {n: first for n in focus})
    applicable = {}
    for n in focus:
        types = {o.value for o in hood.step(n, Step(RDF_TYPE)) if isinstance(o, ox.NamedNode)}
        outs = {p for p in out_targets if hood.step(n, Step(p))}
        ins = {p for p in in_targets if hood.step(n, Step(p, inverse=True))}
        applicable[n] = analysis.applicable(types, outs, ins, n.value if isinstance(n, ox.NamedNode) else "")
    positions: dict[tuple[int, object], tuple[Node, object, set]] = {}
    frontier = []
    for n, shapes in applicable.items():
        if shapes:
            positions[(id(analysis.root), n)] = (analysis.root, n, set(shapes))
            frontier.append((analysis.root, n, set(shapes)))
    done: set[tuple[object, Step]] = {(n, s) for n in focus for s in first}
    while frontier:
        wanted: dict = {}
        for node, term, shapes in frontier:
            for step, child in node.children.items():
                if child.owners & shapes and (term, step) not in done:
                    done.add((term, step))
                    if isinstance(term, ox.NamedNode) or (isinstance(term, ox.BlankNode) and term not in hood.fresh):
                        wanted.setdefault(term, set()).add(step)
        if wanted:
            _fetch(asker, hood, wanted)
        following = []
        for node, term, shapes in frontier:
            for step, child in node.children.items():
                allowed = child.owners & shapes
                if not allowed or not child.children:
                    continue
                for reached in hood.step(term, step):
                    if isinstance(reached, ox.Literal):
                        continue
                    hood.address(reached, term, step)
                    key = (id(child), reached)
                    known = positions.get(key)
                    if known is None:
                        positions[key] = (child, reached, set(allowed))
                        following.append(positions[key])
                    elif not allowed <= known[2]:
                        known[2].update(allowed)
                        following.append(known)
        frontier = following
    _fetch_peers(asker, hood, analysis, applicable, done)
    return applicable


class _CandidateView:
    """The candidate graph, as a peer search (:mod:`zkg.validation.peers`) reads it."""

    def __init__(self, hood: Neighbourhood):
        self.hood = hood

    def objects(self, node, predicate: str) -> set:
        return self.hood.step(node, Step(predicate))

    def subjects(self, predicate: str, node) -> set:
        return self.hood.step(node, Step(predicate, inverse=True))

    def binding(self, node, var: str) -> str | None:
        return self.hood.binding(node, var)


def _fetch_peers(asker: Asker, hood: Neighbourhood, analysis: Analysis, applicable: dict, done: set) -> None:
    """The statements of the peers found by the peer searches of the shapes targeting each
    focus node: fetched as context (the peers do not become focus nodes)."""
    view, patterns, known = _CandidateView(hood), set(), set()
    for node, shapes in sorted(applicable.items(), key=lambda item: str(item[0])):
        searches = {search for owner in shapes for search in analysis.peers.get(owner, ())}
        for search in sorted(searches, key=lambda f: f.__qualname__):
            found = search(node, view, asker.select)
            patterns.update(found.patterns)
            known |= found.known
    ordered = sorted(patterns)
    for start in range(0, len(ordered), 100):
        text = (
            "SELECT DISTINCT ?peer ?p ?o WHERE { { SELECT DISTINCT ?peer WHERE { "
            + " UNION ".join(ordered[start : start + 100])
            + " } } ?peer ?p ?o }"
        )
        for row in asker.select(text):
            hood.fetched.add((row["peer"], row["p"], row["o"]))
    # Peers only the candidate knows of (the changeset adds them to the data set): what the
    # store says of them too, unless already fetched.
    unread = {n for n in known if (n, Step(None)) not in done and not isinstance(n, ox.Literal)}
    if unread:
        _fetch(asker, hood, {n: {Step(None)} for n in unread})
    hood.reindex()
