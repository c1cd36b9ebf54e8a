"""Helpers of the shape tests: paths, parsing with the base IRI, and the validation, which
is zkg.validation.shacl's (``validate_graphs``) on graphs parsed once per session.

What is validated against what:

- shapes: every ``ontology/shapes/*.ttl``;
- data: the union of the graphs of ``graph/`` (or one fixture) PLUS the ontology files. The
  code lists and the Data Cube structures are data the shapes must see (a membership's role
  is in the role scheme, an observation's dimensions come from its DSD). pySHACL's
  ``ont_graph`` is not enough for that: it copies only RDFS/OWL axioms (rdfs:subClassOf,
  labels, domains) into the data graph, not skos:inScheme or qb:component;
- no ``ont_graph`` then: rdfs:subClassOf (zkg:Visit ⊑ schema:Event) is in the data already,
  and SHACL reads it there for ``sh:targetClass``;
- ``advanced=True``, no inference; only sh:Violation makes a report non-conforming.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import Dataset, Graph, Namespace, URIRef

from zkg.rdf.prefixes import prefixes
from zkg.validation.shacl import validate_graphs

ROOT = Path(__file__).resolve().parents[2]
SHAPES_DIR = ROOT / "ontology" / "shapes"
ONTOLOGY_DIR = ROOT / "ontology"
GRAPH_DIR = ROOT / "graph"
FIXTURES_DIR = ROOT / "tests" / "conformance" / "shapes" / "fixtures"
BASE_IRI = "http://localhost:8080/"
SHAPES_NS = BASE_IRI + "def/shapes/"
SH = Namespace("http://www.w3.org/ns/shacl#")


@dataclass(frozen=True)
class Result:
    severity: URIRef
    source_shape: object
    focus_node: object
    path: object
    value: object
    message: str

    def __str__(self) -> str:
        shape = str(self.source_shape).removeprefix(SHAPES_NS)
        return f"{self.severity.split('#')[-1]} {shape} focus={self.focus_node} path={self.path} value={self.value}: {self.message}"


def parse_turtle_dir(folder: Path) -> Graph:
    graph = Graph()
    for path in sorted(folder.glob("*.ttl")):
        graph.parse(path, format="turtle", publicID=BASE_IRI)
    return graph


def parse_trig_union(paths) -> Graph:
    """The union of the triples of every graph (named or default) in the TriG files."""
    graph = Graph()
    for path in paths:
        dataset = Dataset()
        dataset.parse(path, format="trig", publicID=BASE_IRI)
        for s, p, o, _ in dataset.quads((None, None, None, None)):
            graph.add((s, p, o))
    return graph


def validate(data: Graph, shapes: Graph, ontology: Graph) -> list[Result]:
    """Validate ``data`` (not modified) as zkg does, with the ontology merged in; the results, sorted."""
    combined = Graph()
    combined += data
    report = validate_graphs(combined, shapes, ontology, prefix_map=prefixes(BASE_IRI))
    results = [Result(SH[r.severity], r.source_shape, r.focus_node, r.path, r.value, r.message) for r in report.results]
    return sorted(results, key=str)
