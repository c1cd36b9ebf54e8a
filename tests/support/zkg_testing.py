"""Constants shared by the tests (imported by name; `conftest` is not importable reliably,
since more than one conftest.py lives under tests/)."""

from pathlib import Path

from zkg.base.settings import resource_dir

TEST_BASE = "http://zkg.test/"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# A miniature project (graph/ + ontology/) with relative IRIs, independent of the real data.
FIXTURE_PROJECT = FIXTURES / "project"
GRAPH_DIR = resource_dir("graph")
ONTOLOGY_DIR = resource_dir("ontology")
