"""SHACL validation of the graph with pySHACL.

What is checked against what (MODELLING.md: validate the union, not graph by graph):

- shapes: the graph ``{base}graph/shapes`` (from ``ontology/shapes/*.ttl``);
- data: the union of every other graph (sources, metadata, changesets) *plus* the vocabulary
  graph ``{base}graph/vocabulary``. The vocabulary is added to the data graph rather than
  passed as pySHACL's ``ont_graph``, because pySHACL only copies RDFS/OWL axioms from an
  ``ont_graph`` (``rdfs:subClassOf`` and the like), not the SKOS code lists the shapes check
  (``skos:inScheme`` of a role or a unit). In the data graph both count: SHACL reads
  ``rdfs:subClassOf`` from the data graph for ``sh:targetClass``. No inference.

Only ``sh:Violation`` makes a report non-conforming; warnings and infos are reported.

>>> from zkg.store.local import Store
>>> store = Store.open(base_iri="http://zkg.test/")
>>> store.update('''INSERT DATA {
...   GRAPH graph:shapes { zkg:PersonShape a sh:NodeShape ; sh:targetClass schema:Person ;
...       sh:property [ sh:path schema:name ; sh:minCount 1 ] }
...   GRAPH graph:a { id:nobody a schema:Person } }''')
>>> report = validate(store)
>>> report.conforms, len(report.results), report.results[0].severity
(False, 1, 'Violation')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from zkg.rdf.display import table, term_text
from zkg.rdf.namespaces import SH
from zkg.rdf.prefixes import compact
from zkg.store.local import Store, validation_graphs

_SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}


@dataclass(frozen=True)
class ValidationResult:
    """One sh:ValidationResult. Nodes are rdflib terms; ``path`` is SPARQL path text."""

    severity: str  # "Violation", "Warning" or "Info"
    focus_node: object
    path: str
    value: object | None
    message: str
    source_shape: object | None
    source_shape_text: str  # the shape for people: its CURIE, or "parent > path" for a blank one
    constraint: str  # the constraint component, e.g. "sh:MinCountConstraintComponent"
    # The result's node in the report graph (to keep it, or not, in a part of the report).
    node: object | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Report:
    """The outcome of a validation: results sorted by severity, focus node, path, message."""

    results: list[ValidationResult]
    prefixes: dict[str, str] = field(repr=False)
    results_graph: object = field(default=None, repr=False, compare=False)  # pySHACL's rdflib report
    shapes_checked: bool = True  # False when the shapes graph was empty

    @property
    def conforms(self) -> bool:
        """True when no result is a sh:Violation."""
        return not any(r.severity == "Violation" for r in self.results)

    def count(self, severity: str) -> int:
        return sum(1 for r in self.results if r.severity == severity)

    def summary(self) -> str:
        verdict = "conforms" if self.conforms else "does NOT conform"
        if not self.shapes_checked:
            verdict = "no shapes loaded (ontology/shapes/*.ttl): nothing was checked; " + verdict
        return (
            f"{verdict}: {self.count('Violation')} violation(s), {self.count('Warning')} warning(s), "
            f"{self.count('Info')} info(s)"
        )


def validate_graphs(data, shapes, ontology, *, prefix_map: dict[str, str], focus_nodes=None) -> Report:
    """Validate rdflib graphs ``data`` + ``ontology`` against ``shapes``.

    ``data`` is extended in place with the ontology's triples (callers pass fresh copies).
    """
    import pyshacl

    if not len(shapes):
        return Report([], prefix_map, None, shapes_checked=False)
    # pySHACL validates a copy in advanced mode anyway; merge instead of ont_graph (see above).
    for triple in ontology:
        data.add(triple)
    _, results_graph, _ = pyshacl.validate(
        data,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        allow_warnings=True,
        focus_nodes=focus_nodes,
    )
    return Report(_read_results(results_graph, shapes, prefix_map), prefix_map, results_graph)


def part_of(report: Report, keep) -> Report:
    """The report of the results ``keep(result)`` is true of: the results, and a report graph
    holding only theirs, with ``sh:conforms`` saying whether a violation is among them.

    >>> from zkg.store.local import Store
    >>> store = Store.open(base_iri="http://zkg.test/")
    >>> store.update('''INSERT DATA {
    ...   GRAPH graph:shapes { zkg:PersonShape a sh:NodeShape ; sh:targetClass schema:Person ;
    ...       sh:property [ sh:path schema:name ; sh:minCount 1 ] }
    ...   GRAPH graph:a { id:ann a schema:Person . id:bo a schema:Person } }''')
    >>> whole = validate(store)
    >>> ann = part_of(whole, lambda r: str(r.focus_node).endswith("ann"))
    >>> from rdflib import URIRef
    >>> [str(r.focus_node) for r in ann.results], len(set(ann.results_graph.objects(None, URIRef(SH + "result"))))
    (['http://zkg.test/id/ann'], 1)
    >>> part_of(whole, lambda r: False).conforms
    True
    """
    from rdflib import RDF, Graph, Literal, URIRef

    kept = [r for r in report.results if keep(r)]
    if len(kept) == len(report.results) or report.results_graph is None:
        return Report(kept, report.prefixes, report.results_graph, report.shapes_checked)
    sh = lambda name: URIRef(SH + name)  # noqa: E731
    source, nodes = report.results_graph, {r.node for r in kept}
    graph = Graph()
    for prefix, namespace in source.namespaces():
        graph.bind(prefix, namespace)
    for top in source.subjects(RDF.type, sh("ValidationReport")):
        graph.add((top, RDF.type, sh("ValidationReport")))
        graph.add((top, sh("conforms"), Literal(not any(r.severity == "Violation" for r in kept))))
        for result in source.objects(top, sh("result")):
            if result in nodes:
                graph.add((top, sh("result"), result))
                _copy_closure(source, graph, result)
    return Report(kept, report.prefixes, graph, report.shapes_checked)


def _copy_closure(source, target, node) -> None:
    """``node``'s statements, and those of the blank nodes they reach, from ``source`` to ``target``."""
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


def validate(store, *, focus_nodes=None) -> Report:
    """Validate a store, in process or an engine's (see the module docstring for what against what)."""
    graphs = validation_graphs(store)
    return validate_graphs(
        graphs.data, graphs.shapes, graphs.ontology, prefix_map=store.prefixes, focus_nodes=focus_nodes
    )


def validate_files(graph_dir: str | Path, ontology_dir: str | Path, base_iri: str) -> Report:
    """Validate the project's files as ``zkg load`` would load them, without a store on disk."""

    store = Store.open(base_iri=base_iri)
    store.load_sources(graph_dir=graph_dir, ontology_dir=ontology_dir)
    return validate(store)


def format_report(report: Report) -> str:
    """A table (severity, focus node, path, value, message, shape) and the summary line."""
    p = report.prefixes
    rows = [
        [r.severity, term_text(r.focus_node, p), r.path, term_text(r.value, p), r.message, r.source_shape_text]
        for r in report.results
    ]
    parts = []
    if rows:
        parts.append(table(["severity", "focus node", "path", "value", "message", "shape"], rows))
    parts.append(report.summary())
    return "\n".join(parts)


# -- reading pySHACL's report graph -----------------------------------------------------------


def _read_results(results_graph, shapes, prefix_map) -> list[ValidationResult]:
    from rdflib import RDF, URIRef

    sh = lambda name: URIRef(SH + name)  # noqa: E731
    results = []
    # Only the report's own results: those of sh:node / sh:qualifiedValueShape checks are
    # also in the graph, as sh:detail of the result they explain, and would show twice.
    top_level = {
        r
        for report in results_graph.subjects(RDF.type, sh("ValidationReport"))
        for r in results_graph.objects(report, sh("result"))
    }
    for node in sorted(top_level, key=str):
        one = lambda name: results_graph.value(node, sh(name))  # noqa: E731
        severity = one("resultSeverity")
        messages = sorted(str(m) for m in results_graph.objects(node, sh("resultMessage")))
        path_node = one("resultPath")
        shape = one("sourceShape")
        component = one("sourceConstraintComponent")
        results.append(
            ValidationResult(
                severity=str(severity)[len(SH) :]
                if severity is not None and str(severity).startswith(SH)
                else str(severity),
                focus_node=one("focusNode"),
                path=_result_path_text(results_graph, shapes, path_node, prefix_map),
                value=one("value"),
                message="; ".join(messages),
                source_shape=shape,
                source_shape_text=_shape_text(shape, shapes, prefix_map),
                constraint=compact(str(component), {**prefix_map, "sh": SH}) if component is not None else "",
                node=node,
            )
        )
    results.sort(
        key=lambda r: (
            _SEVERITY_ORDER.get(r.severity, 9),
            term_text(r.focus_node, prefix_map),
            r.path,
            r.message,
            term_text(r.value, prefix_map),
        )
    )
    return results


def _result_path_text(results_graph, shapes, path_node, prefix_map) -> str:
    if path_node is None:
        return ""
    # A complex path is a blank node structure, copied into the report or only in the shapes.
    in_report = (path_node, None, None) in results_graph
    return path_text(results_graph if in_report else shapes, path_node, prefix_map)


def _shape_text(shape, shapes, prefix_map) -> str:
    from rdflib import BNode, URIRef

    if shape is None:
        return ""
    if not isinstance(shape, BNode):
        return term_text(shape, prefix_map)
    # A blank property shape: name it by the shape that holds it and its path.
    parent = shapes.value(predicate=URIRef(SH + "property"), object=shape)
    path = shapes.value(shape, URIRef(SH + "path"))
    path_part = path_text(shapes, path, prefix_map) if path is not None else "?"
    return f"{term_text(parent, prefix_map) if parent is not None else '[]'} > {path_part}"


def path_text(graph, node, prefix_map) -> str:
    """A SHACL property path as SPARQL path syntax (``^p``, ``a/b``, ``a|b``, ``p*``...)."""
    from rdflib import RDF, BNode, URIRef
    from rdflib.collection import Collection

    if not isinstance(node, BNode):
        return term_text(node, prefix_map)
    if graph.value(node, RDF.first) is not None:
        return "/".join(_group(path_text(graph, n, prefix_map)) for n in Collection(graph, node))
    for name, template in (
        ("inversePath", "^{}"),
        ("zeroOrMorePath", "{}*"),
        ("oneOrMorePath", "{}+"),
        ("zeroOrOnePath", "{}?"),
    ):
        inner = graph.value(node, URIRef(SH + name))
        if inner is not None:
            return template.format(_group(path_text(graph, inner, prefix_map)))
    alternatives = graph.value(node, URIRef(SH + "alternativePath"))
    if alternatives is not None:
        return "|".join(_group(path_text(graph, n, prefix_map)) for n in Collection(graph, alternatives))
    return "_:" + str(node)


def _group(text: str) -> str:
    return f"({text})" if any(c in text for c in "/|") else text
