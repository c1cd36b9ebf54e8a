"""Incremental validation: the shapes' verdict on the nodes a changeset touches, read from a
bounded neighbourhood instead of the whole graph.

Given the effective changeset (exact quads removed and added, its metadata included):

1. **Focus nodes.** Every subject of a changed statement; every object of one where a shape
   reads that predicate backwards from its focus node (``^org:hasUnit``, targets of
   ``sh:targetObjectsOf``); and the nodes whose verdict reads the changed statement further
   away, found by walking the shapes' paths back from the statement (one SELECT, each walk
   limited to the nodes the shape owning the path targets). Example: removing
   ``id:x a schema:Organization`` makes every person whose ``org:memberOf`` points at
   ``id:x`` a focus node; changing a membership's ``org:organization`` makes its member one
   (the ``org:headOf`` check). See :mod:`zkg.validation.reach` for what the shapes read.
2. **Candidate graph.** Breadth first along the paths of the shapes that target each focus
   node (:class:`zkg.validation.reach.Analysis`), one SELECT per level: the statements each
   path step reads, from the store, plus the changeset's additions, minus its removals
   (a removed statement still held by another graph stays). Blank nodes of the store are
   addressed by the path that reached them (SPARQL cannot name them). The number of queries
   is bounded by the depth of the shapes' paths; what they return is the part of the graph
   the shapes read from the focus nodes: it does not grow with the rest of the graph.
   A symmetric SPARQL constraint comparing a node with many others (IC-12: an observation
   with the others of its data set) declares a peer search instead of a path: one
   index-driven query finds the few nodes that can matter, from what the candidate says of
   the focus node after the change, and their statements are fetched
   (:mod:`zkg.validation.peers`).
3. **Validate** the candidate plus the vocabulary with pySHACL, with every shape aimed at
   the focus nodes it targets and at no other node (:mod:`zkg.validation.focus`: the nodes
   fetched as context are not validated; pySHACL's ``focus_nodes`` option is not used: it
   filters the nested evaluations too, so ``sh:node`` on value nodes went unchecked). Since
   each focus node's whole reach is in the candidate, its results are those the whole graph
   would give.

When the shapes use something :mod:`zkg.validation.reach` cannot bound, the whole graph (with the
changeset applied) is validated instead: exact, not bounded (``ValidationCost.mode``).
Blank node labels must be stable across queries (pyoxigraph and the Oxigraph server keep
them so).
"""

from __future__ import annotations

import hashlib
import itertools
import re
import threading
from dataclasses import dataclass, field

import pyoxigraph as ox

from zkg.rdf.prefixes import graph_iri, prefixes
from zkg.rdf.rdflib_view import rdflib_graph, rdflib_term
from zkg.store import loading
from zkg.validation.focus import FocusShapes
from zkg.validation.reach import RDF_TYPE, Analysis, Node, Step, Unsupported, analyse
from zkg.validation.shacl import Report, validate_graphs

INCREMENTAL, WHOLE = "incremental", "whole graph"
CHUNK = 2000  # VALUES rows per query for large sets


@dataclass(frozen=True)
class ValidationCost:
    """What validation looked at (for tests, dry runs and benchmarks)."""

    mode: str  # INCREMENTAL or WHOLE
    focus_nodes: int
    queries: int  # SPARQL queries for the neighbourhood and the focus nodes
    quads_fetched: int  # rows those queries returned
    candidate_triples: int  # triples pyshacl validated (data + vocabulary)
    reason: str = ""  # why WHOLE
    focus: frozenset = field(default=frozenset(), repr=False, compare=False)  # the focus nodes (pyoxigraph terms)


# -- the shapes and vocabulary, analysed once per content ------------------------------------------


@dataclass
class ShapesContext:
    shapes: object  # rdflib.Graph
    vocabulary: object  # rdflib.Graph
    analysis: Analysis | None
    unsupported: str  # why analysis is None
    vocabulary_triples: frozenset  # (s, p, o) pyoxigraph terms
    focus_shapes: FocusShapes | None = None  # the shapes to aim at focus nodes (with analysis)


_CONTEXTS: dict[str, ShapesContext] = {}
_CONTEXTS_LOCK = threading.Lock()


def shapes_context(store) -> ShapesContext:
    """The shapes and vocabulary graphs of ``store``, with their analysis (cached by content)."""

    base = store.base_iri
    shapes = list(store.quads(graph_iri(base, loading.SHAPES)))
    vocabulary = list(store.quads(graph_iri(base, loading.VOCABULARY)))
    digest = hashlib.sha256()
    for quad in sorted(str(q) for q in itertools.chain(shapes, vocabulary)):  # str(q) names the graph
        digest.update(quad.encode("utf-8") + b"\n")
    key = base + digest.hexdigest()
    with _CONTEXTS_LOCK:
        context = _CONTEXTS.get(key)
    if context is not None:
        return context
    shapes_graph, vocabulary_graph = rdflib_graph(shapes), rdflib_graph(vocabulary)
    try:
        analysis, why = analyse(shapes_graph, vocabulary_graph, base_iri=base, prefix_map=prefixes(base)), ""
    except Unsupported as error:
        analysis, why = None, str(error)
    context = ShapesContext(
        shapes_graph,
        vocabulary_graph,
        analysis,
        why,
        frozenset((q.subject, q.predicate, q.object) for q in vocabulary),
        FocusShapes(shapes_graph) if analysis is not None else None,
    )
    with _CONTEXTS_LOCK:
        if len(_CONTEXTS) > 8:
            _CONTEXTS.clear()
        _CONTEXTS[key] = context
    return context


# -- asking the store -------------------------------------------------------------------------------


class _Asker:
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


def _fetch(asker: _Asker, hood: Neighbourhood, wanted: dict) -> None:
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


def focus_nodes(asker: _Asker, hood: Neighbourhood, analysis: Analysis, changed: set) -> set:
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


def build_candidate(asker: _Asker, hood: Neighbourhood, analysis: Analysis, focus: set) -> dict:
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


def _fetch_peers(asker: _Asker, hood: Neighbourhood, analysis: Analysis, applicable: dict, done: set) -> None:
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


# -- validation -----------------------------------------------------------------------------------------


def validate_changeset(
    store,
    *,
    additions: list[ox.Quad],
    removals: list[ox.Quad],
    gone: set,
    addresses: dict,
    context: ShapesContext | None = None,
) -> tuple[Report, ValidationCost]:
    """The report of the shapes on the focus nodes of a change, and what it cost.

    ``additions`` and ``removals`` are the exact quads (metadata included); ``gone`` the
    removed triples no graph holds afterwards; ``addresses`` SPARQL patterns finding the
    store's blank nodes among the removals ({node: (pattern, variable)}).
    """

    context = context or shapes_context(store)
    asker = _Asker(store)
    if context.analysis is None:
        return _validate_whole(store, asker, context, additions, removals)
    added = {(q.subject, q.predicate, q.object) for q in additions}
    fresh = {t for q in additions for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)} - set(addresses)
    hood = Neighbourhood(added, gone, fresh, addresses)
    changed = added | {(q.subject, q.predicate, q.object) for q in removals}
    focus = focus_nodes(asker, hood, context.analysis, changed)
    build_candidate(asker, hood, context.analysis, focus)
    triples = hood.triples()
    data = rdflib_graph(ox.Quad(s, p, o) for s, p, o in triples)
    for triple in context.vocabulary:  # part of the data graph (zkg.validation.shacl), targets included
        data.add(triple)
    focus_terms = {_rdflib(f) for f in focus}
    # Each shape validates the focus nodes it targets and no other node of the candidate
    # (zkg.validation.focus); the results are still restricted to the focus nodes, as a guard.
    with context.focus_shapes.aimed_at(context.focus_shapes.targeted(data, focus_terms)) as shapes:
        report = validate_graphs(data, shapes, (), prefix_map=store.prefixes)
    report = _restrict(report, focus_terms)
    cost = ValidationCost(INCREMENTAL, len(focus), asker.queries, asker.rows, len(data), focus=frozenset(focus))
    return report, cost


def _rdflib(term):
    return rdflib_term(term)


def _restrict(report: Report, focus_terms: set) -> Report:
    """Only the results about the focus nodes (and the report graph likewise)."""
    from rdflib import RDF, Graph, URIRef

    kept = [r for r in report.results if r.focus_node in focus_terms]
    if len(kept) == len(report.results) or report.results_graph is None:
        return Report(kept, report.prefixes, report.results_graph, report.shapes_checked)
    sh = lambda name: URIRef("http://www.w3.org/ns/shacl#" + name)  # noqa: E731
    source = report.results_graph
    graph = Graph()
    for prefix, namespace in source.namespaces():
        graph.bind(prefix, namespace)
    for top in source.subjects(RDF.type, sh("ValidationReport")):
        graph.add((top, RDF.type, sh("ValidationReport")))
        conforms = not any(r.severity == "Violation" for r in kept)
        from rdflib import Literal

        graph.add((top, sh("conforms"), Literal(conforms)))
        for result in source.objects(top, sh("result")):
            if source.value(result, sh("focusNode")) in focus_terms:
                graph.add((top, sh("result"), result))
                _copy_closure(source, graph, result)
    return Report(kept, report.prefixes, graph, report.shapes_checked)


def _copy_closure(source, target, node) -> None:
    from rdflib import BNode

    todo, seen = [node], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for p, o in source.predicate_objects(current):
            target.add((current, p, o))
            if isinstance(o, BNode):
                todo.append(o)


def _validate_whole(store, asker: _Asker, context: ShapesContext, additions, removals):
    """Fallback: the whole graph with the change applied."""

    base = store.base_iri
    skip = {ox.NamedNode(graph_iri(base, loading.SHAPES)), ox.NamedNode(graph_iri(base, loading.VOCABULARY))}
    quads = {q for q in store.quads() if q.graph_name not in skip}
    asker.queries += 1
    asker.rows += len(quads)
    quads -= set(removals)
    quads |= {q for q in additions if q.graph_name not in skip}
    data = rdflib_graph(quads)
    report = validate_graphs(data, context.shapes, context.vocabulary, prefix_map=store.prefixes)
    cost = ValidationCost(WHOLE, 0, asker.queries, asker.rows, len(data), reason=context.unsupported)
    return report, cost
