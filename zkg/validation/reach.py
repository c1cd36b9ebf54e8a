"""What the shapes read: the reach of each targeted shape, as a tree of path steps.

Incremental validation (:mod:`zkg.validation.incremental`) must give, for the nodes a changeset touches,
the verdict that validating the whole graph would give, while reading only a bounded part of
the graph. For that it needs to know, for every shape that targets a node, which statements
around that node the shape reads. This module works that out from the shapes graph itself:

- the targets of each shape (``sh:targetClass`` with the vocabulary's subclasses,
  ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``, ``sh:targetNode``);
- from the focus node, every path the shape follows: ``sh:path`` (predicates, inverse,
  sequence, alternative, ``*``/``+``/``?`` paths), then on the value nodes what their own
  constraints read: ``sh:class`` reads ``rdf:type``; ``sh:node``, ``sh:qualifiedValueShape``,
  ``sh:and``/``sh:or``/``sh:xone``/``sh:not`` and nested ``sh:property`` recurse;
  ``sh:equals`` and kin read the focus node's own property; ``sh:closed`` reads everything;
- SPARQL constraints cannot be read that way, so each is declared in :data:`SPARQL_REACH`:
  the paths its query follows from ``$this`` (``ANY`` is any predicate), checked against a
  hash of the query text, so editing a query without reviewing its reach is noticed
  (:class:`Unsupported`; the tests check the project's shapes analyse).

All paths of all shapes are merged into one tree (:class:`Step` edges; each node knows which
shapes use it). A path that a SPARQL constraint reads symmetrically ("mirrored": two
observations duplicating each other, two editions sharing a number, a containment cycle)
is fetched but does not make other nodes focus nodes: the violation shows at the node that
changed too. A symmetric constraint that would read a whole data set that way (IC-12: every
observation of the data set) declares a *peer search* instead (:mod:`zkg.validation.peers`): a
function building an index-driven query for the few nodes that can matter, from what the
candidate graph says of the focus node; the statements of the peers it finds are fetched
(their outgoing statements: what the constraint reads of them), again without making them
focus nodes. It is declared with the reach, so the digest check covers it too.

What is refused (:class:`Unsupported`; the caller then validates the whole graph, exact but
not bounded): SPARQL-based targets and rules, implicit class targets, and SPARQL constraints
not declared here (or edited since).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Callable

from zkg.rdf.namespaces import RDF, RDFS, SH
from zkg.validation.peers import duplicate_observations

RDF_TYPE = RDF + "type"
RDFS_SUBCLASS = RDFS + "subClassOf"


class Unsupported(Exception):
    """The shapes use something whose reach this module cannot work out."""


# -- paths ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One hop: follow ``predicate`` (None: any predicate) forwards or backwards, once or,
    with ``repeat`` ("*" or "+"), transitively."""

    predicate: str | None
    inverse: bool = False
    repeat: str = ""

    def sparql(self) -> str:
        """The hop as a SPARQL path (None has no path form: callers use a variable)."""
        text = f"<{self.predicate}>"
        if self.repeat:
            text += self.repeat
        return f"^({text})" if self.inverse else text

    def __str__(self) -> str:
        name = "ANY" if self.predicate is None else f"<{self.predicate}>"
        return ("^" if self.inverse else "") + name + self.repeat


# Path expressions: ("p", iri) ("any",) ("inv", e) ("seq", [e]) ("alt", [e]) ("*"|"+"|"?", e)


def parse_path(text: str, prefix_map: dict[str, str]):
    """A SPARQL-like path (``^org:member/org:organization``, ``(a|b)+``, ``ANY``)."""
    tokens = re.findall(r"<[^>]*>|[A-Za-z][\w\-.]*:[\w\-.]*|ANY|[()/|^*+?]", text)
    position = 0

    def peek():
        return tokens[position] if position < len(tokens) else None

    def take():
        nonlocal position
        position += 1
        return tokens[position - 1]

    def alternative():
        parts = [sequence()]
        while peek() == "|":
            take()
            parts.append(sequence())
        return parts[0] if len(parts) == 1 else ("alt", parts)

    def sequence():
        parts = [unary()]
        while peek() == "/":
            take()
            parts.append(unary())
        return parts[0] if len(parts) == 1 else ("seq", parts)

    def unary():
        if peek() == "^":
            take()
            return ("inv", unary())
        token = take()
        if token == "(":
            inner = alternative()
            if take() != ")":
                raise ValueError(f"unbalanced path {text!r}")
        elif token == "ANY":
            inner = ("any",)
        elif token.startswith("<"):
            inner = ("p", token[1:-1])
        else:
            prefix, _, local = token.partition(":")
            inner = ("p", prefix_map[prefix] + local)
        while peek() in ("*", "+", "?"):
            inner = (take(), inner)
        return inner

    result = alternative()
    if position != len(tokens):
        raise ValueError(f"cannot read path {text!r}")
    return result


def shacl_path(graph, node):
    """The path expression of a SHACL path node in an rdflib graph."""
    from rdflib import RDF, BNode, URIRef
    from rdflib.collection import Collection

    if isinstance(node, URIRef):
        return ("p", str(node))
    if not isinstance(node, BNode):
        raise Unsupported(f"a path that is not an IRI or a blank node: {node!r}")
    if graph.value(node, RDF.first) is not None:
        return ("seq", [shacl_path(graph, n) for n in Collection(graph, node)])
    for name, kind in (("inversePath", "inv"), ("zeroOrMorePath", "*"), ("oneOrMorePath", "+"), ("zeroOrOnePath", "?")):
        inner = graph.value(node, URIRef(SH + name))
        if inner is not None:
            return (kind, shacl_path(graph, inner))
    alternatives = graph.value(node, URIRef(SH + "alternativePath"))
    if alternatives is not None:
        return ("alt", [shacl_path(graph, n) for n in Collection(graph, alternatives)])
    raise Unsupported(f"an unknown kind of SHACL path: {node}")


def _invert(expr):
    kind = expr[0]
    if kind == "p" or kind == "any":
        return ("inv", expr)
    if kind == "inv":
        return expr[1]
    if kind == "seq":
        return ("seq", [_invert(e) for e in reversed(expr[1])])
    if kind == "alt":
        return ("alt", [_invert(e) for e in expr[1]])
    return (kind, _invert(expr[1]))


# -- the tree of steps ---------------------------------------------------------------------------


class Node:
    """A point of the tree: where a node of the graph may sit, relative to a focus node."""

    __slots__ = ("children", "depth", "parent", "step", "owners", "dependents")

    def __init__(self, parent: "Node | None" = None, step: Step | None = None):
        self.children: dict[Step, Node] = {}
        self.parent = parent
        self.step = step
        self.depth = 0 if parent is None else parent.depth + 1
        self.owners: set[str] = set()  # shapes that read the edge into this node
        self.dependents: set[str] = set()  # shapes whose verdict the edge's statements can change

    def child(self, step: Step, owner: str, mirrored: bool) -> "Node":
        node = self.children.get(step)
        if node is None:
            node = self.children[step] = Node(self, step)
        node.owners.add(owner)
        if not mirrored:
            node.dependents.add(owner)
        return node

    def prefix(self) -> list[Step]:
        """The steps from the root to this node."""
        steps, node = [], self
        while node.parent is not None:
            steps.append(node.step)
            node = node.parent
        return steps[::-1]

    def walk(self):
        yield self
        for child in self.children.values():
            yield from child.walk()


def add_path(node: Node, expr, owner: str, mirrored: bool) -> list[Node]:
    """Add a path expression below ``node``; the nodes where its values sit."""
    kind = expr[0]
    if kind == "p":
        return [node.child(Step(expr[1]), owner, mirrored)]
    if kind == "any":
        return [node.child(Step(None), owner, mirrored)]
    if kind == "inv":
        inner = expr[1]
        if inner[0] in ("p", "any"):
            return [node.child(Step(inner[1] if inner[0] == "p" else None, inverse=True), owner, mirrored)]
        return add_path(node, _invert(inner), owner, mirrored)
    if kind == "seq":
        ends = [node]
        for part in expr[1]:
            ends = [end for start in ends for end in add_path(start, part, owner, mirrored)]
        return ends
    if kind == "alt":
        return [end for part in expr[1] for end in add_path(node, part, owner, mirrored)]
    if kind == "?":
        return [node, *add_path(node, expr[1], owner, mirrored)]
    if kind in ("*", "+"):
        inner = expr[1]
        inverse = False
        if inner[0] == "inv" and inner[1][0] == "p":
            inner, inverse = inner[1], True
        if inner[0] != "p":
            raise Unsupported("a repeated path of more than one predicate")
        end = node.child(Step(inner[1], inverse=inverse, repeat=kind), owner, mirrored)
        return [node, end] if kind == "*" else [end]
    raise Unsupported(f"unknown path expression {expr!r}")


# -- SPARQL constraints: their reach, declared -------------------------------------------------


@dataclass(frozen=True)
class SparqlReach:
    """What a SPARQL constraint reads from ``$this``: ``paths`` (a change along them can
    change the verdict of ``$this``) and ``mirrored`` paths (fetched, but a violation they
    cause shows at the changed node as well). ``digest``: sha256 (first 16 hex digits) of
    the whitespace-normalised query, to notice edits."""

    digest: str
    paths: tuple[str, ...]
    mirrored: tuple[str, ...] = ()
    #: (focus node, candidate, ask) -> zkg.validation.peers.Peers: the nodes compared with ``$this``
    #: (only for a constraint of a targeted shape itself, where ``$this`` is the focus node).
    peers: Callable | None = None


_DIMENSIONS = "qb:dataSet/qb:structure/qb:component"

#: Keyed by the local name of the shape holding the constraint (under ``def/shapes/``).
SPARQL_REACH: dict[str, SparqlReach] = {
    # A person heading an organisation needs a membership in it or a post in it.
    "HeadOfShape": SparqlReach(
        "19fb38759b05cf47",
        ("org:headOf", "^org:member/org:organization", "org:holds/org:postIn", "^org:heldBy/org:postIn"),
    ),
    # Two editions of a series sharing a number: symmetric, so the edition that changed shows it.
    "EventShape-editionUnique": SparqlReach(
        "c4e3944dbc1a05ce",
        ("zkg:editionNumber", "schema:superEvent"),
        ("schema:superEvent/^schema:superEvent/zkg:editionNumber",),
    ),
    # Data Cube integrity constraints: the structure of the observation's data set, and what
    # the observation itself says (any property may be a dimension).
    "IC11-AllDimensionsRequired": SparqlReach("ac119627a76b6041", (f"{_DIMENSIONS}/qb:dimension", "ANY")),
    # Compared with the other observations of the data set: only those that may duplicate it
    # are fetched (their statements), found by an index-driven query (zkg.validation.peers).
    "IC12-NoDuplicateObservations": SparqlReach(
        "fe3fddca96d586e9", (f"{_DIMENSIONS}/qb:dimension", "ANY"), peers=duplicate_observations
    ),
    "IC13-RequiredAttributes": SparqlReach(
        "662f9b6116e923e8", (f"{_DIMENSIONS}/qb:attribute", f"{_DIMENSIONS}/qb:componentRequired", "ANY")
    ),
    "IC14-AllMeasuresPresent": SparqlReach("57f26736e2254f58", (f"{_DIMENSIONS}/qb:measure", "ANY")),
    "IC19-CodesFromCodeList": SparqlReach(
        "7fe9fe20306d8672", (f"{_DIMENSIONS}/qb:dimension/qb:codeList/rdf:type", "ANY/rdf:type", "ANY/skos:inScheme")
    ),
    # A cycle through containedInPlace contains the place whose link changed.
    "PlaceShape-containmentCycle": SparqlReach("4554c31dca3a5682", (), ("schema:containedInPlace+",)),
    # A quotation's source must be a document some graph names as its dcterms:source.
    "StatementShape-isPartOf": SparqlReach("eada04b4c3c69976", ("schema:isPartOf/^dcterms:source",)),
    # A reified statement must repeat a statement of the graph: whatever its subject says.
    "SourcedStatementShape": SparqlReach("90d3ff2936004820", ("rdf:subject/ANY", "rdf:predicate", "rdf:object")),
    "ChooseActionShape-result": SparqlReach("be02b9b8c04f289e", ("schema:result", "schema:actionOption")),
    "ConceptSchemeShape-topConcept": SparqlReach("cb0df34879a99210", ("skos:hasTopConcept/skos:inScheme",)),
}


def query_digest(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:16]


# -- the analysis ---------------------------------------------------------------------------------


@dataclass
class TargetedShape:
    iri: str
    classes: set[str] = field(default_factory=set)  # with their subclasses
    subjects_of: set[str] = field(default_factory=set)
    objects_of: set[str] = field(default_factory=set)
    nodes: set[str] = field(default_factory=set)


@dataclass
class Analysis:
    """The shapes' targets and the merged tree of what they read."""

    shapes: dict[str, TargetedShape]
    root: Node
    peers: dict[str, set[Callable]] = field(default_factory=dict)  # targeted shape -> its peer searches

    def applicable(self, types: set[str], predicates_out: set[str], predicates_in: set[str], iri: str) -> set[str]:
        """The shapes targeting a node with these types and out/in predicates."""
        return {
            name
            for name, s in self.shapes.items()
            if s.classes & types or s.subjects_of & predicates_out or s.objects_of & predicates_in or iri in s.nodes
        }

    def target_predicates(self) -> tuple[set[str], set[str]]:
        """(predicates whose subjects are targets, predicates whose objects are targets)."""
        out = set().union(*(s.subjects_of for s in self.shapes.values()))
        into = set().union(*(s.objects_of for s in self.shapes.values()))
        return out, into


def analyse(shapes_graph, vocabulary_graph, *, base_iri: str, prefix_map: dict[str, str]) -> Analysis:
    """Work out the reach of every targeted shape (raises Unsupported)."""
    from rdflib import OWL, RDF, RDFS, URIRef
    from rdflib.collection import Collection

    g = shapes_graph
    sh = lambda name: URIRef(SH + name)  # noqa: E731
    for unsupported in ("target", "rule"):
        if (None, sh(unsupported), None) in g:
            raise Unsupported(f"the shapes use sh:{unsupported}")
    # pySHACL's implicit class targets: a shape typed rdfs:Class or a subclass of it (the
    # shapes graph's own), and OWL classes.
    classes = {RDFS.Class, OWL.Class, *g.subjects(RDFS.subClassOf, RDFS.Class)}
    for shape in set(g.subjects(RDF.type, sh("NodeShape"))) | set(g.subjects(RDF.type, sh("PropertyShape"))):
        if classes & set(g.objects(shape, RDF.type)):
            raise Unsupported(f"implicit class target on {shape}")

    subclasses = _subclass_closure(vocabulary_graph)
    shape_base = base_iri + "def/shapes/"
    root = Node()
    shapes: dict[str, TargetedShape] = {}
    peers: dict[str, set[Callable]] = {}

    def name_of(shape) -> str:
        text = str(shape)
        return text[len(shape_base) :] if text.startswith(shape_base) else text

    def walk(shape, node: Node, owner: str, seen: set) -> None:
        key = (shape, id(node))
        if key in seen:
            return
        seen.add(key)
        path = g.value(shape, sh("path"))
        if path is not None:
            ends = add_path(node, shacl_path(g, path), owner, False)
            for end in ends:
                values(shape, end, owner, seen)
            for name in ("equals", "disjoint", "lessThan", "lessThanOrEquals"):
                for other in g.objects(shape, sh(name)):
                    node.child(Step(str(other)), owner, False)
        else:
            values(shape, node, owner, seen)
        for constraint in g.objects(shape, sh("sparql")):
            sparql(shape, constraint, node, owner)

    def values(shape, node: Node, owner: str, seen: set) -> None:
        if (shape, sh("class"), None) in g:
            node.child(Step(RDF_TYPE), owner, False)
        if g.value(shape, sh("closed")) is not None:
            node.child(Step(None), owner, False)
        for name in ("node", "qualifiedValueShape", "not", "property"):
            for inner in g.objects(shape, sh(name)):
                walk(inner, node, owner, seen)
        for name in ("or", "and", "xone"):
            for members in g.objects(shape, sh(name)):
                for inner in Collection(g, members):
                    walk(inner, node, owner, seen)

    def sparql(shape, constraint, node: Node, owner: str) -> None:
        select = g.value(constraint, sh("select"))
        if select is None:
            raise Unsupported(f"a SPARQL constraint of {name_of(shape)} without sh:select")
        declared = SPARQL_REACH.get(name_of(shape))
        digest = query_digest(str(select))
        if declared is None:
            raise Unsupported(
                f"the SPARQL constraint of {name_of(shape)} has no declared reach (zkg.validation.reach.SPARQL_REACH)"
            )
        if declared.digest != digest:
            raise Unsupported(
                f"the SPARQL constraint of {name_of(shape)} changed (digest {digest}): review its "
                "reach in zkg.validation.reach.SPARQL_REACH"
            )
        for text in declared.paths:
            add_path(node, parse_path(text, prefix_map), owner, False)
        for text in declared.mirrored:
            add_path(node, parse_path(text, prefix_map), owner, True)
        if declared.peers is not None:
            if node.parent is not None:
                raise Unsupported(f"the peer search of {name_of(shape)} applies to a focus node only")
            peers.setdefault(owner, set()).add(declared.peers)

    targeted = set()
    for name in ("targetClass", "targetSubjectsOf", "targetObjectsOf", "targetNode"):
        targeted |= set(g.subjects(sh(name), None))
    for shape in sorted(targeted, key=str):
        owner = name_of(shape)
        target = TargetedShape(owner)
        for cls in g.objects(shape, sh("targetClass")):
            target.classes |= subclasses.get(str(cls), {str(cls)})
        target.subjects_of = {str(p) for p in g.objects(shape, sh("targetSubjectsOf"))}
        target.objects_of = {str(p) for p in g.objects(shape, sh("targetObjectsOf"))}
        target.nodes = {str(n) for n in g.objects(shape, sh("targetNode"))}
        shapes[owner] = target
        # What the targets themselves read: the node's types, its subjects-of and objects-of.
        if target.classes:
            root.child(Step(RDF_TYPE), owner, False)
        for p in target.subjects_of:
            root.child(Step(p), owner, False)
        for p in target.objects_of:
            root.child(Step(p, inverse=True), owner, False)
        walk(shape, root, owner, set())
    return Analysis(shapes, root, peers)


def _subclass_closure(vocabulary_graph) -> dict[str, set[str]]:
    """class -> itself and every (transitive) subclass, from rdfs:subClassOf."""
    from rdflib import RDFS

    direct: dict[str, set[str]] = {}
    for sub, sup in vocabulary_graph.subject_objects(RDFS.subClassOf):
        direct.setdefault(str(sup), set()).add(str(sub))
    closure: dict[str, set[str]] = {}

    def below(cls: str) -> set[str]:
        if cls not in closure:
            closure[cls] = {cls}
            for sub in direct.get(cls, ()):
                closure[cls] |= below(sub)
        return closure[cls]

    for cls in list(direct):
        below(cls)
    return closure
