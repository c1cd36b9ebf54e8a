"""Generic checks of the project's own data files (ontology/ and graph/), whatever they say."""

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from tests.support.zkg_testing import GRAPH_DIR, ONTOLOGY_DIR

# A base no file may mention: every IRI that resolves against it came from a relative IRI.
SENTINEL_BASE = "http://base.invalid/"
DATA_FILES = sorted(
    [p for p in ONTOLOGY_DIR.rglob("*.ttl")]
    + [p for p in GRAPH_DIR.rglob("*.trig")]
    + [p for p in GRAPH_DIR.rglob("*.ttl")]
)
IDS = [str(p.relative_to(GRAPH_DIR.parent)) for p in DATA_FILES]


def _format(path: Path):
    return (ox.RdfFormat.TRIG, "trig") if path.suffix == ".trig" else (ox.RdfFormat.TURTLE, "turtle")


@pytest.mark.parametrize("path", DATA_FILES, ids=IDS)
def test_parses_with_pyoxigraph(path):
    rdf_format, _ = _format(path)
    quads = list(ox.parse(path=str(path), format=rdf_format, base_iri=SENTINEL_BASE))
    assert quads, f"{path} holds no statement"


@pytest.mark.parametrize("path", DATA_FILES, ids=IDS)
def test_parses_with_rdflib(path):
    _, name = _format(path)
    graph = rdflib.Dataset() if name == "trig" else rdflib.Graph()
    graph.parse(path, format=name, publicID=SENTINEL_BASE)
    statements = graph.quads() if name == "trig" else graph.triples((None, None, None))
    assert any(True for _ in statements), f"{path} holds no statement"


@pytest.mark.parametrize("path", DATA_FILES, ids=IDS)
def test_schema_org_uses_https(path):
    text = path.read_text(encoding="utf-8")
    assert "http://schema.org/" not in text, f"{path}: use https://schema.org/ (DESIGN.md decision 6)"


@pytest.mark.parametrize("path", DATA_FILES, ids=IDS)
def test_no_hard_coded_host(path):
    """Entity, vocabulary and graph IRIs are relative, so they follow the configured base IRI."""
    text = path.read_text(encoding="utf-8")
    for forbidden in ("http://localhost", "https://localhost", "http://127.0.0.1", "http://zkg.test/"):
        assert forbidden not in text, f"{path}: hard-coded {forbidden}; write IRIs relative to the base"
    # What the parser resolved: the project's own namespaces only ever come from relative IRIs.
    rdf_format, _ = _format(path)
    own = re.compile(r"^https?://[^/]+/(?:id|def|graph|code)/")
    for quad in ox.parse(path=str(path), format=rdf_format, base_iri=SENTINEL_BASE):
        for term in (quad.subject, quad.predicate, quad.object, quad.graph_name):
            if isinstance(term, ox.NamedNode) and own.match(term.value):
                assert term.value.startswith(SENTINEL_BASE), f"{path}: absolute IRI {term.value}; make it relative"


def test_there_are_data_files():
    assert DATA_FILES, "no RDF files found under graph/ and ontology/"
    assert any(p.suffix == ".trig" for p in DATA_FILES)
